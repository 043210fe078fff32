package dev.r1.quantize.bench;

import dev.r1.bindings.NativeLibraries;
import dev.r1.bindings.NativeLibraryException;
import dev.r1.bindings.llama.Llama;
import dev.r1.quantize.Quantizers;
import dev.r1.quantize.RowQuantizer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Random;

/**
 * Quantizer throughput: quantizes a synthetic 4096-wide weight matrix with each type and prints MB/s of
 * BF16 input (the size of the HF checkpoint being converted): ours on all cores, ours on one thread, and
 * ggml's {@code ggml_quantize_chunk} on one thread through the bindings (pinned libraries found via
 * {@code -Dr1.deps=.deps}; llama-quantize runs that function on every core, one chunk per thread).
 * Usage: {@code QuantizeBench [rows=2048] [repeats=3] [types=Q4_0,Q8_0,Q4_K,Q6_K,F16]}.
 */
public final class QuantizeBench {
    public static void main(String[] args) throws Throwable {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 2048;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        String[] types = (args.length > 2 ? args[2] : "Q4_0,Q8_0,Q4_K,Q6_K,F16").split(",");
        int n = 4096;
        float[] x = new float[rows * n];
        Random r = new Random(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) (0.02 * r.nextGaussian());
        MethodHandle ggml = ggmlQuantizeChunk();
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "machine: %s, %d cores, %s %s%n", System.getProperty("os.arch"), cores,
                System.getProperty("java.vm.name"), System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "tensor: %d x %d gaussian(0, 0.02); MB/s of bf16 input, best of %d%n",
                rows, n, repeats);
        System.out.printf(Locale.ROOT, "%-6s %14s %14s %14s %10s%n", "type", "r1 " + cores + " thr",
                "r1 1 thr", "ggml 1 thr", "r1/ggml");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
            for (String t : types) {
                RowQuantizer q = Quantizers.forName(t);
                MemorySegment dst = arena.allocate(rows * q.rowBytes(n), 64);
                byte[] row = new byte[(int) q.rowBytes(n)];
                double all = best(repeats, () -> Quantizers.quantizeRows(q, "bench", x, 0, rows, n, dst, 0));
                double one = best(repeats, () -> {
                    for (int i = 0; i < rows; i++) q.quantizeRow(x, i * n, n, row, 0);
                });
                double ref = ggml == null ? Double.NaN : best(repeats, () -> {
                    try {
                        long w = (long) ggml.invokeExact(q.ggmlTypeId(), src, dst, 0L, (long) rows, (long) n,
                                MemorySegment.NULL);
                    } catch (Throwable e) {
                        throw new RuntimeException(e);
                    }
                });
                double mb = (double) rows * n * 2 / 1e6;
                System.out.printf(Locale.ROOT, "%-6s %14.1f %14.1f %14.1f %10.2f%n", q.typeName(), mb / all,
                        mb / one, mb / ref, ref / one);
            }
        }
    }

    private static double best(int repeats, Runnable run) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i < repeats + 1; i++) { // the first run warms up the JIT
            long t0 = System.nanoTime();
            run.run();
            double s = (System.nanoTime() - t0) / 1e9;
            if (i > 0) best = Math.min(best, s);
        }
        return best;
    }

    /** ggml_quantize_chunk through the bindings, or null when the pinned libraries are not there. */
    private static MethodHandle ggmlQuantizeChunk() {
        try {
            NativeLibraries.llama();
            return Llama.ggml_quantize_chunk$handle();
        } catch (NativeLibraryException e) {
            System.out.println("(no ggml column: " + e.getMessage() + ")");
            return null;
        }
    }
}

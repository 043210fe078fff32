package dev.r1.engine.cpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.r1.models.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * One thread, our row kernel against ggml's {@code ggml_vec_dot_<type>_q8_K} (haswell library) on the same
 * rows, alternating, best of the repetitions: a kernel-to-kernel figure that a loaded machine disturbs less
 * than a whole decode. Not a test: run by hand with the test classpath,
 * {@code java ... dev.r1.engine.cpu.KQuants2Bench DIR_WITH_LIBGGML [type...]}.
 */
public final class KQuants2Bench {
    public static void main(String[] args) throws Throwable {
        SymbolLookup cpu = SymbolLookup.libraryLookup(Path.of(args[0]).resolve("libggml-cpu-haswell.so"), Arena.global());
        Linker l = Linker.nativeLinker();
        l.downcallHandle(cpu.find("ggml_cpu_init").orElseThrow(), FunctionDescriptor.ofVoid()).invokeExact();
        MethodHandle quantize = l.downcallHandle(cpu.find("quantize_row_q8_K").orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
        int cols = 8960, rows = 192, sbs = cols / 256;
        String[] types = args.length > 1 ? java.util.Arrays.copyOfRange(args, 1, args.length) : new String[] {"Q5_K", "Q3_K", "Q2_K", "IQ4_XS"};
        Arena arena = Arena.global();
        KQuants2Test.Acts a = KQuants2Test.Acts.of(1, cols, 3);
        MemorySegment y = arena.allocate(292L * sbs, 64), out = arena.allocate(4);
        quantize.invokeExact(arena.allocateFrom(JAVA_FLOAT, a.x()), y, (long) cols);
        for (String tn : types) {
            GgmlType type = GgmlType.valueOf(tn);
            String name = "ggml_vec_dot_" + type.name().toLowerCase(java.util.Locale.ROOT).replace("_k", "_K") + "_q8_K";
            MethodHandle vecDot = l.downcallHandle(cpu.find(name).orElseThrow(),
                    FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT));
            WeightMatrix m = KQuants2Test.weights(type, rows, cols, true, 9, arena);
            long rb = m.rowBytes();
            double bestJ = 1e9, bestG = 1e9;
            float sink = 0;
            for (int rep = 0; rep < 400; rep++) {
                long t0 = System.nanoTime();
                for (int r = 0; r < rows; r++) {
                    sink += type == GgmlType.Q4_K ? KQuants.dotQ4_K(m.data(), r * rb, sbs, a.q(), 0, a.d(), 0, a.bs(), 0)
                            : type == GgmlType.Q6_K ? KQuants.dotQ6_K(m.data(), r * rb, sbs, a.q(), 0, a.d(), 0, a.bs(), 0)
                            : KQuants2.dot(type, m.data(), r * rb, sbs, a.q(), a.qp(), 0, a.d(), 0, a.bs(), 0);
                }
                long t1 = System.nanoTime();
                for (int r = 0; r < rows; r++) {
                    vecDot.invokeExact(cols, out, 0L, m.data().asSlice(r * rb), 0L, y, 0L, 1);
                    sink += out.get(JAVA_FLOAT, 0);
                }
                long t2 = System.nanoTime();
                if (rep >= 100) {
                    bestJ = Math.min(bestJ, (t1 - t0) / 1e3 / rows);
                    bestG = Math.min(bestG, (t2 - t1) / 1e3 / rows);
                }
            }
            System.out.printf("%-6s %dx%d: java %.2f us/row, ggml %.2f us/row, java/ggml speed %.2fx (%s) %s%n", type, rows, cols,
                    bestJ, bestG, bestG / bestJ, VectorWidths.describe(), sink == 12345 ? "!" : "");
        }
    }
}

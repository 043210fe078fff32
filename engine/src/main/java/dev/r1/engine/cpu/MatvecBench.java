package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * Matrix × vector throughput of any type the engine runs (GMAC/s, and GB/s of the file's bytes) and batched
 * matmul (tokens/s) on a matrix of random blocks larger than the caches. Not a test: run it by hand, e.g.
 * {@code java --add-modules jdk.incubator.vector -cp ... dev.r1.engine.cpu.MatvecBench [threads] [type] [rows]}.
 */
public final class MatvecBench {
    private MatvecBench() {}

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        GgmlType type = args.length > 1 ? GgmlType.valueOf(args[1]) : GgmlType.Q4_0;
        // 4th argument: the tensor name, which picks a kernel (Q6_K: "output.weight" takes the one-sum head kernel)
        // default: three FFN-sized matrices, ~62 MB of Q4_0, past any cache; a small row count shows the
        // in-cache (compute-bound) rate
        int cols = Integer.getInteger("cols", 1536), rows = args.length > 2 ? Integer.parseInt(args[2]) : 8960 * 3; // -Dcols=4096: 8B rows
        long bytes = (long) rows * cols / type.blockSize() * type.typeSize(); // the file's bytes: GB/s below is of those, not of the repacked layout
        MemorySegment seg = Arena.global().allocate(bytes, 64);
        SplittableRandom r = new SplittableRandom(1);
        for (long i = 0; i < bytes; i++) seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
        short d = Float.floatToFloat16(0.01f);
        for (long b = 0; b < bytes; b += type.typeSize()) {
            seg.set(QuantLayouts.I16, b, d);
            // dmin (Q4_K, Q5_K) or m (Q4_1, Q5_1) finite: a random f16 may be NaN, and such a matrix is not repacked
            if (type == GgmlType.Q4_K || type == GgmlType.Q5_K || type == GgmlType.Q4_1 || type == GgmlType.Q5_1) seg.set(QuantLayouts.I16, b + 2, d);
            // Q2_K keeps d and dmin at the block's end (bytes 80, 82), and its repacked kernel widens them as f16: finite
            if (type == GgmlType.Q2_K) for (int at : new int[] {80, 82}) seg.set(QuantLayouts.I16, b + at, d);
        }
        try (Parallel pool = new Parallel(threads)) {
            // laid out as the engine runs it (repacked where CpuBackend repacks)
            // the engine's arena for repacked weights (huge pages where the OS gives them), so the kernels stream what they stream there
            WeightMatrix w = CpuBackend.prepare(args.length > 3 ? args[3] : "bench", type, rows, cols, seg, new HugePageArena(), pool);
            Matmul mm = new Matmul(pool);
            float[] x = new float[64 * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            float[] out = new float[64 * rows];
            // -Dn=1,4,64: the token counts to time (4: four sequences decoded together by r1 serve)
            for (int n : java.util.Arrays.stream(System.getProperty("n", "1,64").split(",")).mapToInt(Integer::parseInt).toArray()) {
                int reps = (int) Math.max(n <= 4 ? 200 : 20, (n <= 4 ? 200L : 20L) * 26880 / rows);
                for (int i = 0; i < reps / 4; i++) mm.multiply(x, n, w, out); // warm-up (JIT)
                // -Drounds=N: N timed rounds, each printed (the first rounds of a large matrix may still run C1's code)
                for (int round = 0; round < Integer.getInteger("rounds", 1); round++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) mm.multiply(x, n, w, out);
                    double s = (System.nanoTime() - t0) / 1e9 / reps;
                    System.out.printf("%s%s %dx%d threads=%d n=%d: %.3f ms/call, %.2f GB/s weights, %.1f GMAC/s%n",
                            type, w.packed() != null ? " (repacked)" : "", rows, cols, threads, n, s * 1e3, bytes / s / 1e9, (double) rows * cols * n / s / 1e9);
                }
            }
        }
    }
}

package dev.r1.engine.cpu;

import java.util.SplittableRandom;

/**
 * Decode attention alone: one query row over an F16 cache at a given depth, every layer of a model shape,
 * as a decoded token runs it (ms per token). Not a test: run it by hand, e.g.
 * {@code java --add-modules jdk.incubator.vector -cp ... dev.r1.engine.cpu.AttentionBench [threads] [depth] [layers heads kvHeads hd]}
 * (defaults: 2 threads, depth 512, the 1.5B distill's 28 layers, 12 heads, 2 kv heads, head size 128).
 */
public final class AttentionBench {
    private AttentionBench() {}

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2, depth = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        int layers = args.length > 2 ? Integer.parseInt(args[2]) : 28, heads = args.length > 3 ? Integer.parseInt(args[3]) : 12;
        int kvHeads = args.length > 4 ? Integer.parseInt(args[4]) : 2, hd = args.length > 5 ? Integer.parseInt(args[5]) : 128;
        int kvDim = kvHeads * hd;
        KvCache cache = new KvCache(layers, depth + 1, kvDim, true);
        SplittableRandom r = new SplittableRandom(1);
        float[] k = new float[depth * kvDim], v = new float[depth * kvDim];
        for (int l = 0; l < layers; l++) {
            for (int i = 0; i < k.length; i++) {
                k[i] = (float) r.nextGaussian();
                v[i] = (float) r.nextGaussian();
            }
            cache.store(l, 0, depth, k, v);
        }
        float[] q = new float[heads * hd], k1 = new float[kvDim], v1 = new float[kvDim], out = new float[heads * hd];
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        KvCache[] caches = {cache};
        int[] pos = {depth};
        try (Parallel pool = new Parallel(threads)) {
            for (int round = 0; round < 5; round++) {
                int reps = 200;
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    for (int l = 0; l < layers; l++) {
                        CpuAttention.attendRows(pool, caches, pos, l, 1, 1, q, k1, v1, heads, kvHeads, hd, out);
                    }
                }
                double ms = (System.nanoTime() - t0) / 1e6 / reps;
                System.out.printf("attention depth %d, %d layers x %d heads (%d kv) x %d, threads=%d: %.3f ms/token%n",
                        depth + 1, layers, heads, kvHeads, hd, threads, ms);
            }
        }
    }
}

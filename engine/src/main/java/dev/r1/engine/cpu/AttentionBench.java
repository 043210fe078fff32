package dev.r1.engine.cpu;

import java.util.SplittableRandom;

/**
 * Attention alone over an F16 cache, every layer of a model shape: one decoded row at a given depth (ms per
 * token), or with {@code -Drows=N} a prompt chunk of N rows at positions {@code depth-N+1 ..} (ms per chunk; 64
 * rows or more take the tiled kernel, as a prefill does). Not a test: run it by hand, e.g.
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
        int rows = Integer.getInteger("rows", 1);
        float[] q = new float[rows * heads * hd], k1 = new float[rows * kvDim], v1 = new float[rows * kvDim], out = new float[rows * heads * hd];
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        for (int i = 0; i < k1.length; i++) {
            k1[i] = (float) r.nextGaussian();
            v1[i] = (float) r.nextGaussian();
        }
        KvCache[] caches = new KvCache[rows];
        int[] pos = new int[rows];
        for (int t = 0; t < rows; t++) {
            caches[t] = cache;
            pos[t] = depth - rows + 1 + t;
        }
        try (Parallel pool = new Parallel(threads)) {
            for (int round = 0; round < 5; round++) {
                int reps = Math.max(2, 200 / rows);
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    for (int l = 0; l < layers; l++) {
                        CpuAttention.attendRows(pool, caches, pos, l, rows, rows, q, k1, v1, heads, kvHeads, hd, out);
                    }
                }
                double ms = (System.nanoTime() - t0) / 1e6 / reps;
                System.out.printf("attention depth %d, %d row(s), %d layers x %d heads (%d kv) x %d, threads=%d: %.3f ms/%s%n",
                        depth + 1, rows, layers, heads, kvHeads, hd, threads, ms, rows == 1 ? "token" : "chunk");
            }
        }
    }
}

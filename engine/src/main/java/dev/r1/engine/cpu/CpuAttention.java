package dev.r1.engine.cpu;

/**
 * Causal grouped-query attention over the KV cache. A chunk of {@code n} tokens at positions
 * {@code pos0 ..} first appends its keys and values, then token t attends to positions
 * {@code 0 .. pos0+t}. Work is split by (token, kv head): the query heads sharing a kv head are done
 * together, so each cached key/value row is read (and, for F16, widened) once per group, not per head.
 */
public final class CpuAttention {
    private CpuAttention() {}

    private static final class Scratch {
        float[] scores = new float[0];
        final float[] row;

        Scratch(int hd) { row = new float[hd]; }
    }

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

    /**
     * @param q   n rows of {@code heads * hd}, rotated
     * @param k   n rows of {@code kvHeads * hd}, rotated
     * @param v   n rows of {@code kvHeads * hd}
     * @param out n rows of {@code heads * hd}
     */
    public static void attend(Parallel pool, KvCache cache, int layer, int pos0, int n, float[] q, float[] k, float[] v,
                              int heads, int kvHeads, int hd, float[] out) {
        cache.store(layer, pos0, n, k, v);
        int group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        pool.forRange(n * kvHeads, 1, (a, b) -> {
            for (int task = a; task < b; task++) {
                int t = task / kvHeads, g = task % kvHeads;
                one(cache, layer, pos0 + t, q, t * heads * hd, g, group, hd, scale, out);
            }
        });
    }

    private static void one(KvCache cache, int layer, int pos, float[] q, int qRow, int g, int group, int hd,
                            float scale, float[] out) {
        int len = pos + 1;
        Scratch s = SCRATCH.get();
        if (s == null || s.row.length != hd) SCRATCH.set(s = new Scratch(hd));
        if (s.scores.length < group * len) s.scores = new float[Math.max(group * len, 2 * s.scores.length)];
        float[] sc = s.scores, row = s.row;
        int kvOff = g * hd, kvDim = cache.kvDim();
        float[] k32 = cache.keys32(layer), v32 = cache.values32(layer);
        for (int j = 0; j < len; j++) {
            float[] src = k32;
            int at = j * kvDim + kvOff;
            if (src == null) {
                cache.key(layer, j, kvOff, hd, row);
                src = row;
                at = 0;
            }
            for (int h = 0; h < group; h++) {
                sc[h * len + j] = FloatKernels.dot(q, qRow + (g * group + h) * hd, src, at, hd) * scale;
            }
        }
        for (int h = 0; h < group; h++) {
            CpuOps.softmax(sc, h * len, len);
            java.util.Arrays.fill(out, qRow + (g * group + h) * hd, qRow + (g * group + h + 1) * hd, 0f);
        }
        for (int j = 0; j < len; j++) {
            float[] src = v32;
            int at = j * kvDim + kvOff;
            if (src == null) {
                cache.value(layer, j, kvOff, hd, row);
                src = row;
                at = 0;
            }
            for (int h = 0; h < group; h++) {
                FloatKernels.axpy(sc[h * len + j], src, at, out, qRow + (g * group + h) * hd, hd);
            }
        }
    }
}

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
        float[] qh = new float[0], kf = new float[0], vf = new float[0], ms = new float[0], vs = new float[0];
        final float[] lanes = new float[8];
        final float[] row;

        Scratch(int hd) { row = new float[hd]; }
    }

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();
    static boolean F16_ONLINE = Boolean.parseBoolean(System.getProperty("r1.f16online", "true"));

    private static float h(float x) { return Float.float16ToFloat(Float.floatToFloat16(x)); }

    /**
     * F16 cache: llama.cpp's CPU flash attention numerics (queries rounded to F16, online softmax, the
     * value accumulator rounded to F16 after every step), so that both engines agree to well below
     * quantization noise. Done in two passes with the same operations in the same order: per head the
     * scores and the softmax's running factors (a scalar recurrence), then the accumulator a quarter of a
     * head at a time kept in registers across all positions, instead of loaded and stored per position.
     */
    private static void f16Online(KvCache cache, int layer, int len, float[] q, int qRow, int g, int group, int hd,
                                  float scale, float[] out, Scratch s) {
        int L = F16Math.L;
        if (s.qh.length < group * hd) s.qh = new float[group * hd];
        if (s.kf.length < len * hd) {
            s.kf = new float[Math.max(len * hd, 2 * s.kf.length)];
            s.vf = new float[s.kf.length];
        }
        if (s.ms.length < len) {
            s.ms = new float[Math.max(len, 2 * s.ms.length)];
            s.vs = new float[s.ms.length];
        }
        float[] qh = s.qh, kf = s.kf, vf = s.vf, ms = s.ms, vs = s.vs;
        int base = qRow + g * group * hd;
        for (int i = 0; i < group * hd; i++) qh[i] = h(q[base + i]);
        int kvOff = g * hd;
        cache.rows(false, layer, 0, len, kvOff, hd, kf); // widened once for the heads of the group
        cache.rows(true, layer, 0, len, kvOff, hd, vf);
        for (int hh = 0; hh < group; hh++) {
            float m = Float.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < len; j++) {
                float sc = F16Math.dotHalfRows(qh, hh * hd, kf, j * hd, hd, s.lanes) * scale;
                float mj = Float.NaN, vj = 1f; // NaN: no rescale at this position
                if (sc > m) {
                    mj = (float) Math.exp(m - sc);
                    m = sc;
                } else {
                    vj = (float) Math.exp(sc - m);
                }
                ms[j] = mj;
                vs[j] = vj;
                sum = sum * (Float.isNaN(mj) ? 1f : mj) + vj;
            }
            float inv = sum == 0 ? 0 : 1f / sum;
            int o = base + hh * hd;
            if (hd % (4 * L) == 0) {
                for (int c = 0; c < hd; c += 4 * L) F16Math.accumulateRound(vf, hd, c, len, ms, vs, out, o + c, inv);
            } else {
                F16Math.accumulateRoundScalar(vf, hd, len, ms, vs, out, o, inv);
            }
        }
    }

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
        if (cache.isF16() && F16_ONLINE) {
            f16Online(cache, layer, len, q, qRow, g, group, hd, scale, out, s);
            return;
        }
        float[] qv = q;
        int qb = qRow;
        if (cache.isF16()) {
            // Keys are F16: round the queries to F16 too, as llama.cpp does (its K.Q runs on F16 pairs), so
            // both engines see the same scores; the rounding is well below the keys' own.
            if (s.qh.length < group * hd) s.qh = new float[group * hd];
            for (int i = 0; i < group * hd; i++) s.qh[i] = Float.float16ToFloat(Float.floatToFloat16(q[qRow + g * group * hd + i]));
            qv = s.qh;
            qb = -g * group * hd;
        }
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
                sc[h * len + j] = FloatKernels.dot(qv, qb + (g * group + h) * hd, src, at, hd) * scale;
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

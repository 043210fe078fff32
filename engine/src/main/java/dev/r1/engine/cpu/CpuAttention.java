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
        float[] qh = new float[0], acc = new float[0], vrow = new float[0];
        final float[] lanes = new float[8];
        final float[] row;

        Scratch(int hd) { row = new float[hd]; }
    }

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();
    static boolean F16_ONLINE = Boolean.parseBoolean(System.getProperty("r1.f16online", "true"));

    private static float h(float x) { return Float.float16ToFloat(Float.floatToFloat16(x)); }

    /**
     * F16 cache: llama.cpp's CPU flash attention numerics (queries rounded to F16, online softmax, the
     * value accumulator kept in F16), so that both engines agree to well below quantization noise.
     */
    private static void f16Online(KvCache cache, int layer, int len, float[] q, int qRow, int g, int group, int hd,
                                  float scale, float[] out, Scratch s) {
        if (s.qh.length < group * hd) s.qh = new float[group * hd];
        if (s.acc.length < group * hd) s.acc = new float[group * hd];
        if (s.vrow.length < hd) s.vrow = new float[hd];
        float[] qh = s.qh, acc = s.acc, krow = s.row, vrow = s.vrow;
        int base = qRow + g * group * hd;
        for (int i = 0; i < group * hd; i++) qh[i] = h(q[base + i]);
        java.util.Arrays.fill(acc, 0, group * hd, 0f);
        float[] m = new float[group], sum = new float[group];
        java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
        int kvOff = g * hd;
        for (int j = 0; j < len; j++) {
            cache.key(layer, j, kvOff, hd, krow);
            cache.value(layer, j, kvOff, hd, vrow);
            for (int hh = 0; hh < group; hh++) {
                float sc = F16Math.dotHalfRows(qh, hh * hd, krow, 0, hd, s.lanes) * scale;
                float ms = 1f, vs = 1f;
                int a = hh * hd;
                if (sc > m[hh]) {
                    ms = (float) Math.exp(m[hh] - sc);
                    m[hh] = sc;
                    F16Math.scaleRound(acc, a, hd, ms);
                } else {
                    vs = (float) Math.exp(sc - m[hh]);
                }
                F16Math.madRound(acc, a, vrow, hd, vs);
                sum[hh] = sum[hh] * ms + vs;
            }
        }
        for (int hh = 0; hh < group; hh++) {
            float inv = sum[hh] == 0 ? 0 : 1f / sum[hh];
            for (int i = 0; i < hd; i++) out[base + hh * hd + i] = acc[hh * hd + i] * inv;
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

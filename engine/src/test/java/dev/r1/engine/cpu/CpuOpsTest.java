package dev.r1.engine.cpu;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The non-matmul ops against float64 references on random inputs. Tolerances: float ops on O(1) values
 * accumulate ~1e-6 relative error; attention over an F16 cache adds the half-precision rounding of keys,
 * values, queries and the accumulator (2^-11 relative each), hence 1e-2 there.
 */
class CpuOpsTest {
    static final Parallel POOL = new Parallel(2);

    @AfterAll static void close() { POOL.close(); }

    static float[] rnd(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    @Test
    void rmsNorm() {
        int n = 3, dim = 100;
        float[] x = rnd(n * dim, 1), w = rnd(dim, 2), out = new float[n * dim];
        CpuOps.rmsNorm(x, w, 1e-6f, n, dim, out);
        for (int t = 0; t < n; t++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) x[t * dim + i] * x[t * dim + i];
            double inv = 1 / Math.sqrt(ss / dim + 1e-6);
            for (int i = 0; i < dim; i++) assertEquals(x[t * dim + i] * inv * w[i], out[t * dim + i], 1e-5);
        }
    }

    @Test
    void ropeNeoxAndNormalRotateTheRightPairs() {
        int heads = 2, hd = 8, n = 2, pos0 = 5;
        float[] factors = {1, 2, 4, 8};
        for (boolean neox : new boolean[] {true, false}) {
            float[] x = rnd(n * heads * hd, 3), y = x.clone();
            CpuOps.rope(y, n, heads, hd, pos0, dev.r1.engine.model.Backend.Rope.of(10000, hd, null, true).thetaScale(), factors, neox);
            for (int t = 0; t < n; t++) {
                for (int h = 0; h < heads; h++) {
                    int o = (t * heads + h) * hd;
                    for (int i = 0; i < hd / 2; i++) {
                        double th = (pos0 + t) * Math.pow(10000, -2.0 * i / hd) / (1 << i);
                        int a = neox ? o + i : o + 2 * i, b = neox ? a + hd / 2 : a + 1;
                        assertEquals(x[a] * Math.cos(th) - x[b] * Math.sin(th), y[a], 1e-5, "neox " + neox);
                        assertEquals(x[a] * Math.sin(th) + x[b] * Math.cos(th), y[b], 1e-5, "neox " + neox);
                    }
                }
            }
        }
    }

    @Test
    void softmaxAndSwiglu() {
        float[] x = rnd(37, 4), s = x.clone();
        CpuOps.softmax(s, 0, 37);
        double z = 0;
        for (float v : x) z += Math.exp(v);
        for (int i = 0; i < 37; i++) assertEquals(Math.exp(x[i]) / z, s[i], 1e-6);
        float[] g = rnd(5000, 5), u = rnd(5000, 6), r = g.clone();
        CpuOps.swiglu(POOL, r, u, 5000);
        for (int i = 0; i < 5000; i++) assertEquals(g[i] / (1 + Math.exp(-g[i])) * u[i], r[i], 1e-5);
    }

    @Test
    void halfHelpersMatchJavaHalfConversions() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) all[i] = (short) i;
        float[] f = new float[all.length];
        F16Math.toFloat(all, 0, f, all.length);
        for (int i = 0; i < all.length; i++) {
            float want = Float.float16ToFloat(all[i]);
            if (Float.isFinite(want)) assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(f[i]), "half bits " + i);
        }
        Random r = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            float x = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(20) - 10));
            if (Math.abs(x) < 0x1p-14f) continue; // half subnormals: documented difference
            float want = Float.float16ToFloat(Float.floatToFloat16(x));
            assertEquals(want, F16Math.round(x), Math.ulp(want), "round " + x);
        }
    }

    @Test
    void attentionMatchesFloat64CausalGqaOverBothCacheTypes() {
        int heads = 4, kvHeads = 2, hd = 16, ctx = 32, pos0 = 3, n = 5;
        for (boolean f16 : new boolean[] {false, true}) {
            KvCache cache = new KvCache(2, ctx, kvHeads * hd, f16);
            // earlier tokens 0..pos0 first (one chunk), then the chunk under test
            float[] k0 = rnd(pos0 * kvHeads * hd, 10), v0 = rnd(pos0 * kvHeads * hd, 11);
            float[] q0 = rnd(pos0 * heads * hd, 12), o0 = new float[pos0 * heads * hd];
            CpuAttention.attend(POOL, cache, 1, 0, pos0, q0, k0, v0, heads, kvHeads, hd, o0);
            float[] k = rnd(n * kvHeads * hd, 13), v = rnd(n * kvHeads * hd, 14), q = rnd(n * heads * hd, 15);
            float[] out = new float[n * heads * hd];
            CpuAttention.attend(POOL, cache, 1, pos0, n, q, k, v, heads, kvHeads, hd, out);
            for (int t = 0; t < n; t++) {
                for (int h = 0; h < heads; h++) {
                    int g = h / (heads / kvHeads), len = pos0 + t + 1;
                    double[] s = new double[len];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < len; j++) {
                        float[] kk = j < pos0 ? k0 : k;
                        int row = j < pos0 ? j : j - pos0;
                        for (int i = 0; i < hd; i++) s[j] += (double) q[(t * heads + h) * hd + i] * kk[(row * kvHeads + g) * hd + i];
                        s[j] /= Math.sqrt(hd);
                        max = Math.max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j < len; j++) z += s[j] = Math.exp(s[j] - max);
                    for (int i = 0; i < hd; i++) {
                        double want = 0;
                        for (int j = 0; j < len; j++) {
                            float[] vv = j < pos0 ? v0 : v;
                            int row = j < pos0 ? j : j - pos0;
                            want += s[j] / z * vv[(row * kvHeads + g) * hd + i];
                        }
                        assertEquals(want, out[(t * heads + h) * hd + i], f16 ? 1e-2 : 1e-5, "f16 " + f16 + " t " + t + " h " + h);
                    }
                }
            }
        }
    }

    @Test
    void cacheRejectsPositionsPastTheContext() {
        KvCache c = new KvCache(1, 4, 8, true);
        float[] kv = new float[5 * 8];
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> c.store(0, 2, 3, kv, kv));
        assertTrue(e.getMessage().contains("context"), e.getMessage());
    }
}

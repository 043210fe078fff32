package dev.r1.engine.cpu;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attention over the F16 cache against a scalar transcription of ggml's CPU flash attention (the F16 path
 * of {@code ggml_compute_forward_flash_attn_ext_f16}: F16 query, ggml's F16 dot order, {@code expf},
 * F16 accumulator rounded after every scale and multiply-add), bit for bit, with head sizes that take
 * each of the kernel's paths (blocked scores and eight-vector accumulator at 128, blocked scores and
 * scalar accumulator at 32, row dots and scalar accumulator at 16) over several 64-position chunks.
 *
 * <p>The accumulator's rounding is {@link F16Math#round} here as in the kernel: it equals F16C's for
 * every value but half subnormals (|x| < 2^-14, where it keeps 11 significant bits instead of steps of
 * 2^-24; {@code CpuOpsTest} checks the rest). Exact rounding there would cost two more operations per
 * vector and position in the hottest loop of attention, for differences of at most 2^-25 absolute.
 */
class F16AttentionTest {
    static final Parallel POOL = new Parallel(2);

    @AfterAll static void close() { POOL.close(); }

    private static float h(float x) { return Float.float16ToFloat(Float.floatToFloat16(x)); }

    /** ggml_vec_dot_f16 on AVX2, as a scalar loop: 4 accumulators x 8 lanes, then the fixed reduction. */
    static float ggmlDot(float[] a, int ao, float[] b, int bo, int n) {
        float[][] acc = new float[4][8];
        int np = n & ~31;
        for (int i = 0; i < np; i += 32) {
            for (int j = 0; j < 4; j++) {
                for (int l = 0; l < 8; l++) acc[j][l] = Math.fma(a[ao + i + 8 * j + l], b[bo + i + 8 * j + l], acc[j][l]);
            }
        }
        float[] s = new float[8];
        for (int l = 0; l < 8; l++) s[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
        float sum = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
        double tail = sum;
        for (int i = np; i < n; i++) tail += a[ao + i] * b[bo + i];
        return (float) tail;
    }

    /** One head at one query position over keys/values 0..len (already F16-valued floats). */
    static float[] reference(float[] q, float[][] keys, float[][] values, int len, int hd) {
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] qh = new float[hd], acc = new float[hd];
        for (int i = 0; i < hd; i++) qh[i] = h(q[i]);
        float m = Float.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < len; j++) {
            float s = ggmlDot(keys[j], 0, qh, 0, hd) * scale;
            float old = m, ms = 1f, vs = 1f;
            if (s > m) {
                m = s;
                ms = expf(old - m);
                for (int i = 0; i < hd; i++) acc[i] = F16Math.round(acc[i] * ms);
            } else {
                vs = expf(s - m);
            }
            for (int i = 0; i < hd; i++) acc[i] = F16Math.round(Math.fma(values[j][i], vs, acc[i]));
            sum = sum * ms + vs;
        }
        float inv = sum == 0 ? 0 : 1f / sum;
        for (int i = 0; i < hd; i++) acc[i] *= inv;
        return acc;
    }

    @Test
    void matchesGgmlFlashAttentionBitForBit() {
        for (int hd : new int[] {128, 32, 16}) {
            int heads = 6, kvHeads = 2, group = heads / kvHeads, prompt = 150, decode = 20, ctx = prompt + decode;
            Random r = new Random(hd);
            KvCache cache = new KvCache(1, ctx, kvHeads * hd, true);
            float[][][] keys = new float[kvHeads][ctx][hd], values = new float[kvHeads][ctx][hd];
            int pos = 0;
            // chunks under 64 rows: ggml's one-row kernel (GgmlFlashAttentionParityTest covers its tiled one)
            for (int n : new int[] {60, 60, 30, 1, 1, 1, 7, 10}) {
                float[] q = new float[n * heads * hd], k = new float[n * kvHeads * hd], v = new float[n * kvHeads * hd];
                // scores of a few units: new maxima now and then, and weights far from 0 and 1
                for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian() * 0.5f;
                for (int i = 0; i < k.length; i++) k[i] = (float) r.nextGaussian() * 0.5f;
                for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
                for (int t = 0; t < n; t++) {
                    for (int g = 0; g < kvHeads; g++) {
                        for (int i = 0; i < hd; i++) {
                            keys[g][pos + t][i] = h(k[(t * kvHeads + g) * hd + i]);
                            values[g][pos + t][i] = h(v[(t * kvHeads + g) * hd + i]);
                        }
                    }
                }
                float[] out = new float[n * heads * hd];
                CpuAttention.attend(POOL, cache, 0, pos, n, q, k, v, heads, kvHeads, hd, out);
                for (int t = 0; t < n; t++) {
                    for (int hh = 0; hh < heads; hh++) {
                        float[] qi = java.util.Arrays.copyOfRange(q, (t * heads + hh) * hd, (t * heads + hh + 1) * hd);
                        float[] want = reference(qi, keys[hh / group], values[hh / group], pos + t + 1, hd);
                        for (int i = 0; i < hd; i++) {
                            assertEquals(want[i], out[(t * heads + hh) * hd + i], 0f,
                                    "hd " + hd + " position " + (pos + t) + " head " + hh + " column " + i);
                        }
                    }
                }
                pos += n;
            }
        }
    }

    /**
     * A decoding row over 512+ cells takes the split path; on threads that never ran attention before (a new
     * pool, a new caller) it read its scratch accumulator before sizing it (ArrayIndexOutOfBounds, found by
     * {@code AttentionBench}). It must run there, and give what the same call gives on warmed threads.
     */
    @Test
    void splitDecodeRunsOnThreadsThatNeverAttendedBefore() throws Exception {
        int heads = 4, kvHeads = 2, hd = 128, depth = 600;
        Random r = new Random(3);
        KvCache cache = new KvCache(1, depth + 1, kvHeads * hd, true);
        float[] k = new float[depth * kvHeads * hd], v = new float[k.length];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) r.nextGaussian();
            v[i] = (float) r.nextGaussian();
        }
        cache.store(0, 0, depth, k, v);
        float[] q = new float[heads * hd], k1 = new float[kvHeads * hd], v1 = new float[kvHeads * hd];
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        float[][] outs = new float[2][heads * hd];
        Throwable[] failed = new Throwable[1];
        Thread fresh = new Thread(() -> { // a new caller thread and a new pool: nobody's scratch exists yet
            try (Parallel pool = new Parallel(2)) {
                for (float[] out : outs) {
                    CpuAttention.attendRows(pool, new KvCache[] {cache}, new int[] {depth}, 0, 1, 1, q, k1, v1, heads, kvHeads, hd, out);
                }
            } catch (Throwable t) {
                failed[0] = t;
            }
        });
        fresh.start();
        fresh.join();
        if (failed[0] != null) throw new AssertionError("first split decode on fresh threads", failed[0]);
        assertTrue(java.util.Arrays.equals(outs[0], outs[1]), "fresh and warmed threads differ");
        assertTrue(java.util.stream.IntStream.range(0, heads * hd).allMatch(i -> Float.isFinite(outs[0][i])), "non-finite output");
    }

    /** libm's {@code expf}, the one llama.cpp's attention calls (glibc on these machines). */
    static final java.lang.invoke.MethodHandle EXPF = java.lang.foreign.Linker.nativeLinker().downcallHandle(
            java.lang.foreign.Linker.nativeLinker().defaultLookup().find("expf").orElseThrow(),
            java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_FLOAT, java.lang.foreign.ValueLayout.JAVA_FLOAT));

    static float expf(float x) {
        try {
            return (float) EXPF.invokeExact(x);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** glibc's expf is not the correctly rounded e^x (about 1 argument in 2 000 differs): ours gives its bits. */
    @Test
    void expIsLibmsExpf() {
        Random r = new Random(7);
        int n = 1 << 22, notRounded = 0;
        float[] x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) x[i] = -(float) (r.nextDouble() * (i % 2 == 0 ? 1 : 110));
        x[0] = 0f;
        x[1] = Float.NEGATIVE_INFINITY;
        x[2] = -103.97208f;
        x[3] = -87.33655f; // around the smallest normal float
        x[4] = -Float.MIN_VALUE;
        x[5] = -200f;
        x[6] = -103.972084f; // glibc's underflow bound and its neighbours
        x[7] = -103.97207f;
        ExpF.exp(x, y, n);
        float[] y4 = new float[n];
        ExpF.expVector(x, y4, n, new double[4]); // the four-lane form (-Dr1.expf.scalar=false) gives the same bits
        for (int i = 0; i < n; i++) assertEquals(Float.floatToRawIntBits(y[i]), Float.floatToRawIntBits(y4[i]), "x = " + x[i]);
        for (int i = 0; i < n; i++) {
            float want = expf(x[i]);
            if (want != (float) StrictMath.exp(x[i])) notRounded++;
            if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(y[i])) assertEquals(want, y[i], 0f, "exp(" + x[i] + ")");
        }
        assertTrue(notRounded > 0, "libm's expf was correctly rounded on every argument: the test would not tell");
        assertTrue(notRounded < n / 500, notRounded + " of " + n + " differ from the rounded e^x: not libm's near-exact expf");
    }
}

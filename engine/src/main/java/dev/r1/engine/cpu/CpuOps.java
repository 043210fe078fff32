package dev.r1.engine.cpu;

/**
 * The non-matmul transformer ops on float arrays, rows of {@code dim} floats for {@code n} tokens.
 * Each is small next to the matmuls; the ones that scale with context (attention) or with the FFN width
 * (SwiGLU) run on the pool.
 */
public final class CpuOps {
    private CpuOps() {}

    /**
     * {@code out[t] = x[t] / sqrt(mean(x[t]^2) + eps) * w} for each of {@code n} rows. The sum of squares
     * is taken in double, in order, and the scale rounded as ggml does: a vector reduction's lane order is
     * unspecified (and differs between JIT tiers), and a last-bit change of this scale moves every
     * element of the row and with them the 8-bit rounding of the next matmul's activations.
     */
    public static void rmsNorm(float[] x, float[] w, float eps, int n, int dim, float[] out) {
        for (int t = 0; t < n; t++) {
            int o = t * dim;
            double sum = 0;
            for (int i = 0; i < dim; i++) sum += x[o + i] * x[o + i];
            float mean = (float) (sum / dim);
            float scale = 1f / (float) Math.sqrt(mean + eps);
            for (int i = 0; i < dim; i++) out[o + i] = x[o + i] * scale * w[i];
        }
    }

    /** {@code x[t][i] += b[i]}. */
    public static void addBias(float[] x, float[] b, int n, int dim) {
        for (int t = 0; t < n; t++) FloatKernels.add(x, t * dim, b, 0, dim);
    }

    /** {@code x[i] += y[i]} for {@code len} floats. */
    public static void add(float[] x, float[] y, int len) {
        FloatKernels.add(x, 0, y, 0, len);
    }

    /**
     * {@code gate[i] = silu(gate[i]) * up[i]} for {@code len} floats, on the pool, with ggml's vector
     * {@code expf} ({@link GgmlExp}): the result is quantized to 8 bits for the next matmul, and a last-bit
     * difference from llama.cpp's SwiGLU moves an activation across a rounding boundary now and then,
     * which on its own made our logits drift from llama.cpp's by a KL of ~1e-4.
     */
    public static void swiglu(Parallel pool, float[] gate, float[] up, int len) {
        pool.forRange(len, Math.max(1024, len / (pool.size() * 2)), (a, b) -> GgmlExp.swiglu(gate, up, a, b));
    }

    /** In-place softmax of {@code x[off .. off+n)}. */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        float sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    /**
     * Rotary position embedding, in place, on {@code n} rows of {@code heads * headDim}, token t at
     * position {@code pos0 + t}. Pair {@code i} (0 .. headDim/2) rotates by {@code pos * scale^i / factor[i]}
     * with the angle built in float by repeated multiplication, as ggml does ({@code thetaScale}
     * = base^(-2/headDim)); {@code factors} (llama3's {@code rope_freqs}, divisors of the frequency)
     * may be null. NEOX (qwen2) pairs element i with i + headDim/2, normal (llama) pairs 2i with 2i+1.
     * The angles follow ggml's float arithmetic rather than float64, their cosines and sines are libm's
     * ({@link LibmTrig}), and the rotation is ggml's compiled arithmetic (two fused multiply-adds), because
     * rotated keys and queries feed the attention whose output is quantized to 8 bits for the next matmul
     * (see {@link #swiglu}); {@code GgmlRopeParityTest} holds it to ggml's op bit for bit.
     */
    public static void rope(float[] x, int n, int heads, int headDim, int pos0, float thetaScale, float[] factors, boolean neox) {
        int[] pos = new int[n];
        for (int t = 0; t < n; t++) pos[t] = pos0 + t;
        rope(x, n, heads, headDim, pos, thetaScale, factors, neox);
    }

    /** As above, row {@code t} at position {@code pos[t]}. */
    public static void rope(float[] x, int n, int heads, int headDim, int[] pos, float thetaScale, float[] factors, boolean neox) {
        int half = headDim / 2;
        float[] cos = new float[half], sin = new float[half];
        for (int t = 0; t < n; t++) {
            float theta = pos[t];
            for (int i = 0; i < half; i++) {
                float a = factors == null ? theta : theta / factors[i];
                cos[i] = LibmTrig.cosf(a); // libm's, as ggml's (not the correctly rounded ones)
                sin[i] = LibmTrig.sinf(a);
                theta *= thetaScale;
            }
            for (int h = 0; h < heads; h++) {
                int o = (t * heads + h) * headDim;
                for (int i = 0; i < half; i++) {
                    int i0 = neox ? o + i : o + 2 * i;
                    int i1 = neox ? i0 + half : i0 + 1;
                    float a = x[i0], b = x[i1];
                    // ggml's build contracts these into fused multiply-adds, one product rounded apiece
                    x[i0] = Math.fma(a, cos[i], -(b * sin[i]));
                    x[i1] = Math.fma(a, sin[i], b * cos[i]);
                }
            }
        }
    }
}

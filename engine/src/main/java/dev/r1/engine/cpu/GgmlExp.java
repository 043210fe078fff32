package dev.r1.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The single-precision {@code exp} that ggml's CPU SiLU/SwiGLU uses on x86 (a range reduction to
 * {@code 2^n * e^b} with a degree-5 polynomial, max error ~1.5 ulp; the algorithm of Arm's optimized
 * routines), written out with the same operations in the same order — every step is one IEEE operation or
 * one fused multiply-add — so each lane gives the bits llama.cpp gives. Lanes are independent, so the
 * species width does not change any result.
 *
 * <p>Why not {@code Math.exp}: SwiGLU's output is quantized to 8 bits before {@code ffn_down}; values
 * that differ in the last bit from llama.cpp's land on the other side of a rounding boundary now and
 * then, and the engines' logits then differ by far more than float noise.
 */
final class GgmlExp {
    private GgmlExp() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_MAX.withShape(VectorWidths.SHAPE);
    private static final int L = F.length();

    private static final float R = 0x1.8p23f, LOG2E = 0x1.715476p+0f, LN2_HI = 0x1.62e4p-1f, LN2_LO = 0x1.7f7d1cp-20f;
    private static final float C4 = 0x1.0e4020p-7f, C3 = 0x1.573e2ep-5f, C2 = 0x1.555e66p-3f, C1 = 0x1.fffdb6p-2f,
            C0 = 0x1.ffffecp-1f;
    private static final int ONE_BITS = Float.floatToRawIntBits(1f);

    /** e^x as ggml's vector {@code expf}, one lane. */
    static float exp(float x) {
        float z = Math.fma(x, LOG2E, R);
        float n = z - R;
        float b = Math.fma(-n, LN2_LO, Math.fma(-n, LN2_HI, x));
        int e = Float.floatToRawIntBits(z) << 23;
        float k = Float.intBitsToFloat(e + ONE_BITS);
        float u = b * b;
        float j = Math.fma(Math.fma(Math.fma(C4, b, C3), u, Math.fma(C2, b, C1)), u, C0 * b);
        if (!(Math.abs(n) > 126)) return Math.fma(j, k, k);
        // 2^n leaves the normal range: split the scale in two factors (or saturate past |n| > 192)
        int g = n <= 0 ? 0x82000000 : 0;
        float s1 = Float.intBitsToFloat(g + 0x7f000000);
        float s2 = Float.intBitsToFloat(e - g);
        if (Math.abs(n) > 192) return s1 * s1;
        return Math.fma(s2, j, s2) * s1;
    }

    /** silu(x) = x / (1 + e^-x), as ggml computes it ({@code -x} as {@code 0 - x}). */
    static float silu(float x) {
        return x / (1f + exp(0f - x));
    }

    /** {@code gate[i] = silu(gate[i]) * up[i]} for {@code i} in {@code [from, to)}. */
    static void swiglu(float[] gate, float[] up, int from, int to) {
        int i = from;
        FloatVector zero = FloatVector.zero(F), one = FloatVector.broadcast(F, 1f);
        FloatVector vln2lo = FloatVector.broadcast(F, LN2_LO), vln2hi = FloatVector.broadcast(F, LN2_HI);
        FloatVector vc4 = FloatVector.broadcast(F, C4), vc3 = FloatVector.broadcast(F, C3), vc2 = FloatVector.broadcast(F, C2),
                vc1 = FloatVector.broadcast(F, C1);
        for (; i <= to - L; i += L) {
            FloatVector x = FloatVector.fromArray(F, gate, i);
            FloatVector nx = zero.sub(x);
            FloatVector z = nx.fma(LOG2E, R);
            FloatVector n = z.sub(R);
            FloatVector nn = n.neg();
            FloatVector b = nn.fma(vln2lo, nn.fma(vln2hi, nx));
            IntVector e = z.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23);
            FloatVector k = e.add(ONE_BITS).reinterpretAsFloats();
            FloatVector u = b.mul(b);
            FloatVector j = vc4.fma(b, vc3).fma(u, vc2.fma(b, vc1)).fma(u, b.mul(C0));
            VectorMask<Float> big = n.abs().compare(VectorOperators.GT, 126f);
            if (big.anyTrue()) {
                for (int l = 0; l < L; l++) gate[i + l] = silu(gate[i + l]) * up[i + l]; // rare: |x| > ~87
                continue;
            }
            FloatVector ex = j.fma(k, k);
            x.div(one.add(ex)).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        for (; i < to; i++) gate[i] = silu(gate[i]) * up[i];
    }
}

package dev.r1.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Half-precision helpers in vectors (the Vector API has no half-float conversion in JDK 25): widening by
 * bit placement and a power-of-two rescale (exact for every finite half, subnormals included), and
 * rounding a float to half precision by Veltkamp splitting (11 significant bits, round to nearest; exact
 * f16 rounding for |x| >= 2^-14, i.e. everywhere but the half-subnormal range).
 */
final class F16Math {
    private F16Math() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED.withShape(
            jdk.incubator.vector.VectorShape.forBitSize(F.vectorBitSize() / 2));
    static final int L = F.length();
    private static final float TWO_112 = 0x1p112f;
    private static final float SPLIT = 8193f; // 2^13 + 1: keeps 24 - 13 = 11 significant bits

    /** {@code dst[0..n) = (float) src[at ..]} for half-float bits. */
    static void toFloat(short[] src, int at, float[] dst, int n) {
        toFloat(src, at, dst, 0, n);
    }

    /** {@code dst[dOff..dOff+n) = (float) src[at ..]} for half-float bits. */
    static void toFloat(short[] src, int at, float[] dst, int dOff, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            IntVector h = (IntVector) ShortVector.fromArray(S, src, at + i).convertShape(VectorOperators.S2I, I, 0);
            IntVector mag = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
            IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
            FloatVector f = mag.reinterpretAsFloats().mul(TWO_112);
            f.reinterpretAsInts().or(sign).reinterpretAsFloats().intoArray(dst, dOff + i);
        }
        for (; i < n; i++) dst[dOff + i] = Float.float16ToFloat(src[at + i]);
    }

    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    /**
     * Dot product of two rows holding half-precision values, summed in one fixed order (four 8-lane
     * accumulators over steps of 32, folded pairwise, lanes added as {@code ((0+4)+(1+5))+((2+6)+(3+7))},
     * as ggml's F16 dot on x86). A fixed order keeps scores identical whichever JIT tier runs and equal to
     * llama.cpp's; {@code reduceLanes} leaves the order open. {@code v} is 8 floats of scratch from the
     * caller: fetching it here (a {@code ThreadLocal}) while the accumulators are live let C2 box them.
     */
    static float dotHalfRows(float[] a, int ao, float[] b, int bo, int n, float[] v) {
        int i = 0;
        float tail = 0;
        FloatVector s0 = FloatVector.zero(F8), s1 = s0, s2 = s0, s3 = s0;
        for (; i <= n - 32; i += 32) {
            s0 = FloatVector.fromArray(F8, a, ao + i).fma(FloatVector.fromArray(F8, b, bo + i), s0);
            s1 = FloatVector.fromArray(F8, a, ao + i + 8).fma(FloatVector.fromArray(F8, b, bo + i + 8), s1);
            s2 = FloatVector.fromArray(F8, a, ao + i + 16).fma(FloatVector.fromArray(F8, b, bo + i + 16), s2);
            s3 = FloatVector.fromArray(F8, a, ao + i + 24).fma(FloatVector.fromArray(F8, b, bo + i + 24), s3);
        }
        for (; i < n; i++) tail += a[ao + i] * b[bo + i];
        s0.add(s2).add(s1.add(s3)).intoArray(v, 0);
        float t0 = v[0] + v[4], t1 = v[1] + v[5], t2 = v[2] + v[6], t3 = v[3] + v[7];
        return ((t0 + t1) + (t2 + t3)) + tail;
    }

    /** x rounded to half precision (as a float). */
    static float round(float x) {
        float t = x * SPLIT;
        return t - (t - x);
    }

    /**
     * Columns {@code c .. c+4L} of one head's F16 accumulator over positions {@code 0..len}: at position j,
     * {@code acc = half(acc * ms[j])} when {@code ms[j]} is not NaN (a new maximum), then {@code acc =
     * half(fma(v[j], vs[j], acc))}, the accumulator kept in registers; finally {@code out = acc * inv}.
     * Rounding to half is {@link #round(float)} on vectors, written out.
     */
    static void accumulateRound(float[] v, int hd, int c, int len, float[] ms, float[] vs, float[] out, int o, float inv) {
        int L2 = L;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < len; j++) {
            float mj = ms[j];
            if (mj == mj) { // not NaN: rescale; the rounding written out (a helper taking vectors may be left un-inlined, then C2 boxes)
                FloatVector x = a0.mul(mj), t = x.mul(SPLIT);
                a0 = t.sub(t.sub(x));
                x = a1.mul(mj); t = x.mul(SPLIT);
                a1 = t.sub(t.sub(x));
                x = a2.mul(mj); t = x.mul(SPLIT);
                a2 = t.sub(t.sub(x));
                x = a3.mul(mj); t = x.mul(SPLIT);
                a3 = t.sub(t.sub(x));
            }
            int at = j * hd + c;
            FloatVector vj = FloatVector.broadcast(F, vs[j]);
            FloatVector x0 = FloatVector.fromArray(F, v, at).fma(vj, a0), t0 = x0.mul(SPLIT);
            FloatVector x1 = FloatVector.fromArray(F, v, at + L2).fma(vj, a1), t1 = x1.mul(SPLIT);
            FloatVector x2 = FloatVector.fromArray(F, v, at + 2 * L2).fma(vj, a2), t2 = x2.mul(SPLIT);
            FloatVector x3 = FloatVector.fromArray(F, v, at + 3 * L2).fma(vj, a3), t3 = x3.mul(SPLIT);
            a0 = t0.sub(t0.sub(x0));
            a1 = t1.sub(t1.sub(x1));
            a2 = t2.sub(t2.sub(x2));
            a3 = t3.sub(t3.sub(x3));
        }
        a0.mul(inv).intoArray(out, o);
        a1.mul(inv).intoArray(out, o + L2);
        a2.mul(inv).intoArray(out, o + 2 * L2);
        a3.mul(inv).intoArray(out, o + 3 * L2);
    }

    /** {@link #accumulateRound} for a head size that is not a multiple of four vectors. */
    static void accumulateRoundScalar(float[] v, int hd, int len, float[] ms, float[] vs, float[] out, int o, float inv) {
        for (int i = 0; i < hd; i++) {
            float a = 0;
            for (int j = 0; j < len; j++) {
                if (ms[j] == ms[j]) a = round(a * ms[j]);
                a = round(Math.fma(v[j * hd + i], vs[j], a));
            }
            out[o + i] = a * inv;
        }
    }
}

package dev.r1.engine.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code (float) e^x} for float {@code x <= 0}, four lanes (in double) at a time: the value libm's {@code expf} gives
 * (the one llama.cpp's CPU attention calls per key), i.e. {@code (float) Math.exp(x)}. Computed in double
 * (Cody–Waite reduction by ln 2, degree-13 Taylor polynomial, error a few double ulps), then rounded once
 * to float, which is the correctly rounded float except when e^x lies within ~1e-15 (relative) of a
 * rounding boundary between floats. Why not {@code Math.exp}: one call per key and head cost ~20 ns, as
 * much as the rest of the attention step.
 */
final class ExpF {
    private ExpF() {}

    private static final VectorSpecies<Double> D4 = DoubleVector.SPECIES_256;
    private static final double LOG2E = 1.4426950408889634, LN2 = 0.6931471805599453, LN2_LO = 2.3190468138462996e-17;
    /** 1.5·2^52: adding it rounds to an integer, which the low bits then hold. */
    private static final double MAGIC = 0x1.8p52;
    private static final long MAGIC_BITS = Double.doubleToRawLongBits(MAGIC);
    /** Below this e^x rounds to float zero (half the smallest subnormal is e^-103.97). */
    private static final double LOW = -104;
    // 1/k! for k = 0..13
    private static final double C0 = 1, C1 = 1, C2 = 1.0 / 2, C3 = 1.0 / 6, C4 = 1.0 / 24, C5 = 1.0 / 120, C6 = 1.0 / 720,
            C7 = 1.0 / 5040, C8 = 1.0 / 40320, C9 = 1.0 / 362880, C10 = 1.0 / 3628800, C11 = 1.0 / 39916800,
            C12 = 1.0 / 479001600, C13 = 1.0 / 6227020800.0;

    /** {@code y[i] = (float) e^x[i]} for {@code i < n}; both arrays hold at least {@code n} rounded up to 4. */
    static void exp(float[] x, float[] y, int n) {
        exp(x, y, n, new double[4]);
    }

    /**
     * As {@link #exp(float[], float[], int)}, with {@code w} (4 doubles) as scratch. Floats are widened and
     * narrowed one by one (exact, and the same rounding as the vector conversion), not through 128-bit float
     * vectors: those were the only float vectors of another shape than the kernels' on AVX2, and their
     * receiver types in the Vector API's shared methods (FloatVector.intoArray) made C2 box the quantized
     * kernels' accumulators in some runs (decoding ~35% slower for the whole process).
     */
    static void exp(float[] x, float[] y, int n, double[] w) {
        for (int i = 0; i < n; i += 4) {
            w[0] = x[i];
            w[1] = x[i + 1];
            w[2] = x[i + 2];
            w[3] = x[i + 3];
            DoubleVector v = DoubleVector.fromArray(D4, w, 0).max(LOW);
            DoubleVector t = v.fma(LOG2E, MAGIC);
            DoubleVector k = t.sub(MAGIC);
            DoubleVector r = k.neg().fma(DoubleVector.broadcast(D4, LN2), v);
            r = k.neg().fma(DoubleVector.broadcast(D4, LN2_LO), r);
            DoubleVector p = r.fma(C13, C12);
            p = p.fma(r, DoubleVector.broadcast(D4, C11)).fma(r, DoubleVector.broadcast(D4, C10));
            p = p.fma(r, DoubleVector.broadcast(D4, C9)).fma(r, DoubleVector.broadcast(D4, C8));
            p = p.fma(r, DoubleVector.broadcast(D4, C7)).fma(r, DoubleVector.broadcast(D4, C6));
            p = p.fma(r, DoubleVector.broadcast(D4, C5)).fma(r, DoubleVector.broadcast(D4, C4));
            p = p.fma(r, DoubleVector.broadcast(D4, C3)).fma(r, DoubleVector.broadcast(D4, C2));
            p = p.fma(r, DoubleVector.broadcast(D4, C1)).fma(r, DoubleVector.broadcast(D4, C0));
            DoubleVector scale = ((LongVector) t.reinterpretAsLongs()).sub(MAGIC_BITS - 1023).lanewise(VectorOperators.LSHL, 52)
                    .reinterpretAsDoubles();
            p.mul(scale).intoArray(w, 0);
            y[i] = (float) w[0];
            y[i + 1] = (float) w[1];
            y[i + 2] = (float) w[2];
            y[i + 3] = (float) w[3];
        }
    }
}

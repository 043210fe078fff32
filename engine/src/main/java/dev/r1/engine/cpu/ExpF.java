package dev.r1.engine.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code (float) e^x} for float {@code x <= 0}, four lanes at a time: the value libm's {@code expf} gives
 * (the one llama.cpp's CPU attention calls per key), i.e. {@code (float) Math.exp(x)}. Computed in double
 * (Cody–Waite reduction by ln 2, degree-13 Taylor polynomial, error a few double ulps), then rounded once
 * to float, which is the correctly rounded float except when e^x lies within ~1e-15 (relative) of a
 * rounding boundary between floats. Why not {@code Math.exp}: one call per key and head cost ~20 ns, as
 * much as the rest of the attention step.
 */
final class ExpF {
    private ExpF() {}

    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;
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
        for (int i = 0; i < n; i += 4) {
            DoubleVector v = ((DoubleVector) FloatVector.fromArray(F4, x, i).convertShape(VectorOperators.F2D, D4, 0)).max(LOW);
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
            p.mul(scale).convertShape(VectorOperators.D2F, F4, 0).reinterpretAsFloats().intoArray(y, i);
        }
    }
}

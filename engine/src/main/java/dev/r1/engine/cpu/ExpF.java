package dev.r1.engine.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code expf} for float {@code x <= 0} (in double, one element or four lanes at a time), giving glibc's bits: llama.cpp's CPU
 * attention calls libm's {@code expf} per key (the one-row kernel) and per tile (the tiled one), and glibc's
 * is not the correctly rounded e^x — it differs from it in about 1 of 2 000 arguments (measured over 20 M
 * arguments in [-103, 0]). This is glibc's algorithm (Arm's optimized routines, {@code e_expf.c}, as its FMA
 * build computes it): x·32/ln 2 split into k + r, 2^(k/32) from a 32-entry table with k/32's integer part
 * added to the exponent, 2^(r/32) by a cubic, all in double, rounded to float once. Checked against libm's
 * {@code expf} itself ({@code F16AttentionTest}). Not {@code Math.exp}: one call per key and head cost ~20 ns,
 * as much as the rest of the attention step; this transcription costs 1.4-2.1 ns an element.
 */
final class ExpF {
    private ExpF() {}

    private static final VectorSpecies<Double> D4 = DoubleVector.SPECIES_256;
    private static final int N = 32;
    /** x·N/ln 2 (glibc's {@code invln2_scaled}). */
    private static final double INVLN2N = 0x1.71547652b82fep+0 * N;
    /** 1.5·2^52: adding it rounds to an integer, which the low bits then hold. */
    private static final double SHIFT = 0x1.8p52;
    /** The cubic for 2^(r/N), r in [-1/2, 1/2] (glibc's {@code poly_scaled}). */
    private static final double P0 = 0x1.c6af84b912394p-5 / N / N / N, P1 = 0x1.ebfce50fac4f3p-3 / N / N,
            P2 = 0x1.62e42ff0c52d6p-1 / N;
    /** Below this e^x rounds to float zero (glibc's bound, log(2^-150)). */
    private static final float LOW = -0x1.9fe368p6f;
    /** Bits of 2^(i/N) minus i·2^52/N, so that adding k·2^52/N gives 2^(k/N) (glibc's {@code tab}). */
    private static final long[] TAB = new long[N];

    static {
        // 2^(i/32) to the nearest double: Math.pow is within 1 ulp, so check the neighbours by squaring up to 2^i
        for (int i = 0; i < N; i++) {
            java.math.BigDecimal two = java.math.BigDecimal.valueOf(2).pow(i);
            double best = Math.pow(2, i / (double) N);
            java.math.BigDecimal bestErr = null;
            for (double c : new double[]{Math.nextDown(best), best, Math.nextUp(best)}) {
                java.math.BigDecimal err = new java.math.BigDecimal(c).pow(N).subtract(two).abs();
                if (bestErr == null || err.compareTo(bestErr) < 0) {
                    bestErr = err;
                    best = c;
                }
            }
            TAB[i] = Double.doubleToRawLongBits(best) - ((long) i << (52 - 5));
        }
    }

    /**
     * Attention's weights go through {@link #exp(float)} one by one (off: {@code -Dr1.expf.scalar=false}, for A/B):
     * 1.4-2.1 ns an element against the four-lane form's 5.7-6.1 (Zen 4), whose float/double round trips through a
     * scratch array (four scalar stores read back as one vector) stalled store forwarding twice per four lanes.
     */
    static final boolean SCALAR = Boolean.parseBoolean(System.getProperty("r1.expf.scalar", "true"));

    /**
     * One {@code expf(x)}, {@code x <= 0}: the vector form's operations on one lane, in the same order (each
     * {@code Math.fma} is the vector fma's exact fused operation), so the same bits.
     */
    static float exp(float x) {
        double xd = x;
        double kShifted = Math.fma(xd, INVLN2N, SHIFT);
        double r = Math.fma(xd, INVLN2N, -(kShifted - SHIFT));
        long k = Double.doubleToRawLongBits(kShifted);
        double scale = Double.longBitsToDouble(TAB[(int) (k & (N - 1))] + (k << (52 - 5)));
        double z = Math.fma(r, P0, P1), r2 = r * r, p = Math.fma(r, P2, 1.0);
        return x < LOW ? 0f : (float) (Math.fma(z, r2, p) * scale);
    }

    /** {@code y[i] = expf(x[i])} for {@code i < n}; both arrays hold at least {@code n} rounded up to 4. */
    static void exp(float[] x, float[] y, int n) {
        exp(x, y, n, new double[4]);
    }

    /** As {@link #exp(float[], float[], int)}, with {@code w} (4 doubles) as scratch for the four-lane form. */
    static void exp(float[] x, float[] y, int n, double[] w) {
        if (SCALAR) {
            for (int i = 0; i < n; i++) y[i] = exp(x[i]);
        } else {
            expVector(x, y, n, w);
        }
    }

    /**
     * The four-lane form ({@code n} rounded up to 4 written). Floats are widened and narrowed one by one (exact,
     * and the same rounding as the vector conversion), not through 128-bit float vectors: those were the only float
     * vectors of another shape than the kernels' on AVX2, and their receiver types in the Vector API's shared
     * methods (FloatVector.intoArray) made C2 box the quantized kernels' accumulators in some runs (decoding ~35%
     * slower for the whole process).
     */
    static void expVector(float[] x, float[] y, int n, double[] w) {
        for (int i = 0; i < n; i += 4) {
            w[0] = x[i];
            w[1] = x[i + 1];
            w[2] = x[i + 2];
            w[3] = x[i + 3];
            DoubleVector xd = DoubleVector.fromArray(D4, w, 0);
            // glibc's FMA build fuses x·(N/ln 2) into both the rounding and the remainder
            DoubleVector kShifted = xd.fma(INVLN2N, SHIFT);
            DoubleVector r = xd.fma(DoubleVector.broadcast(D4, INVLN2N), kShifted.sub(SHIFT).neg());
            kShifted.intoArray(w, 0);
            for (int l = 0; l < 4; l++) {
                long k = Double.doubleToRawLongBits(w[l]);
                w[l] = Double.longBitsToDouble(TAB[(int) (k & (N - 1))] + (k << (52 - 5)));
            }
            DoubleVector scale = DoubleVector.fromArray(D4, w, 0);
            DoubleVector z = r.fma(P0, P1), r2 = r.mul(r), p = r.fma(P2, 1.0);
            z.fma(r2, p).mul(scale).intoArray(w, 0);
            y[i] = x[i] < LOW ? 0f : (float) w[0];
            y[i + 1] = x[i + 1] < LOW ? 0f : (float) w[1];
            y[i + 2] = x[i + 2] < LOW ? 0f : (float) w[2];
            y[i + 3] = x[i + 3] < LOW ? 0f : (float) w[3];
        }
    }
}

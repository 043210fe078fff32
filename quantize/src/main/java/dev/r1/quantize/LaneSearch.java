package dev.r1.quantize;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The K-quant scale searches ({@code make_qkx2_quants} for Q4_K, {@code make_qx_quants} for Q6_K), run
 * for 8 sub-blocks at once with one sub-block per SIMD lane.
 *
 * <p>Why lanes and not a vectorised inner loop: ggml sums each sub-block's values in order, and float
 * addition is not associative, so splitting one sum across lanes would change the result bits. Giving
 * each lane its own sub-block keeps every lane's operations exactly ggml's scalar sequence (IEEE
 * add/mul/div/sqrt are exact per lane; no FMA is used) while the lanes hide the add latency that bounds
 * the scalar code. Inputs are transposed: element i of lane k sits at {@code [i * lanes + k]}.
 *
 * <p>Each loop is its own method, and only arrays and scalars cross method boundaries (per-lane state
 * and lane masks go through a scratch array): the JDK's vector methods are force-inlined, but a helper
 * of ours taking or returning a vector may not be inlined once C2's node budget is spent, and then
 * every vector is boxed (100x slower). So no such helpers.
 */
final class LaneSearch {
    private LaneSearch() {}

    /**
     * 8 float lanes. A fixed species (not one picked at run time) so C2 can bind and intrinsify every
     * vector call; on CPUs without 256-bit vectors the results stay exact, only slower.
     */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    static final int VL = 8;

    // Slots of the per-lane state array (8 floats each).
    private static final int MIN = 0, MAX = 8, SUMW = 16, SUMX = 24, SCALE = 32, BEST = 40,
            SL = 48, SL2 = 56, SXL = 64, TSCALE = 72, TMIN = 80, CUR = 88, MASK = 96, AMAX = 104, STATE = 112;

    /** Per-thread scratch: lane state. */
    static float[] newState() { return new float[STATE]; }

    // ---------------------------------------------------------------- Q4_K: make_qkx2_quants

    /** Q4_K's search: nmax 15, rmin -1, 20 steps (see the general form). */
    static void qkx2(float[] xt, int lanes, float[] L, float[] scaleOut, float[] theMinOut,
                     float[] wt, float[] laux, float[] st) {
        qkx2(xt, lanes, L, scaleOut, theMinOut, wt, laux, st, 15, -1f, 20);
    }

    /**
     * The K-quant search for {@code lanes} (a multiple of 8) sub-blocks of 32: weights {@code rms + |x|},
     * rdelta 0.1, codes 0..nmax (Q4_K: 15, -1, 20; Q5_K: 31, -0.5, 15). Writes codes to
     * {@code L[i * lanes + k]}, scales and mins to {@code scaleOut[k]}, {@code theMinOut[k]}. {@code wt}
     * and {@code laux} hold 32*lanes floats.
     */
    static void qkx2(float[] xt, int lanes, float[] L, float[] scaleOut, float[] theMinOut,
                     float[] wt, float[] laux, float[] st, int nmax, float rmin, int nstep) {
        qkx2(xt, lanes, L, scaleOut, theMinOut, wt, laux, st, nmax, rmin, nstep, RMS32);
    }

    /**
     * Q2_K's search ({@code make_qkx2_quants(16, 3, x, |x|, ..., -0.5, 0.1, 15, true)}) for {@code lanes} (a
     * multiple of 8) sub-blocks of 16: weights |x|, absolute errors.
     */
    static void qkx2Abs16(float[] xt, int lanes, float[] L, float[] scaleOut, float[] theMinOut,
                          float[] wt, float[] laux, float[] st) {
        qkx2(xt, lanes, L, scaleOut, theMinOut, wt, laux, st, 3, -0.5f, 15, ABS16);
    }

    /**
     * {@code make_qkx3_quants} (Q4_K/Q5_K with an importance matrix: nmax 15 or 31, rmin -0.9, rdelta 0.05, 36
     * steps) for {@code lanes} (a multiple of 8) sub-blocks of 32 whose weights the caller put in {@code wt}:
     * candidate codes {@code v > 0 ? round(min(v, nmax)) : 0}, squared errors.
     */
    static void qkx3(float[] xt, int lanes, float[] L, float[] scaleOut, float[] theMinOut,
                     float[] wt, float[] laux, float[] st, int nmax) {
        qkx2(xt, lanes, L, scaleOut, theMinOut, wt, laux, st, nmax, -0.9f, 36, WEIGHTED32);
    }

    /**
     * {@code make_qkx3_quants(16, 3, ...)}: Q2_K with an importance matrix, {@code lanes} sub-blocks of 16 with the
     * caller's weights in {@code wt}.
     */
    static void qkx3Q2(float[] xt, int lanes, float[] L, float[] scaleOut, float[] theMinOut,
                       float[] wt, float[] laux, float[] st) {
        qkx2(xt, lanes, L, scaleOut, theMinOut, wt, laux, st, 3, -0.9f, 36, WEIGHTED16);
    }

    private static final int RMS32 = 0, ABS16 = 1, WEIGHTED32 = 2, WEIGHTED16 = 3;

    /*
     * The mode picks the per-element loops (ABS16: Q2_K's 16 values, weights |x|, absolute error; WEIGHTED32/16:
     * the caller's weights and make_qkx3_quants' codes): separate methods with constant trip counts rather than
     * one method taking the length, which made Q4_K/Q5_K 7-9% slower (QuantizeBench; measured twice, in
     * session 11's Q2_K and weighted changes) — hence the near-copies below.
     */
    private static void qkx2(float[] xt, int lanes, float[] L, float[] scaleOut, float[] theMinOut,
                             float[] wt, float[] laux, float[] st, int nmax, float rmin, int nstep, int mode) {
        final boolean abs16 = mode == ABS16, w16 = mode == WEIGHTED16, weighted = mode == WEIGHTED32 || w16;
        final float rdelta = weighted ? 0.05f : 0.1f;
        final int n = abs16 || w16 ? 16 : 32;
        for (int g = 0; g < lanes; g += VL) {
            if (abs16) qkx2PrepareAbs16(xt, wt, lanes, g, st);
            else if (w16) qkx3Prepare16(xt, wt, lanes, g, st);
            else if (weighted) qkx3Prepare(xt, wt, lanes, g, st);
            else qkx2Prepare(xt, wt, lanes, g, st);
            FloatVector min = FloatVector.fromArray(F, st, MIN), max = FloatVector.fromArray(F, st, MAX);
            VectorMask<Float> flat = max.eq(min);
            if (abs16) qkx2InitialAbs16(xt, wt, lanes, g, L, st, nmax);
            else if (w16) qkx2Initial16(xt, wt, lanes, g, L, st, nmax);
            else qkx2Initial(xt, wt, lanes, g, L, st, nmax);
            FloatVector sumW = FloatVector.fromArray(F, st, SUMW), sumX = FloatVector.fromArray(F, st, SUMX);
            for (int is = 0; is <= nstep; is++) {
                float top = rmin + rdelta * is + nmax;
                if (abs16) qkx2Sums16(xt, wt, laux, lanes, g, top, st, nmax);
                else if (w16) qkx3Sums16(xt, wt, laux, lanes, g, top, st, nmax);
                else if (weighted) qkx3Sums(xt, wt, laux, lanes, g, top, st, nmax);
                else qkx2Sums(xt, wt, laux, lanes, g, top, st, nmax);
                FloatVector sumL = FloatVector.fromArray(F, st, SL), sumL2 = FloatVector.fromArray(F, st, SL2), sumXL = FloatVector.fromArray(F, st, SXL);
                FloatVector D = sumW.mul(sumL2).sub(sumL.mul(sumL));
                VectorMask<Float> dPos = D.compare(VectorOperators.GT, 0f).andNot(flat);
                if (!dPos.anyTrue()) continue;
                FloatVector thisScale = sumW.mul(sumXL).sub(sumX.mul(sumL)).div(D);
                FloatVector thisMin = sumL2.mul(sumX).sub(sumL.mul(sumXL)).div(D);
                VectorMask<Float> minPos = thisMin.compare(VectorOperators.GT, 0f);
                thisMin = thisMin.blend(FloatVector.zero(F), minPos);
                thisScale = thisScale.blend(sumXL.div(sumL2), minPos);
                thisScale.intoArray(st, TSCALE);
                thisMin.intoArray(st, TMIN);
                if (abs16) qkx2ErrorAbs16(xt, wt, laux, lanes, g, st);
                else if (w16) qkx2Error16(xt, wt, laux, lanes, g, st);
                else qkx2Error(xt, wt, laux, lanes, g, st);
                FloatVector curError = FloatVector.fromArray(F, st, CUR);
                VectorMask<Float> better = dPos.and(curError.lt(FloatVector.fromArray(F, st, BEST)));
                if (!better.anyTrue()) continue;
                FloatVector.zero(F).blend(FloatVector.broadcast(F, 1f), better).intoArray(st, MASK);
                acceptCodes(L, laux, lanes, g, n, st);
                FloatVector.fromArray(F, st, BEST).blend(curError, better).intoArray(st, BEST);
                FloatVector.fromArray(F, st, SCALE).blend(thisScale, better).intoArray(st, SCALE);
                FloatVector.fromArray(F, st, MIN).blend(thisMin, better).intoArray(st, MIN);
            }
            FloatVector scale = FloatVector.fromArray(F, st, SCALE);
            if (flat.anyTrue()) {
                FloatVector.zero(F).blend(FloatVector.broadcast(F, 1f), flat).intoArray(st, MASK);
                zeroCodes(L, lanes, g, n, st);
                scale = scale.blend(FloatVector.zero(F), flat);
            }
            scale.intoArray(scaleOut, g);
            FloatVector.fromArray(F, st, MIN).neg().intoArray(theMinOut, g);
        }
    }

    /** Weights, min (clamped to at most 0), max, sum of weights and weighted sum of x. */
    private static void qkx2Prepare(float[] xt, float[] wt, int lanes, int g, float[] st) {
        FloatVector sumX2 = FloatVector.zero(F);
        for (int i = 0; i < 32; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            sumX2 = sumX2.add(x.mul(x));
        }
        FloatVector avX = sumX2.div(32f).lanewise(VectorOperators.SQRT);
        FloatVector min = FloatVector.fromArray(F, xt, g), max = min;
        FloatVector w0 = avX.add(min.abs());
        w0.intoArray(wt, g);
        FloatVector sumW = w0, sumX = w0.mul(min);
        for (int i = 1; i < 32; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            FloatVector w = avX.add(x.abs());
            w.intoArray(wt, i * lanes + g);
            min = min.blend(x, x.lt(min));
            max = max.blend(x, x.compare(VectorOperators.GT, max));
            sumW = sumW.add(w);
            sumX = sumX.add(w.mul(x));
        }
        min.blend(FloatVector.zero(F), min.compare(VectorOperators.GT, 0f)).intoArray(st, MIN);
        max.intoArray(st, MAX);
        sumW.intoArray(st, SUMW);
        sumX.intoArray(st, SUMX);
    }

    /** The first guess: scale (max-min)/nmax, its codes and weighted squared error. */
    private static void qkx2Initial(float[] xt, float[] wt, int lanes, int g, float[] L, float[] st, int nmax) {
        FloatVector min = FloatVector.fromArray(F, st, MIN), max = FloatVector.fromArray(F, st, MAX);
        FloatVector iscale = FloatVector.broadcast(F, (float) nmax).div(max.sub(min));
        FloatVector scale = FloatVector.broadcast(F, 1f).div(iscale);
        FloatVector bestError = FloatVector.zero(F);
        for (int i = 0; i < 32; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            FloatVector l = ((FloatVector) (iscale.mul(x.sub(min)).add(12582912.0f).reinterpretAsInts().and(0x007fffff).sub(0x00400000).max(0).min(nmax)).convert(VectorOperators.I2F, 0));
            l.intoArray(L, i * lanes + g);
            FloatVector diff = scale.mul(l).add(min).sub(x);
            diff = diff.mul(diff);
            bestError = bestError.add(FloatVector.fromArray(F, wt, i * lanes + g).mul(diff));
        }
        scale.intoArray(st, SCALE);
        bestError.intoArray(st, BEST);
    }

    /** One candidate inverse scale {@code top/(max-min)}: codes into laux, weighted sums into st. */
    private static void qkx2Sums(float[] xt, float[] wt, float[] laux, int lanes, int g, float top, float[] st,
                                 int nmax) {
        FloatVector min = FloatVector.fromArray(F, st, MIN);
        FloatVector iscale = FloatVector.broadcast(F, top).div(FloatVector.fromArray(F, st, MAX).sub(min));
        FloatVector sumL = FloatVector.zero(F), sumL2 = sumL, sumXL = sumL;
        for (int i = 0; i < 32; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            FloatVector w = FloatVector.fromArray(F, wt, i * lanes + g);
            FloatVector l = ((FloatVector) (iscale.mul(x.sub(min)).add(12582912.0f).reinterpretAsInts().and(0x007fffff).sub(0x00400000).max(0).min(nmax)).convert(VectorOperators.I2F, 0));
            l.intoArray(laux, i * lanes + g);
            FloatVector wl = w.mul(l);
            sumL = sumL.add(wl);
            sumL2 = sumL2.add(wl.mul(l));
            sumXL = sumXL.add(wl.mul(x));
        }
        sumL.intoArray(st, SL);
        sumL2.intoArray(st, SL2);
        sumXL.intoArray(st, SXL);
    }

    /** Weighted squared error of the candidate codes under the candidate scale and min. */
    private static void qkx2Error(float[] xt, float[] wt, float[] laux, int lanes, int g, float[] st) {
        FloatVector thisScale = FloatVector.fromArray(F, st, TSCALE), thisMin = FloatVector.fromArray(F, st, TMIN);
        FloatVector curError = FloatVector.zero(F);
        for (int i = 0; i < 32; i++) {
            FloatVector diff = thisScale.mul(FloatVector.fromArray(F, laux, i * lanes + g)).add(thisMin).sub(FloatVector.fromArray(F, xt, i * lanes + g));
            diff = diff.mul(diff);
            curError = curError.add(FloatVector.fromArray(F, wt, i * lanes + g).mul(diff));
        }
        curError.intoArray(st, CUR);
    }

    /** Q2_K: weights |x| (no rms term); min (clamped to at most 0), max, sums, over 16 values. */
    private static void qkx2PrepareAbs16(float[] xt, float[] wt, int lanes, int g, float[] st) {
        FloatVector min = FloatVector.fromArray(F, xt, g), max = min;
        FloatVector w0 = min.abs();
        w0.intoArray(wt, g);
        FloatVector sumW = w0, sumX = w0.mul(min);
        for (int i = 1; i < 16; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            FloatVector w = x.abs();
            w.intoArray(wt, i * lanes + g);
            min = min.blend(x, x.lt(min));
            max = max.blend(x, x.compare(VectorOperators.GT, max));
            sumW = sumW.add(w);
            sumX = sumX.add(w.mul(x));
        }
        min.blend(FloatVector.zero(F), min.compare(VectorOperators.GT, 0f)).intoArray(st, MIN);
        max.intoArray(st, MAX);
        sumW.intoArray(st, SUMW);
        sumX.intoArray(st, SUMX);
    }

    /** Q2_K's first guess, as {@link #qkx2Initial} over 16 values with absolute errors. */
    private static void qkx2InitialAbs16(float[] xt, float[] wt, int lanes, int g, float[] L, float[] st, int nmax) {
        FloatVector min = FloatVector.fromArray(F, st, MIN), max = FloatVector.fromArray(F, st, MAX);
        FloatVector iscale = FloatVector.broadcast(F, (float) nmax).div(max.sub(min));
        FloatVector scale = FloatVector.broadcast(F, 1f).div(iscale);
        FloatVector bestError = FloatVector.zero(F);
        for (int i = 0; i < 16; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            FloatVector l = ((FloatVector) (iscale.mul(x.sub(min)).add(12582912.0f).reinterpretAsInts().and(0x007fffff).sub(0x00400000).max(0).min(nmax)).convert(VectorOperators.I2F, 0));
            l.intoArray(L, i * lanes + g);
            FloatVector diff = scale.mul(l).add(min).sub(x).abs();
            bestError = bestError.add(FloatVector.fromArray(F, wt, i * lanes + g).mul(diff));
        }
        scale.intoArray(st, SCALE);
        bestError.intoArray(st, BEST);
    }

    /** As {@link #qkx2Sums} over 16 values. */
    private static void qkx2Sums16(float[] xt, float[] wt, float[] laux, int lanes, int g, float top, float[] st, int nmax) {
        FloatVector min = FloatVector.fromArray(F, st, MIN);
        FloatVector iscale = FloatVector.broadcast(F, top).div(FloatVector.fromArray(F, st, MAX).sub(min));
        FloatVector sumL = FloatVector.zero(F), sumL2 = sumL, sumXL = sumL;
        for (int i = 0; i < 16; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            FloatVector w = FloatVector.fromArray(F, wt, i * lanes + g);
            FloatVector l = ((FloatVector) (iscale.mul(x.sub(min)).add(12582912.0f).reinterpretAsInts().and(0x007fffff).sub(0x00400000).max(0).min(nmax)).convert(VectorOperators.I2F, 0));
            l.intoArray(laux, i * lanes + g);
            FloatVector wl = w.mul(l);
            sumL = sumL.add(wl);
            sumL2 = sumL2.add(wl.mul(l));
            sumXL = sumXL.add(wl.mul(x));
        }
        sumL.intoArray(st, SL);
        sumL2.intoArray(st, SL2);
        sumXL.intoArray(st, SXL);
    }

    /** Weighted absolute error of the candidate codes, over 16 values. */
    private static void qkx2ErrorAbs16(float[] xt, float[] wt, float[] laux, int lanes, int g, float[] st) {
        FloatVector thisScale = FloatVector.fromArray(F, st, TSCALE), thisMin = FloatVector.fromArray(F, st, TMIN);
        FloatVector curError = FloatVector.zero(F);
        for (int i = 0; i < 16; i++) {
            FloatVector diff = thisScale.mul(FloatVector.fromArray(F, laux, i * lanes + g)).add(thisMin).sub(FloatVector.fromArray(F, xt, i * lanes + g)).abs();
            curError = curError.add(FloatVector.fromArray(F, wt, i * lanes + g).mul(diff));
        }
        curError.intoArray(st, CUR);
    }

    /** make_qkx3_quants' start: the caller's weights; min (clamped to at most 0), max, their sums over 32 values. */
    private static void qkx3Prepare(float[] xt, float[] wt, int lanes, int g, float[] st) {
        FloatVector min = FloatVector.fromArray(F, xt, g), max = min;
        FloatVector w0 = FloatVector.fromArray(F, wt, g);
        FloatVector sumW = w0, sumX = w0.mul(min);
        for (int i = 1; i < 32; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            FloatVector w = FloatVector.fromArray(F, wt, i * lanes + g);
            min = min.blend(x, x.lt(min));
            max = max.blend(x, x.compare(VectorOperators.GT, max));
            sumW = sumW.add(w);
            sumX = sumX.add(w.mul(x));
        }
        min.blend(FloatVector.zero(F), min.compare(VectorOperators.GT, 0f)).intoArray(st, MIN);
        max.intoArray(st, MAX);
        sumW.intoArray(st, SUMW);
        sumX.intoArray(st, SUMX);
    }

    /** As {@link #qkx2Sums} with make_qkx3_quants' codes: {@code v > 0 ? round(min(v, nmax)) : 0}. */
    private static void qkx3Sums(float[] xt, float[] wt, float[] laux, int lanes, int g, float top, float[] st, int nmax) {
        FloatVector min = FloatVector.fromArray(F, st, MIN);
        FloatVector iscale = FloatVector.broadcast(F, top).div(FloatVector.fromArray(F, st, MAX).sub(min));
        FloatVector sumL = FloatVector.zero(F), sumL2 = sumL, sumXL = sumL;
        for (int i = 0; i < 32; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            FloatVector w = FloatVector.fromArray(F, wt, i * lanes + g);
            FloatVector v = iscale.mul(x.sub(min));
            FloatVector l = ((FloatVector) v.min((float) nmax).add(12582912.0f).reinterpretAsInts().and(0x007fffff).sub(0x00400000)
                    .convert(VectorOperators.I2F, 0)).blend(FloatVector.zero(F), v.compare(VectorOperators.GT, 0f).not());
            l.intoArray(laux, i * lanes + g);
            FloatVector wl = w.mul(l);
            sumL = sumL.add(wl);
            sumL2 = sumL2.add(wl.mul(l));
            sumXL = sumXL.add(wl.mul(x));
        }
        sumL.intoArray(st, SL);
        sumL2.intoArray(st, SL2);
        sumXL.intoArray(st, SXL);
    }

    /** {@link #qkx3Prepare} over 16 values (Q2_K with an importance matrix). */
    private static void qkx3Prepare16(float[] xt, float[] wt, int lanes, int g, float[] st) {
        FloatVector min = FloatVector.fromArray(F, xt, g), max = min;
        FloatVector w0 = FloatVector.fromArray(F, wt, g);
        FloatVector sumW = w0, sumX = w0.mul(min);
        for (int i = 1; i < 16; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            FloatVector w = FloatVector.fromArray(F, wt, i * lanes + g);
            min = min.blend(x, x.lt(min));
            max = max.blend(x, x.compare(VectorOperators.GT, max));
            sumW = sumW.add(w);
            sumX = sumX.add(w.mul(x));
        }
        min.blend(FloatVector.zero(F), min.compare(VectorOperators.GT, 0f)).intoArray(st, MIN);
        max.intoArray(st, MAX);
        sumW.intoArray(st, SUMW);
        sumX.intoArray(st, SUMX);
    }
    /** {@link #qkx3Sums} over 16 values (Q2_K with an importance matrix). */
    private static void qkx3Sums16(float[] xt, float[] wt, float[] laux, int lanes, int g, float top, float[] st, int nmax) {
        FloatVector min = FloatVector.fromArray(F, st, MIN);
        FloatVector iscale = FloatVector.broadcast(F, top).div(FloatVector.fromArray(F, st, MAX).sub(min));
        FloatVector sumL = FloatVector.zero(F), sumL2 = sumL, sumXL = sumL;
        for (int i = 0; i < 16; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            FloatVector w = FloatVector.fromArray(F, wt, i * lanes + g);
            FloatVector v = iscale.mul(x.sub(min));
            FloatVector l = ((FloatVector) v.min((float) nmax).add(12582912.0f).reinterpretAsInts().and(0x007fffff).sub(0x00400000)
                    .convert(VectorOperators.I2F, 0)).blend(FloatVector.zero(F), v.compare(VectorOperators.GT, 0f).not());
            l.intoArray(laux, i * lanes + g);
            FloatVector wl = w.mul(l);
            sumL = sumL.add(wl);
            sumL2 = sumL2.add(wl.mul(l));
            sumXL = sumXL.add(wl.mul(x));
        }
        sumL.intoArray(st, SL);
        sumL2.intoArray(st, SL2);
        sumXL.intoArray(st, SXL);
    }
    /** {@link #qkx2Initial} over 16 values (Q2_K with an importance matrix). */
    private static void qkx2Initial16(float[] xt, float[] wt, int lanes, int g, float[] L, float[] st, int nmax) {
        FloatVector min = FloatVector.fromArray(F, st, MIN), max = FloatVector.fromArray(F, st, MAX);
        FloatVector iscale = FloatVector.broadcast(F, (float) nmax).div(max.sub(min));
        FloatVector scale = FloatVector.broadcast(F, 1f).div(iscale);
        FloatVector bestError = FloatVector.zero(F);
        for (int i = 0; i < 16; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            FloatVector l = ((FloatVector) (iscale.mul(x.sub(min)).add(12582912.0f).reinterpretAsInts().and(0x007fffff).sub(0x00400000).max(0).min(nmax)).convert(VectorOperators.I2F, 0));
            l.intoArray(L, i * lanes + g);
            FloatVector diff = scale.mul(l).add(min).sub(x);
            diff = diff.mul(diff);
            bestError = bestError.add(FloatVector.fromArray(F, wt, i * lanes + g).mul(diff));
        }
        scale.intoArray(st, SCALE);
        bestError.intoArray(st, BEST);
    }
    /** {@link #qkx2Error} over 16 values (Q2_K with an importance matrix). */
    private static void qkx2Error16(float[] xt, float[] wt, float[] laux, int lanes, int g, float[] st) {
        FloatVector thisScale = FloatVector.fromArray(F, st, TSCALE), thisMin = FloatVector.fromArray(F, st, TMIN);
        FloatVector curError = FloatVector.zero(F);
        for (int i = 0; i < 16; i++) {
            FloatVector diff = thisScale.mul(FloatVector.fromArray(F, laux, i * lanes + g)).add(thisMin).sub(FloatVector.fromArray(F, xt, i * lanes + g));
            diff = diff.mul(diff);
            curError = curError.add(FloatVector.fromArray(F, wt, i * lanes + g).mul(diff));
        }
        curError.intoArray(st, CUR);
    }

    /*
     * Lane selections go through a float array and a compare rather than VectorMask.fromLong/cast:
     * C2 on AVX2 (JDK 25) was seen to mis-compile fromLong masks here, changing results only after
     * warm-up; a compare of loaded floats is plain and exact.
     */
    private static void acceptCodes(float[] L, float[] laux, int lanes, int g, int n, float[] st) {
        VectorMask<Float> take = FloatVector.fromArray(F, st, MASK).compare(VectorOperators.NE, 0f);
        for (int i = 0; i < n; i++) {
            FloatVector.fromArray(F, L, i * lanes + g).blend(FloatVector.fromArray(F, laux, i * lanes + g), take).intoArray(L, i * lanes + g);
        }
    }

    private static void zeroCodes(float[] L, int lanes, int g, int n, float[] st) {
        VectorMask<Float> zero = FloatVector.fromArray(F, st, MASK).compare(VectorOperators.NE, 0f);
        for (int i = 0; i < n; i++) {
            FloatVector.fromArray(F, L, i * lanes + g).blend(FloatVector.zero(F), zero).intoArray(L, i * lanes + g);
        }
    }

    // ---------------------------------------------------------------- Q6_K: make_qx_quants

    /**
     * Q6_K's search ({@code make_qx_quants} with nmax 32, rmse_type 1: weights x²) for {@code lanes} (a
     * multiple of 8) sub-blocks of 16. Writes codes + 32 to {@code L[i * lanes + k]} and scales to
     * {@code scaleOut[k]}; {@code laux} holds 16*lanes floats.
     */
    static void qx(float[] xt, int lanes, float[] L, float[] scaleOut, float[] laux, float[] st) {
        qx(xt, null, lanes, L, scaleOut, laux, st);
    }

    /**
     * The same with the caller's weights {@code wt} (laid out as {@code xt}) instead of x²: Q6_K with an
     * importance matrix ({@code make_qx_quants} with quant_weights).
     */
    static void qx(float[] xt, float[] wt, int lanes, float[] L, float[] scaleOut, float[] laux, float[] st) {
        qx(xt, wt, lanes, L, scaleOut, laux, st, 32);
    }

    /** The same with codes {@code -nmax..nmax-1} (stored + nmax): Q3_K with an importance matrix takes nmax 4. */
    static void qx(float[] xt, float[] wt, int lanes, float[] L, float[] scaleOut, float[] laux, float[] st, int nmax) {
        for (int g = 0; g < lanes; g += VL) {
            qxMax(xt, lanes, g, st);
            if (wt == null) qxSums(xt, laux, lanes, g, (float) -nmax, st, nmax);
            else qxSumsW(xt, wt, laux, lanes, g, (float) -nmax, st, nmax);
            for (int i = 0; i < 16; i++) FloatVector.fromArray(F, laux, i * lanes + g).intoArray(L, i * lanes + g);
            qxFirst(st);
            for (int is = -9; is <= 9; is++) {
                if (is == 0) continue;
                if (wt == null) qxSums(xt, laux, lanes, g, -(nmax + 0.1f * is), st, nmax);
                else qxSumsW(xt, wt, laux, lanes, g, -(nmax + 0.1f * is), st, nmax);
                if (qxBetter(st)) acceptCodes(L, laux, lanes, g, 16, st);
            }
            if (qxFlat(st)) zeroCodes(L, lanes, g, 16, st);
            FloatVector.fromArray(F, st, SCALE).intoArray(scaleOut, g);
        }
    }

    /*
     * The candidate loop keeps its per-lane scale and best score in st, not in vectors carried from one
     * iteration to the next: C2 boxed such loop-carried vectors here (a JFR allocation profile showed
     * 1.7 GB of Float256Vector boxes for one 7B output.weight), which made Q6_K the slowest step.
     */

    /** The first candidate's scale sumlx/suml2 (0 where suml2 is 0) and score scale*sumlx. */
    private static void qxFirst(float[] st) {
        FloatVector sumlx = FloatVector.fromArray(F, st, SL), suml2 = FloatVector.fromArray(F, st, SL2);
        FloatVector scale = sumlx.div(suml2).blend(FloatVector.zero(F), suml2.eq(0f));
        scale.intoArray(st, SCALE);
        scale.mul(sumlx).intoArray(st, BEST);
    }

    /**
     * Takes the current candidate in the lanes where it scores better (and the block is not flat):
     * updates SCALE and BEST, sets MASK, and says whether any lane took it.
     */
    private static boolean qxBetter(float[] st) {
        FloatVector sumlx = FloatVector.fromArray(F, st, SL), suml2 = FloatVector.fromArray(F, st, SL2);
        FloatVector best = FloatVector.fromArray(F, st, BEST);
        VectorMask<Float> flat = FloatVector.fromArray(F, st, AMAX).lt(1e-15f);
        VectorMask<Float> better = suml2.compare(VectorOperators.GT, 0f)
                .and(sumlx.mul(sumlx).compare(VectorOperators.GT, best.mul(suml2))).andNot(flat);
        if (!better.anyTrue()) return false;
        FloatVector.zero(F).blend(FloatVector.broadcast(F, 1f), better).intoArray(st, MASK);
        FloatVector scale = FloatVector.fromArray(F, st, SCALE).blend(sumlx.div(suml2), better);
        scale.intoArray(st, SCALE);
        best.blend(scale.mul(sumlx), better).intoArray(st, BEST);
        return true;
    }

    /** Zeroes SCALE in the flat lanes (max |x| below 1e-15) and sets MASK to them; says whether any. */
    private static boolean qxFlat(float[] st) {
        VectorMask<Float> flat = FloatVector.fromArray(F, st, AMAX).lt(1e-15f);
        if (!flat.anyTrue()) return false;
        FloatVector.zero(F).blend(FloatVector.broadcast(F, 1f), flat).intoArray(st, MASK);
        FloatVector.fromArray(F, st, SCALE).blend(FloatVector.zero(F), flat).intoArray(st, SCALE);
        return true;
    }

    /** The value of largest magnitude (first one wins, sign kept) into st[MAX], the magnitude into st[AMAX]. */
    private static void qxMax(float[] xt, int lanes, int g, float[] st) {
        FloatVector max = FloatVector.zero(F), amax = max;
        for (int i = 0; i < 16; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            FloatVector ax = x.abs();
            VectorMask<Float> gt = ax.compare(VectorOperators.GT, amax);
            amax = amax.blend(ax, gt);
            max = max.blend(x, gt);
        }
        max.intoArray(st, MAX);
        amax.intoArray(st, AMAX);
    }

    /** Codes (+ nmax, as floats) for inverse scale {@code top/max} into laux; sums l·x·w and l²·w into st. */
    private static void qxSums(float[] xt, float[] laux, int lanes, int g, float top, float[] st, int nmax) {
        FloatVector iscale = FloatVector.broadcast(F, top).div(FloatVector.fromArray(F, st, MAX));
        FloatVector sumlx = FloatVector.zero(F), suml2 = sumlx;
        for (int i = 0; i < 16; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            IntVector li = iscale.mul(x).add(12582912.0f).reinterpretAsInts().and(0x007fffff).sub(0x00400000).max(-nmax).min(nmax - 1);
            ((FloatVector) (li.add(nmax)).convert(VectorOperators.I2F, 0)).intoArray(laux, i * lanes + g);
            FloatVector l = ((FloatVector) (li).convert(VectorOperators.I2F, 0));
            FloatVector w = x.mul(x);
            sumlx = sumlx.add(w.mul(x).mul(l));
            suml2 = suml2.add(w.mul(l).mul(l));
        }
        sumlx.intoArray(st, SL);
        suml2.intoArray(st, SL2);
    }

    /** As {@link #qxSums} with the weights in {@code wt} (its own method: see {@link #qkx2Sums16} on why). */
    private static void qxSumsW(float[] xt, float[] wt, float[] laux, int lanes, int g, float top, float[] st, int nmax) {
        FloatVector iscale = FloatVector.broadcast(F, top).div(FloatVector.fromArray(F, st, MAX));
        FloatVector sumlx = FloatVector.zero(F), suml2 = sumlx;
        for (int i = 0; i < 16; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, i * lanes + g);
            IntVector li = iscale.mul(x).add(12582912.0f).reinterpretAsInts().and(0x007fffff).sub(0x00400000).max(-nmax).min(nmax - 1);
            ((FloatVector) (li.add(nmax)).convert(VectorOperators.I2F, 0)).intoArray(laux, i * lanes + g);
            FloatVector l = ((FloatVector) (li).convert(VectorOperators.I2F, 0));
            FloatVector w = FloatVector.fromArray(F, wt, i * lanes + g);
            sumlx = sumlx.add(w.mul(x).mul(l));
            suml2 = suml2.add(w.mul(l).mul(l));
        }
        sumlx.intoArray(st, SL);
        suml2.intoArray(st, SL2);
    }
}

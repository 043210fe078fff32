package dev.r1.quantize;

import dev.r1.models.tensor.IQ4_NLType;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * IQ4_NL (blocks of 32, one fp16 scale) and IQ4_XS (super-blocks of 256: fp16 d and a 6-bit scale per
 * 32): 4-bit indices into the non-linear levels of {@link IQ4_NLType}, value = scale * level.
 *
 * <p>Matches ggml's {@code quantize_iq4_nl} / {@code quantize_iq4_xs} without an importance matrix
 * ({@code quantize_row_iq4_nl_impl}, ntry 7, weights x²): per block of 32 a first scale from the value
 * of largest magnitude, refined over 15 candidates by weighted least squares; IQ4_XS then quantizes the
 * block scales to 6 bits against the largest and re-picks the indices.
 */
public final class IQ4Quantizer implements RowQuantizer {
    public static final IQ4Quantizer NL = new IQ4Quantizer(false);
    public static final IQ4Quantizer XS = new IQ4Quantizer(true);

    private static final int NTRY = 7;
    private static final int[] VALUES = new int[16];
    private static final float[] LEVEL = new float[16], STEP = new float[16]; // the levels, and their steps
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256; // 8 lanes, as LaneSearch

    static {
        for (int i = 0; i < 16; i++) LEVEL[i] = VALUES[i] = IQ4_NLType.value(i);
        for (int i = 1; i < 16; i++) STEP[i] = VALUES[i] - VALUES[i - 1];
    }

    private final boolean xs;
    private final int superBlock;

    private IQ4Quantizer(boolean xs) {
        this.xs = xs;
        this.superBlock = xs ? 256 : 32;
    }

    @Override public int ggmlTypeId() { return xs ? 23 : 20; }
    @Override public String typeName() { return xs ? "IQ4_XS" : "IQ4_NL"; }
    @Override public int blockSize() { return superBlock; }
    @Override public int typeSize() { return xs ? 136 : 18; }

    /**
     * ggml's {@code best_index_int8} over the 16 levels: the nearest level, ties to the upper one, by
     * bisection with the same float comparisons.
     */
    static int bestIndex(float x) {
        if (x <= VALUES[0]) return 0;
        if (x >= VALUES[15]) return 15;
        int ml = 0, mu = 15;
        while (mu - ml > 1) {
            int mav = (ml + mu) / 2;
            if (x < VALUES[mav]) mu = mav;
            else ml = mav;
        }
        return x - VALUES[mu - 1] < VALUES[mu] - x ? mu - 1 : mu;
    }

    @Override
    public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
        quantizeRow(x, off, n, null, y, yOff);
    }

    @Override
    public void quantizeRow(float[] x, int off, int n, float[] imatrix, byte[] y, int yOff) {
        rowBytes(n);
        byte[] L = new byte[superBlock];
        float[] xt = new float[256], wt = new float[256], maxv = new float[8], amaxv = new float[8], st = new float[ST];
        float[] scales = new float[8];
        if (xs) {
            for (int b = 0; b < n / 256; b++) {
                int xb = off + b * 256;
                float sigma2 = sigma2(x, xb, 256);
                for (int ib = 0; ib < 8; ib++) prepare(x, xb + 32 * ib, imatrix, b * 256 + 32 * ib, sigma2, ib, xt, wt, maxv, amaxv);
                search(xt, wt, maxv, amaxv, st, scales);
                finishXs(x, xb, scales, y, yOff + b * typeSize(), L);
            }
            return;
        }
        // IQ4_NL: eight blocks of 32 side by side; the last group of a row may fill fewer lanes
        int blocks = n / 32;
        for (int b0 = 0; b0 < blocks; b0 += 8) {
            int m = Math.min(8, blocks - b0);
            java.util.Arrays.fill(xt, 0f);
            java.util.Arrays.fill(wt, 0f);
            java.util.Arrays.fill(amaxv, 0f);
            java.util.Arrays.fill(maxv, 0f);
            for (int k = 0; k < m; k++) {
                int xb = off + (b0 + k) * 32;
                prepare(x, xb, imatrix, (b0 + k) * 32, sigma2(x, xb, 32), k, xt, wt, maxv, amaxv);
            }
            search(xt, wt, maxv, amaxv, st, scales);
            for (int k = 0; k < m; k++) finishNl(x, off + (b0 + k) * 32, scales[k], y, yOff + (b0 + k) * typeSize(), L);
        }
    }

    /** {@code 2/n · Σx²} over a (super-)block: the imatrix weights' sigma². */
    private static float sigma2(float[] x, int xb, int n) {
        float sigma2 = 0;
        for (int j = 0; j < n; j++) sigma2 += x[xb + j] * x[xb + j];
        return sigma2 * (2f / n);
    }

    /**
     * One block of 32 into lane {@code k}: its values and weights (x², or {@code qw·sqrt(sigma2 + x²)} with an
     * importance matrix) at {@code [j*8 + k]}, its value of largest magnitude and that magnitude.
     */
    private static void prepare(float[] x, int xo, float[] qw, int qwOff, float sigma2, int k, float[] xt, float[] wt,
                                float[] maxv, float[] amaxv) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            float ax = Math.abs(x[xo + j]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + j];
            }
        }
        for (int j = 0; j < 32; j++) {
            float xj = x[xo + j];
            xt[j * 8 + k] = xj;
            wt[j * 8 + k] = qw != null ? qw[qwOff + j] * (float) Math.sqrt(sigma2 + xj * xj) : xj * xj;
        }
        maxv[k] = max;
        amaxv[k] = amax;
    }

    // Lane state slots (8 floats each) in the scratch array: no vector is carried across a loop's iterations
    // or passed to a method of ours (C2 may box those; see LaneSearch).
    static final int ID = 0, SQX = 8, SQ2 = 16, D = 24, BEST = 32, ST = 40;

    /**
     * ggml's scale search ({@code quantize_row_iq4_nl_impl}, ntry 7) for eight blocks at once, one per lane,
     * each lane doing the scalar search's float operations in its order: a first scale from the value of
     * largest magnitude, then 15 candidates kept by weighted least squares. Scales of blocks whose largest
     * magnitude is below GROUP_MAX_EPS are 0. (One block at a time, the level bisection's unpredictable
     * branches made IQ4 quantization take minutes per billion weights.)
     */
    private static void search(float[] xt, float[] wt, float[] maxv, float[] amaxv, float[] st, float[] scales) {
        FloatVector max = FloatVector.fromArray(F, maxv, 0);
        FloatVector d0 = max.neg().div((float) VALUES[0]);
        FloatVector.broadcast(F, 1f).div(d0).intoArray(st, ID);
        sums(xt, wt, st);
        FloatVector sqx = FloatVector.fromArray(F, st, SQX);
        FloatVector d = sqx.div(FloatVector.fromArray(F, st, SQ2));
        d.intoArray(st, D);
        d.mul(sqx).intoArray(st, BEST);
        for (int itry = -NTRY; itry <= NTRY; itry++) {
            FloatVector.broadcast(F, (float) (itry + VALUES[0])).div(FloatVector.fromArray(F, maxv, 0)).intoArray(st, ID);
            sums(xt, wt, st);
            better(st);
        }
        VectorMask<Float> flat = FloatVector.fromArray(F, amaxv, 0).lt(KSearch.GROUP_MAX_EPS);
        FloatVector.fromArray(F, st, D).blend(FloatVector.zero(F), flat).intoArray(scales, 0);
    }

    /** Takes the candidate's scale in the lanes where it fits better ({@code sumq2 > 0 && sumqx² > best·sumq2}). */
    private static void better(float[] st) {
        FloatVector sqx = FloatVector.fromArray(F, st, SQX), sq2 = FloatVector.fromArray(F, st, SQ2);
        FloatVector best = FloatVector.fromArray(F, st, BEST);
        VectorMask<Float> take = sq2.compare(VectorOperators.GT, 0f).and(sqx.mul(sqx).compare(VectorOperators.GT, best.mul(sq2)));
        if (!take.anyTrue()) return;
        FloatVector nd = sqx.div(sq2);
        FloatVector.fromArray(F, st, D).blend(nd, take).intoArray(st, D);
        best.blend(nd.mul(sqx), take).intoArray(st, BEST);
    }

    /**
     * Under the inverse scale at {@code st[ID]}: each value's nearest level ({@link #bestIndex}, branch-free)
     * and the weighted sums {@code Σ w·q·x}, {@code Σ w·q·q} in ggml's order.
     */
    static void sums(float[] xt, float[] wt, float[] st) {
        FloatVector id = FloatVector.fromArray(F, st, ID);
        FloatVector sqx = FloatVector.zero(F), sq2 = sqx;
        for (int j = 0; j < 32; j++) {
            FloatVector x = FloatVector.fromArray(F, xt, j * 8);
            FloatVector v = id.mul(x);
            // bestIndex without branches: level k is passed when v - level[k-1] >= level[k] - v (monotone in
            // k, so the count of passed steps is the bisection's answer); NaN compares false everywhere, where
            // the bisection ends at the top level
            FloatVector q = FloatVector.broadcast(F, LEVEL[0]);
                q = q.add(STEP[1], v.sub(LEVEL[0]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[1]).sub(v)));
                q = q.add(STEP[2], v.sub(LEVEL[1]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[2]).sub(v)));
                q = q.add(STEP[3], v.sub(LEVEL[2]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[3]).sub(v)));
                q = q.add(STEP[4], v.sub(LEVEL[3]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[4]).sub(v)));
                q = q.add(STEP[5], v.sub(LEVEL[4]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[5]).sub(v)));
                q = q.add(STEP[6], v.sub(LEVEL[5]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[6]).sub(v)));
                q = q.add(STEP[7], v.sub(LEVEL[6]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[7]).sub(v)));
                q = q.add(STEP[8], v.sub(LEVEL[7]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[8]).sub(v)));
                q = q.add(STEP[9], v.sub(LEVEL[8]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[9]).sub(v)));
                q = q.add(STEP[10], v.sub(LEVEL[9]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[10]).sub(v)));
                q = q.add(STEP[11], v.sub(LEVEL[10]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[11]).sub(v)));
                q = q.add(STEP[12], v.sub(LEVEL[11]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[12]).sub(v)));
                q = q.add(STEP[13], v.sub(LEVEL[12]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[13]).sub(v)));
                q = q.add(STEP[14], v.sub(LEVEL[13]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[14]).sub(v)));
                q = q.add(STEP[15], v.sub(LEVEL[14]).compare(VectorOperators.GE, FloatVector.broadcast(F, LEVEL[15]).sub(v)));
            q = q.blend(FloatVector.broadcast(F, LEVEL[15]), v.test(VectorOperators.IS_NAN));
            FloatVector wq = FloatVector.fromArray(F, wt, j * 8).mul(q);
            sqx = sqx.add(wq.mul(x));
            sq2 = sq2.add(wq.mul(q));
        }
        sqx.intoArray(st, SQX);
        sq2.intoArray(st, SQ2);
    }

    /** IQ4_NL: the block's fp16 scale and its indices re-picked under it. */
    private static void finishNl(float[] x, int xb, float scale, byte[] y, int yb, byte[] L) {
        Bits.putShortLE(y, yb, Bits.fp16(scale));
        float id = scale != 0f ? 1 / scale : 0;
        for (int j = 0; j < 32; j++) L[j] = (byte) bestIndex(id * x[xb + j]);
        for (int j = 0; j < 16; j++) y[yb + 2 + j] = (byte) (L[j] | (L[16 + j] << 4));
    }

    /** IQ4_XS: d from the scale of largest magnitude, 6-bit block scales against it, indices re-picked. */
    private static void finishXs(float[] x, int xb, float[] scales, byte[] y, int yb, byte[] L) {
        float maxScale = 0, amaxScale = 0;
        for (int ib = 0; ib < 8; ib++) {
            float absD = Math.abs(scales[ib]);
            if (absD > amaxScale) {
                amaxScale = absD;
                maxScale = scales[ib];
            }
        }
        int q4 = yb + 8;
        for (int i = 0; i < 128; i++) y[q4 + i] = 0;
        int scalesH = 0;
        float d = -maxScale / 32;
        Bits.putShortLE(y, yb, Bits.fp16(d));
        float id = d != 0f ? 1 / d : 0f;
        for (int ib = 0; ib < 8; ib++) {
            int l = Math.max(-32, Math.min(31, Bits.nearestInt(id * scales[ib])));
            float dl = d * l;
            float idl = dl != 0f ? 1 / dl : 0f;
            for (int j = 0; j < 32; j++) L[32 * ib + j] = (byte) bestIndex(idl * x[xb + 32 * ib + j]);
            l += 32;
            int lo = l & 0xF, hi = l >> 4;
            if (ib % 2 == 0) y[yb + 4 + ib / 2] = (byte) lo;
            else y[yb + 4 + ib / 2] |= (byte) (lo << 4);
            scalesH |= hi << (2 * ib);
        }
        Bits.putShortLE(y, yb + 2, (short) scalesH);
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 16; j++) y[q4 + 16 * i + j] = (byte) (L[32 * i + j] | (L[32 * i + 16 + j] << 4));
        }
    }
}

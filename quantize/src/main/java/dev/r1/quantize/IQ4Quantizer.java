package dev.r1.quantize;

import dev.r1.models.tensor.IQ4_NLType;

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

    static {
        for (int i = 0; i < 16; i++) VALUES[i] = IQ4_NLType.value(i);
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
        float[] scales = new float[superBlock / 32], w = new float[32];
        for (int b = 0; b < n / superBlock; b++) {
            quantizeBlock(x, off + b * superBlock, imatrix, b * superBlock, y, yOff + b * typeSize(), L, scales, w);
        }
    }

    /** One (super-)block; weights x² without an importance matrix, {@code qw * sqrt(sigma2 + x²)} with one. */
    private void quantizeBlock(float[] x, int xb, float[] qw, int qwOff, byte[] y, int yb, byte[] L, float[] scales,
                               float[] w) {
        float sigma2 = 0;
        for (int j = 0; j < superBlock; j++) sigma2 += x[xb + j] * x[xb + j];
        sigma2 *= 2f / superBlock;
        int q4 = yb + (xs ? 8 : 2);
        for (int i = 0; i < superBlock / 2; i++) y[q4 + i] = 0;
        Bits.putShortLE(y, yb, Bits.fp16(0f));
        float maxScale = 0, amaxScale = 0;
        for (int ib = 0; ib < superBlock / 32; ib++) {
            int xo = xb + 32 * ib;
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
                w[j] = qw != null ? qw[qwOff + 32 * ib + j] * (float) Math.sqrt(sigma2 + xj * xj) : xj * xj;
            }
            if (amax < KSearch.GROUP_MAX_EPS) {
                scales[ib] = 0;
                continue;
            }
            float d = -max / VALUES[0];
            float id = 1 / d;
            float sumqx = 0, sumq2 = 0;
            for (int j = 0; j < 32; j++) {
                float xj = x[xo + j];
                int l = bestIndex(id * xj);
                L[32 * ib + j] = (byte) l;
                float q = VALUES[l];
                sumqx += w[j] * q * xj;
                sumq2 += w[j] * q * q;
            }
            d = sumqx / sumq2;
            float best = d * sumqx;
            for (int itry = -NTRY; itry <= NTRY; itry++) {
                id = (itry + VALUES[0]) / max;
                sumqx = sumq2 = 0;
                for (int j = 0; j < 32; j++) {
                    float xj = x[xo + j];
                    float q = VALUES[bestIndex(id * xj)];
                    sumqx += w[j] * q * xj;
                    sumq2 += w[j] * q * q;
                }
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            scales[ib] = d;
            float absD = Math.abs(d);
            if (absD > amaxScale) {
                amaxScale = absD;
                maxScale = d;
            }
        }
        if (xs) {
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
        } else {
            Bits.putShortLE(y, yb, Bits.fp16(scales[0]));
            float id = scales[0] != 0f ? 1 / scales[0] : 0;
            for (int j = 0; j < 32; j++) L[j] = (byte) bestIndex(id * x[xb + j]);
        }
        for (int i = 0; i < superBlock / 32; i++) {
            for (int j = 0; j < 16; j++) y[q4 + 16 * i + j] = (byte) (L[32 * i + j] | (L[32 * i + 16 + j] << 4));
        }
    }
}

package dev.r1.quantize;

/**
 * Q6_K: super-blocks of 256 values in 16 sub-blocks of 16, each with an int8 scale relative to the fp16
 * super-block d; codes are 6 bits (4 low bits in ql, 2 high bits in qh), value = d*sc*(q - 32).
 *
 * <p>Matches ggml's {@code quantize_row_q6_K_ref}: each sub-block's scale comes from
 * {@code make_qx_quants} (nmax 32, weights x², 19 candidate scales around -32/max), the scales are
 * quantized to int8 against the largest one, and the codes recomputed from the quantized scales.
 */
public final class Q6_KQuantizer implements RowQuantizer {
    public static final Q6_KQuantizer INSTANCE = new Q6_KQuantizer();
    public static final int QK_K = 256;
    public static final int BLOCK_BYTES = QK_K / 2 + QK_K / 4 + QK_K / 16 + 2;
    private static final float GROUP_MAX_EPS = 1e-15f;

    private Q6_KQuantizer() {}

    @Override public int ggmlTypeId() { return 14; }
    @Override public String typeName() { return "Q6_K"; }
    @Override public int blockSize() { return QK_K; }
    @Override public int typeSize() { return BLOCK_BYTES; }

    @Override
    public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
        rowBytes(n);
        byte[] L = new byte[QK_K];
        float[] scales = new float[QK_K / 16];
        for (int b = 0; b < n / QK_K; b++) {
            int xb = off + b * QK_K;
            int yb = yOff + b * BLOCK_BYTES;
            int ql = yb, qh = yb + QK_K / 2, sc = qh + QK_K / 4, dOff = sc + QK_K / 16;
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < QK_K / 16; ib++) {
                float scale = makeQxQuants(16, 32, x, xb + 16 * ib, L, 16 * ib);
                scales[ib] = scale;
                float abs = Math.abs(scale);
                if (abs > maxAbsScale) {
                    maxAbsScale = abs;
                    maxScale = scale;
                }
            }
            if (maxAbsScale < GROUP_MAX_EPS) {
                for (int i = 0; i < BLOCK_BYTES; i++) y[yb + i] = 0;
                Bits.putShortLE(y, dOff, Bits.fp16(0f));
                continue;
            }
            float iscale = -128f / maxScale;
            short dh = Bits.fp16(1 / iscale);
            Bits.putShortLE(y, dOff, dh);
            for (int ib = 0; ib < QK_K / 16; ib++) {
                y[sc + ib] = (byte) Math.min(127, Bits.nearestInt(iscale * scales[ib]));
            }
            float dAll = Bits.fp32(dh);
            for (int j = 0; j < QK_K / 16; j++) {
                float d = dAll * y[sc + j];
                if (d == 0f) continue; // ggml keeps the search's codes for this sub-block
                for (int ii = 0; ii < 16; ii++) {
                    int l = Bits.nearestInt(x[xb + 16 * j + ii] / d);
                    l = Math.max(-32, Math.min(31, l));
                    L[16 * j + ii] = (byte) (l + 32);
                }
            }
            for (int j = 0; j < QK_K; j += 128) {
                for (int l = 0; l < 32; l++) {
                    int q1 = L[j + l] & 0xF;
                    int q2 = L[j + l + 32] & 0xF;
                    int q3 = L[j + l + 64] & 0xF;
                    int q4 = L[j + l + 96] & 0xF;
                    y[ql + l] = (byte) (q1 | (q3 << 4));
                    y[ql + l + 32] = (byte) (q2 | (q4 << 4));
                    y[qh + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2)
                            | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
                }
                ql += 64;
                qh += 32;
            }
        }
    }

    /**
     * ggml's {@code make_qx_quants} for rmse_type 1 and no importance weights: signed codes in
     * [-nmax, nmax-1] (stored + nmax) for x = scale*l, picking the best of 19 inverse scales around
     * -nmax/max by weighted (w = x²) least squares. Returns the scale.
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lOff + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xOff + i];
            int l = Bits.nearestInt(iscale * xi);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lOff + i] = (byte) (l + nmax);
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xOff + i];
                int l = Bits.nearestInt(iscale * xi);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    int l = Bits.nearestInt(iscale * x[xOff + i]);
                    L[lOff + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }
}

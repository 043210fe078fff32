package dev.r1.quantize;

/**
 * Q5_K: Q4_K's layout (8 sub-blocks of 32 with 6-bit scales and mins) with 5-bit codes: the fifth bits
 * in {@code qh}, value = d*sc*q - dmin*m.
 *
 * <p>Matches ggml's {@code quantize_row_q5_K_ref}: Q4_K's procedure with codes 0..31 and the search's
 * candidates {@code (-0.5 + 0.1*is + 31)/(max - min)}, is = 0..15.
 */
public final class Q5_KQuantizer implements RowQuantizer {
    public static final Q5_KQuantizer INSTANCE = new Q5_KQuantizer();
    public static final int QK_K = 256;
    public static final int BLOCK_BYTES = 2 + 2 + 12 + QK_K / 8 + QK_K / 2;

    private Q5_KQuantizer() {}

    @Override public int ggmlTypeId() { return 13; }
    @Override public String typeName() { return "Q5_K"; }
    @Override public int blockSize() { return QK_K; }
    @Override public int typeSize() { return BLOCK_BYTES; }

    /** With an importance matrix: ggml's weighted form (see {@link Weighted}). */
    @Override
    public void quantizeRow(float[] x, int off, int n, float[] imatrix, byte[] y, int yOff) {
        if (imatrix == null) {
            quantizeRow(x, off, n, y, yOff);
            return;
        }
        rowBytes(n);
        Weighted.q4Kor5K(x, off, n, imatrix, y, yOff, true);
    }

    @Override
    public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
        rowBytes(n);
        byte[] L = new byte[QK_K];
        float[] xt = new float[QK_K], wt = new float[QK_K], laux = new float[QK_K], lt = new float[QK_K];
        float[] st = LaneSearch.newState();
        float[] mins = new float[8], scales = new float[8];
        for (int b = 0; b < n / QK_K; b++) {
            int xb = off + b * QK_K, yb = yOff + b * BLOCK_BYTES;
            // One sub-block per lane (see LaneSearch): element i of sub-block j at xt[i*8 + j].
            for (int j = 0; j < 8; j++) {
                for (int i = 0; i < 32; i++) xt[i * 8 + j] = x[xb + 32 * j + i];
            }
            LaneSearch.qkx2(xt, 8, lt, scales, mins, wt, laux, st, 31, -0.5f, 15);
            float maxScale = 0f, maxMin = 0f;
            for (int j = 0; j < 8; j++) {
                for (int i = 0; i < 32; i++) L[32 * j + i] = (byte) lt[i * 8 + j];
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            int sc = yb + 4;
            for (int i = 0; i < 12; i++) y[sc + i] = 0;
            for (int j = 0; j < 8; j++) {
                int ls = Math.min(63, Bits.nearestInt(invScale * scales[j]) & 0xFF); // uint8_t then MIN
                int lm = Math.min(63, Bits.nearestInt(invMin * mins[j]) & 0xFF);
                if (j < 4) {
                    y[sc + j] = (byte) ls;
                    y[sc + j + 4] = (byte) lm;
                } else {
                    y[sc + j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                    y[sc + j - 4] |= (byte) ((ls >> 4) << 6);
                    y[sc + j] |= (byte) ((lm >> 4) << 6);
                }
            }
            short dh = Bits.fp16(maxScale / 63f), dminh = Bits.fp16(maxMin / 63f);
            Bits.putShortLE(y, yb, dh);
            Bits.putShortLE(y, yb + 2, dminh);
            float dAll = Bits.fp32(dh), dminAll = Bits.fp32(dminh);
            for (int j = 0; j < 8; j++) {
                float d = dAll * Q4_KQuantizer.scaleK4(y, sc, j);
                if (d == 0f) continue; // ggml keeps the search's codes for this sub-block
                float dm = dminAll * Q4_KQuantizer.minK4(y, sc, j);
                for (int ii = 0; ii < 32; ii++) {
                    int l = Bits.nearestInt((x[xb + 32 * j + ii] + dm) / d);
                    L[32 * j + ii] = (byte) Math.max(0, Math.min(31, l));
                }
            }
            int qh = yb + 16, ql = yb + 48;
            for (int i = 0; i < 32; i++) y[qh + i] = 0;
            int m1 = 1, m2 = 2;
            for (int nn = 0; nn < QK_K; nn += 64) {
                for (int j = 0; j < 32; j++) {
                    int l1 = L[nn + j], l2 = L[nn + j + 32];
                    if (l1 > 15) {
                        l1 -= 16;
                        y[qh + j] |= (byte) m1;
                    }
                    if (l2 > 15) {
                        l2 -= 16;
                        y[qh + j] |= (byte) m2;
                    }
                    y[ql + j] = (byte) (l1 | (l2 << 4));
                }
                m1 <<= 2;
                m2 <<= 2;
                ql += 32;
            }
        }
    }
}

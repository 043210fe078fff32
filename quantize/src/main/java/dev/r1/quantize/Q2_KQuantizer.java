package dev.r1.quantize;

/**
 * Q2_K: super-blocks of 256 values in 16 sub-blocks of 16, each with a 4-bit scale and a 4-bit min
 * (relative to the fp16 super-block d and dmin), 2-bit codes, value = d*sc*q - dmin*m.
 *
 * <p>Matches ggml's {@code quantize_row_q2_K_ref}: each sub-block's (scale, min) comes from
 * {@code make_qkx2_quants} (codes 0..3, weights |x|, absolute error, 16 candidate scales), scales and
 * mins are quantized to 4 bits against the largest of each, and the codes recomputed from them.
 */
public final class Q2_KQuantizer implements RowQuantizer {
    public static final Q2_KQuantizer INSTANCE = new Q2_KQuantizer();
    public static final int QK_K = 256;
    public static final int BLOCK_BYTES = 16 + QK_K / 4 + 4;

    private Q2_KQuantizer() {}

    @Override public int ggmlTypeId() { return 10; }
    @Override public String typeName() { return "Q2_K"; }
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
        Weighted.q2K(x, off, n, imatrix, y, yOff);
    }

    @Override
    public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
        rowBytes(n);
        byte[] L = new byte[QK_K];
        float[] xt = new float[QK_K], wt = new float[QK_K], laux = new float[QK_K], lt = new float[QK_K];
        float[] st = LaneSearch.newState();
        float[] mins = new float[16], scales = new float[16];
        for (int b = 0; b < n / QK_K; b++) {
            int xb = off + b * QK_K, yb = yOff + b * BLOCK_BYTES;
            int sc = yb, qs = yb + 16, dOff = yb + 80;
            // The 16 sub-blocks' searches side by side, one per lane (LaneSearch: each lane does the scalar
            // search's float operations; 2.8x faster than one sub-block at a time): element i of sub-block j at xt[i*16 + j].
            for (int j = 0; j < 16; j++) {
                for (int i = 0; i < 16; i++) xt[i * 16 + j] = x[xb + 16 * j + i];
            }
            LaneSearch.qkx2Abs16(xt, 16, lt, scales, mins, wt, laux, st);
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 16; j++) {
                for (int i = 0; i < 16; i++) L[16 * j + i] = (byte) lt[i * 16 + j];
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            if (maxScale > 0) {
                float iscale = 15f / maxScale;
                for (int j = 0; j < 16; j++) y[sc + j] = (byte) Bits.nearestInt(iscale * scales[j]);
                Bits.putShortLE(y, dOff, Bits.fp16(maxScale / 15f));
            } else {
                for (int j = 0; j < 16; j++) y[sc + j] = 0;
                Bits.putShortLE(y, dOff, Bits.fp16(0f));
            }
            if (maxMin > 0) {
                float iscale = 15f / maxMin;
                for (int j = 0; j < 16; j++) y[sc + j] |= (byte) (Bits.nearestInt(iscale * mins[j]) << 4);
                Bits.putShortLE(y, dOff + 2, Bits.fp16(maxMin / 15f));
            } else {
                Bits.putShortLE(y, dOff + 2, Bits.fp16(0f));
            }
            float dAll = Bits.fp32(Bits.getShortLE(y, dOff)), dminAll = Bits.fp32(Bits.getShortLE(y, dOff + 2));
            for (int j = 0; j < 16; j++) {
                float d = dAll * (y[sc + j] & 0xF);
                if (d == 0f) continue; // ggml keeps the search's codes for this sub-block
                float dm = dminAll * ((y[sc + j] & 0xFF) >>> 4);
                for (int ii = 0; ii < 16; ii++) {
                    int l = Bits.nearestInt((x[xb + 16 * j + ii] + dm) / d);
                    L[16 * j + ii] = (byte) Math.max(0, Math.min(3, l));
                }
            }
            packQ2(L, y, qs);
        }
    }

    /** 2-bit codes: byte {@code 32h + l} holds elements {@code 128h + l + 32k} at bits {@code 2k}. */
    static void packQ2(byte[] L, byte[] y, int qs) {
        for (int j = 0; j < QK_K; j += 128) {
            for (int l = 0; l < 32; l++) {
                y[qs + j / 4 + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
            }
        }
    }
}

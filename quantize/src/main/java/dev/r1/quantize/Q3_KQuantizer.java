package dev.r1.quantize;

/**
 * Q3_K: super-blocks of 256 values in 16 sub-blocks of 16, each with a 6-bit signed scale relative to
 * the fp16 super-block d; 3-bit codes (2 low bits packed as in Q2_K, the third in {@code hmask}),
 * value = d*(sc - 32)*(q - 4).
 *
 * <p>Matches ggml's {@code quantize_row_q3_K_ref}: each sub-block's scale comes from
 * {@code make_q3_quants} (codes -4..3, refined by single-code moves), scales are quantized to 6 bits
 * against the one of largest magnitude, and the codes recomputed from them.
 */
public final class Q3_KQuantizer implements RowQuantizer {
    public static final Q3_KQuantizer INSTANCE = new Q3_KQuantizer();
    public static final int QK_K = 256;
    public static final int BLOCK_BYTES = QK_K / 8 + QK_K / 4 + 12 + 2;

    private Q3_KQuantizer() {}

    @Override public int ggmlTypeId() { return 11; }
    @Override public String typeName() { return "Q3_K"; }
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
        Weighted.q3K(x, off, n, imatrix, y, yOff);
    }

    @Override
    public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
        rowBytes(n);
        byte[] L = new byte[QK_K];
        float[] scales = new float[16];
        for (int b = 0; b < n / QK_K; b++) {
            int xb = off + b * QK_K, yb = yOff + b * BLOCK_BYTES;
            int hmask = yb, qs = yb + 32, sc = yb + 96, dOff = yb + 108;
            float maxScale = 0, amax = 0;
            for (int j = 0; j < 16; j++) {
                scales[j] = KSearch.q3(16, 4, x, xb + 16 * j, L, 16 * j);
                float scale = Math.abs(scales[j]);
                if (scale > amax) {
                    amax = scale;
                    maxScale = scales[j];
                }
            }
            for (int i = 0; i < 12; i++) y[sc + i] = 0;
            if (maxScale != 0f) {
                float iscale = -32f / maxScale;
                for (int j = 0; j < 16; j++) {
                    int l = (byte) Bits.nearestInt(iscale * scales[j]); // int8_t in ggml
                    l = Math.max(-32, Math.min(31, l)) + 32;
                    if (j < 8) y[sc + j] = (byte) (l & 0xF);
                    else y[sc + j - 8] |= (byte) ((l & 0xF) << 4);
                    l >>= 4;
                    y[sc + j % 4 + 8] |= (byte) (l << (2 * (j / 4)));
                }
                Bits.putShortLE(y, dOff, Bits.fp16(1 / iscale));
            } else {
                Bits.putShortLE(y, dOff, Bits.fp16(0f));
            }
            float dAll = Bits.fp32(Bits.getShortLE(y, dOff));
            for (int j = 0; j < 16; j++) {
                int s = j < 8 ? y[sc + j] & 0xF : (y[sc + j - 8] & 0xFF) >>> 4;
                s = (s | (((y[sc + 8 + j % 4] & 0xFF) >>> (2 * (j / 4))) & 3) << 4) - 32;
                float d = dAll * s;
                if (d == 0f) continue;
                for (int ii = 0; ii < 16; ii++) {
                    int l = Bits.nearestInt(x[xb + 16 * j + ii] / d);
                    L[16 * j + ii] = (byte) (Math.max(-4, Math.min(3, l)) + 4);
                }
            }
            for (int i = 0; i < 32; i++) y[hmask + i] = 0;
            // the third bit of element j goes to bit j/32 of hmask[j%32]
            for (int j = 0; j < QK_K; j++) {
                if (L[j] > 3) {
                    y[hmask + j % 32] |= (byte) (1 << (j / 32));
                    L[j] -= 4;
                }
            }
            Q2_KQuantizer.packQ2(L, y, qs);
        }
    }
}

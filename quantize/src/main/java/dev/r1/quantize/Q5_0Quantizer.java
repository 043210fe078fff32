package dev.r1.quantize;

/**
 * Q5_0: blocks of 32 values as an fp16 scale d, 32 fifth bits and 32 low nibbles, value = (q - 16) * d.
 * Matches ggml's {@code quantize_row_q5_0_ref}: like Q4_0, d = max / -16 from the value of largest
 * magnitude with its sign, codes truncated from {@code x/d + 16.5} and clamped to 31.
 */
public final class Q5_0Quantizer implements RowQuantizer {
    public static final Q5_0Quantizer INSTANCE = new Q5_0Quantizer();
    public static final int QK = 32;
    public static final int BLOCK_BYTES = 2 + 4 + QK / 2;

    private Q5_0Quantizer() {}

    @Override public int ggmlTypeId() { return 6; }
    @Override public String typeName() { return "Q5_0"; }
    @Override public int blockSize() { return QK; }
    @Override public int typeSize() { return BLOCK_BYTES; }

    /** With an importance matrix: ggml's weighted form (see {@link Weighted}). */
    @Override
    public void quantizeRow(float[] x, int off, int n, float[] imatrix, byte[] y, int yOff) {
        if (imatrix == null) {
            quantizeRow(x, off, n, y, yOff);
            return;
        }
        rowBytes(n);
        Weighted.q4_0or5_0(x, off, n, imatrix, y, yOff, true);
    }

    @Override
    public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
        rowBytes(n);
        for (int b = 0; b < n / QK; b++) {
            int xb = off + b * QK, yb = yOff + b * BLOCK_BYTES;
            float amax = 0f, max = 0f;
            for (int j = 0; j < QK; j++) {
                float v = x[xb + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -16f;
            float id = d != 0f ? 1.0f / d : 0f;
            Bits.putShortLE(y, yb, Bits.fp16(d));
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                float x0 = x[xb + j] * id;
                float x1 = x[xb + QK / 2 + j] * id;
                int q0 = Math.min(31, (byte) Bits.cvtt(x0 + 16.5f)) & 0xFF;
                int q1 = Math.min(31, (byte) Bits.cvtt(x1 + 16.5f)) & 0xFF;
                y[yb + 6 + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= ((q0 & 0x10) >>> 4) << j;
                qh |= ((q1 & 0x10) >>> 4) << (j + QK / 2);
            }
            putIntLE(y, yb + 2, qh);
        }
    }

    static void putIntLE(byte[] b, int off, int v) {
        for (int i = 0; i < 4; i++) b[off + i] = (byte) (v >>> (8 * i));
    }
}

package dev.r1.quantize;

/**
 * Q4_1: blocks of 32 values as fp16 scale d = (max - min)/15, fp16 minimum m and 32 4-bit codes,
 * value = q * d + m. Matches ggml's {@code quantize_row_q4_1_ref}: codes truncated from
 * {@code (x - min)/d + 0.5} (through int8, as C converts) and clamped to 15.
 */
public final class Q4_1Quantizer implements RowQuantizer {
    public static final Q4_1Quantizer INSTANCE = new Q4_1Quantizer();
    public static final int QK = 32;
    public static final int BLOCK_BYTES = 4 + QK / 2;

    private Q4_1Quantizer() {}

    @Override public int ggmlTypeId() { return 3; }
    @Override public String typeName() { return "Q4_1"; }
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
        Weighted.q4_1or5_1(x, off, n, imatrix, y, yOff, false);
    }

    @Override
    public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
        rowBytes(n);
        for (int b = 0; b < n / QK; b++) {
            int xb = off + b * QK, yb = yOff + b * BLOCK_BYTES;
            float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
            for (int j = 0; j < QK; j++) {
                float v = x[xb + j];
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float d = (max - min) / 15f;
            float id = d != 0f ? 1.0f / d : 0f;
            Bits.putShortLE(y, yb, Bits.fp16(d));
            Bits.putShortLE(y, yb + 2, Bits.fp16(min));
            for (int j = 0; j < QK / 2; j++) {
                float x0 = (x[xb + j] - min) * id;
                float x1 = (x[xb + QK / 2 + j] - min) * id;
                int q0 = Math.min(15, (byte) Bits.cvtt(x0 + 0.5f)) & 0xFF;
                int q1 = Math.min(15, (byte) Bits.cvtt(x1 + 0.5f)) & 0xFF;
                y[yb + 4 + j] = (byte) (q0 | (q1 << 4));
            }
        }
    }
}

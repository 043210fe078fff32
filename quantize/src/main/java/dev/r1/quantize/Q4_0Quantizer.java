package dev.r1.quantize;

/**
 * Q4_0: blocks of 32 values as an fp16 scale d and 32 4-bit codes q, value = (q - 8) * d. Matches ggml's
 * {@code quantize_row_q4_0_ref}: d comes from the value of largest magnitude <em>with its sign</em>
 * (d = max / -8, so that value lands exactly on code 0), and codes are truncated from {@code x/d + 8.5}
 * (not rounded) and clamped to 15.
 */
public final class Q4_0Quantizer implements RowQuantizer {
    public static final Q4_0Quantizer INSTANCE = new Q4_0Quantizer();
    public static final int QK = 32;
    public static final int BLOCK_BYTES = 2 + QK / 2;

    private Q4_0Quantizer() {}

    @Override public int ggmlTypeId() { return 2; }
    @Override public String typeName() { return "Q4_0"; }
    @Override public int blockSize() { return QK; }
    @Override public int typeSize() { return BLOCK_BYTES; }

    @Override
    public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
        rowBytes(n);
        for (int b = 0; b < n / QK; b++) {
            int xb = off + b * QK;
            int yb = yOff + b * BLOCK_BYTES;
            float amax = 0f, max = 0f;
            for (int j = 0; j < QK; j++) {
                float v = x[xb + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8f;
            float id = d != 0f ? 1.0f / d : 0f;
            Bits.putShortLE(y, yb, Bits.fp16(d));
            for (int j = 0; j < QK / 2; j++) {
                float x0 = x[xb + j] * id;
                float x1 = x[xb + QK / 2 + j] * id;
                // (int8_t) truncation then MIN(15, .), stored as uint8_t: keep C's wrap-around exactly.
                int q0 = Math.min(15, (byte) Bits.cvtt(x0 + 8.5f)) & 0xFF;
                int q1 = Math.min(15, (byte) Bits.cvtt(x1 + 8.5f)) & 0xFF;
                y[yb + 2 + j] = (byte) (q0 | (q1 << 4));
            }
        }
    }
}

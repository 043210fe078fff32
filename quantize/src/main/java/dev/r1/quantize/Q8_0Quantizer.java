package dev.r1.quantize;

/**
 * Q8_0: blocks of 32 values as an fp16 scale d = amax/127 and 32 int8 codes, value = q * d. Matches
 * ggml's {@code quantize_row_q8_0_ref}: codes are {@code roundf(x/d)} (half away from zero).
 */
public final class Q8_0Quantizer implements RowQuantizer {
    public static final Q8_0Quantizer INSTANCE = new Q8_0Quantizer();
    public static final int QK = 32;
    public static final int BLOCK_BYTES = 2 + QK;

    private Q8_0Quantizer() {}

    @Override public int ggmlTypeId() { return 8; }
    @Override public String typeName() { return "Q8_0"; }
    @Override public int blockSize() { return QK; }
    @Override public int typeSize() { return BLOCK_BYTES; }

    @Override
    public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
        rowBytes(n);
        for (int b = 0; b < n / QK; b++) {
            int xb = off + b * QK;
            int yb = yOff + b * BLOCK_BYTES;
            float amax = 0f;
            for (int j = 0; j < QK; j++) {
                float a = Math.abs(x[xb + j]);
                amax = amax > a ? amax : a;
            }
            float d = amax / 127f;
            float id = d != 0f ? 1.0f / d : 0f;
            Bits.putShortLE(y, yb, Bits.fp16(d));
            for (int j = 0; j < QK; j++) {
                // For tiny amax, 1/d overflows to inf and ggml stores the low byte of cvttss2si's 0x80000000.
                y[yb + 2 + j] = (byte) Bits.cvtt(Bits.roundf(x[xb + j] * id));
            }
        }
    }
}

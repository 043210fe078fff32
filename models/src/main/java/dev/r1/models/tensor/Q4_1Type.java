package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml Q4_1: blocks of 32 elements, 20 bytes: f16 scale {@code d}, f16 minimum {@code m}, then 16 bytes
 * of 4-bit quants (byte {@code j}: element {@code j} low nibble, {@code j + 16} high); value = q * d + m.
 */
public final class Q4_1Type implements TypeLayout {
    public static final int BLOCK_SIZE = 32;
    public static final int TYPE_SIZE = 20;
    public static final int OFF_D = 0;
    public static final int OFF_M = 2;
    public static final int OFF_QS = 4;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        int blocks = nElements / BLOCK_SIZE;
        for (int b = 0; b < blocks; b++) {
            long base = byteOffset + (long) b * TYPE_SIZE;
            float d = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_D));
            float m = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_M));
            int out = dstOff + b * BLOCK_SIZE;
            for (int j = 0; j < 16; j++) {
                int q = src.get(Layouts.I8, base + OFF_QS + j) & 0xFF;
                dst[out + j] = (q & 0x0F) * d + m;
                dst[out + j + 16] = (q >>> 4) * d + m;
            }
        }
    }
}

package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml Q5_1: blocks of 32 elements, 24 bytes: f16 scale {@code d}, f16 minimum {@code m}, the 32-bit
 * word of fifth bits {@code qh}, then 16 bytes of low nibbles as in Q5_0; value = q * d + m.
 */
public final class Q5_1Type implements TypeLayout {
    public static final int BLOCK_SIZE = 32;
    public static final int TYPE_SIZE = 24;
    public static final int OFF_D = 0;
    public static final int OFF_M = 2;
    public static final int OFF_QH = 4;
    public static final int OFF_QS = 8;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        int blocks = nElements / BLOCK_SIZE;
        for (int b = 0; b < blocks; b++) {
            long base = byteOffset + (long) b * TYPE_SIZE;
            float d = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_D));
            float m = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_M));
            int qh = src.get(Layouts.I32, base + OFF_QH);
            int out = dstOff + b * BLOCK_SIZE;
            for (int j = 0; j < 16; j++) {
                int q = src.get(Layouts.I8, base + OFF_QS + j) & 0xFF;
                int lo = (q & 0x0F) | ((qh >>> j) & 1) << 4;
                int hi = (q >>> 4) | ((qh >>> (j + 16)) & 1) << 4;
                dst[out + j] = lo * d + m;
                dst[out + j + 16] = hi * d + m;
            }
        }
    }
}

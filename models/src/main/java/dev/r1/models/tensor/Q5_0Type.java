package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml Q5_0: blocks of 32 elements, 22 bytes: f16 scale {@code d}, a 32-bit little-endian word of fifth
 * bits {@code qh} (bit {@code i} belongs to element {@code i}), then 16 bytes of low nibbles laid out as
 * in Q4_0; value = (q - 16) * d.
 */
public final class Q5_0Type implements TypeLayout {
    public static final int BLOCK_SIZE = 32;
    public static final int TYPE_SIZE = 22;
    public static final int OFF_D = 0;
    public static final int OFF_QH = 2;
    public static final int OFF_QS = 6;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        int blocks = nElements / BLOCK_SIZE;
        for (int b = 0; b < blocks; b++) {
            long base = byteOffset + (long) b * TYPE_SIZE;
            float d = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_D));
            int qh = src.get(Layouts.I32, base + OFF_QH);
            int out = dstOff + b * BLOCK_SIZE;
            for (int j = 0; j < 16; j++) {
                int q = src.get(Layouts.I8, base + OFF_QS + j) & 0xFF;
                int lo = (q & 0x0F) | ((qh >>> j) & 1) << 4;
                int hi = (q >>> 4) | ((qh >>> (j + 16)) & 1) << 4;
                dst[out + j] = (lo - 16) * d;
                dst[out + j + 16] = (hi - 16) * d;
            }
        }
    }
}

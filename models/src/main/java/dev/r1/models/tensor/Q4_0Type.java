package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml Q4_0: blocks of 32 elements, 18 bytes: f16 scale {@code d}, then 16 bytes of 4-bit quants.
 * Byte {@code j} holds element {@code j} in its low nibble and element {@code j + 16} in its high
 * nibble; value = (q - 8) * d.
 */
public final class Q4_0Type implements TypeLayout {
    public static final int BLOCK_SIZE = 32;
    public static final int TYPE_SIZE = 18;
    /** Byte offset of the f16 scale within a block. */
    public static final int OFF_D = 0;
    /** Byte offset of the 16 quant bytes within a block. */
    public static final int OFF_QS = 2;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        int blocks = nElements / BLOCK_SIZE;
        for (int b = 0; b < blocks; b++) {
            long base = byteOffset + (long) b * TYPE_SIZE;
            float d = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_D));
            int out = dstOff + b * BLOCK_SIZE;
            for (int j = 0; j < 16; j++) {
                int q = src.get(Layouts.I8, base + OFF_QS + j) & 0xFF;
                dst[out + j] = ((q & 0x0F) - 8) * d;
                dst[out + j + 16] = ((q >>> 4) - 8) * d;
            }
        }
    }
}

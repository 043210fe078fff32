package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/** ggml Q8_0: blocks of 32 elements, 34 bytes: f16 scale {@code d}, then 32 int8 quants; value = q * d. */
public final class Q8_0Type implements TypeLayout {
    public static final int BLOCK_SIZE = 32;
    public static final int TYPE_SIZE = 34;
    public static final int OFF_D = 0;
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
            for (int j = 0; j < BLOCK_SIZE; j++) {
                dst[out + j] = src.get(Layouts.I8, base + OFF_QS + j) * d;
            }
        }
    }
}

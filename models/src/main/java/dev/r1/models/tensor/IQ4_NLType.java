package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml IQ4_NL: blocks of 32 elements, 18 bytes: f16 scale {@code d}, then 16 bytes of 4-bit indices
 * laid out as in Q4_0 into the non-linear table {@link #VALUES}; value = d * VALUES[q].
 */
public final class IQ4_NLType implements TypeLayout {
    public static final int BLOCK_SIZE = 32;
    public static final int TYPE_SIZE = 18;
    public static final int OFF_D = 0;
    public static final int OFF_QS = 2;

    /** ggml's {@code kvalues_iq4nl}: the 16 levels, denser near zero. */
    private static final byte[] VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    /** The level of 4-bit index {@code q}. */
    public static int value(int q) { return VALUES[q]; }

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
                dst[out + j] = d * VALUES[q & 0x0F];
                dst[out + j + 16] = d * VALUES[q >>> 4];
            }
        }
    }
}

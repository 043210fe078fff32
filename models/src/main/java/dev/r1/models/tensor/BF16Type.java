package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/** ggml BF16: the upper 16 bits of an IEEE binary32, little-endian. */
public final class BF16Type implements TypeLayout {
    public static final int BLOCK_SIZE = 1;
    public static final int TYPE_SIZE = 2;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    /** Widening is exact: bf16 is a truncated float. */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        for (int i = 0; i < nElements; i++) {
            dst[dstOff + i] = toFloat(src.get(Layouts.I16, byteOffset + 2L * i));
        }
    }
}

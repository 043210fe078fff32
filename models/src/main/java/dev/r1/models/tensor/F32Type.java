package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/** ggml F32: plain little-endian IEEE binary32. */
public final class F32Type implements TypeLayout {
    public static final int BLOCK_SIZE = 1;
    public static final int TYPE_SIZE = 4;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        MemorySegment.copy(src, Layouts.F32, byteOffset, dst, dstOff, nElements);
    }
}

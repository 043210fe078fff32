package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/** ggml F16: IEEE binary16, little-endian. */
public final class F16Type implements TypeLayout {
    public static final int BLOCK_SIZE = 1;
    public static final int TYPE_SIZE = 2;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        for (int i = 0; i < nElements; i++) {
            dst[dstOff + i] = Float.float16ToFloat(src.get(Layouts.I16, byteOffset + 2L * i));
        }
    }
}

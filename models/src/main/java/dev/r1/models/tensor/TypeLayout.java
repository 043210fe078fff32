package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * What one ggml tensor type knows about its bytes: the block layout and how to turn blocks back into
 * floats. One implementation per type ({@link Q4_0Type}, {@link Q4_KType}, ...); quantizers and CPU
 * kernels live in other modules and use the layout constants each implementation exposes.
 */
public interface TypeLayout {

    /** Elements per block (1 for plain float types). */
    int blockSize();

    /** Bytes per block. */
    int typeSize();

    /**
     * Dequantizes {@code nElements} (a multiple of {@link #blockSize()}) starting at byte
     * {@code byteOffset} of {@code src} into {@code dst[dstOff ..]}. Bit-exact with ggml's reference
     * {@code dequantize_row_*} for the same float operation order.
     */
    void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements);
}

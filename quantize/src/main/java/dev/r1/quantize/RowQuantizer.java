package dev.r1.quantize;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Encodes rows of floats into one ggml tensor type. Implementations are stateless and thread-safe, so
 * rows can be quantized in parallel.
 */
public interface RowQuantizer {

    /** The ggml type id written ({@code enum ggml_type}). */
    int ggmlTypeId();

    /** Short ggml type name, e.g. {@code Q4_0}. */
    String typeName();

    /** Elements per block (1 for the float types). */
    int blockSize();

    /** Bytes per block. */
    int typeSize();

    /** Bytes one row of {@code n} elements takes; {@code n} must be a whole number of blocks. */
    default long rowBytes(long n) {
        if (n % blockSize() != 0) {
            throw new QuantizeException(typeName() + " needs rows that are a multiple of " + blockSize()
                    + " elements, got " + n);
        }
        return n / blockSize() * typeSize();
    }

    /**
     * Encodes {@code src[srcOff .. srcOff+n)} into {@code dst[dstOff ..)}. Inputs must be finite (callers
     * check, see {@link Quantizers}); {@code n} must be a multiple of {@link #blockSize()}.
     */
    void quantizeRow(float[] src, int srcOff, int n, byte[] dst, int dstOff);

    /**
     * With an importance matrix: {@code imatrix[0..n)} weighs each column of the row (llama-imatrix's
     * mean squared activations), as ggml's {@code quantize_*} with {@code quant_weights}; null is the
     * plain form. Types whose ggml quantizer ignores the matrix (Q8_0, the float types) ignore it too.
     */
    default void quantizeRow(float[] src, int srcOff, int n, float[] imatrix, byte[] dst, int dstOff) {
        quantizeRow(src, srcOff, n, dst, dstOff);
    }

    /** Same as the byte[] form, into a memory segment (a mapped output file, native memory). */
    default void quantizeRow(float[] src, int srcOff, int n, MemorySegment dst, long dstOff) {
        int bytes = Math.toIntExact(rowBytes(n));
        byte[] tmp = new byte[bytes];
        quantizeRow(src, srcOff, n, tmp, 0);
        MemorySegment.copy(tmp, 0, dst, ValueLayout.JAVA_BYTE, dstOff, bytes);
    }
}

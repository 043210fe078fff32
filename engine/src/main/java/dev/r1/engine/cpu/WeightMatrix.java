package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix as stored by ggml: {@code rows} rows (output features) of {@code cols} elements
 * (input features, GGUF {@code ne0}), each row a whole number of blocks, read in place from the mapping.
 * {@code packed}, when not null, is the same matrix in a row-interleaved layout ({@link Q4x8} for Q4_0,
 * {@link Q6Kx8} for Q6_K), which the matmul kernels then read instead of {@code data}.
 */
public record WeightMatrix(String name, GgmlType type, int rows, int cols, MemorySegment data, MemorySegment packed) {
    public WeightMatrix(String name, GgmlType type, int rows, int cols, MemorySegment data) {
        this(name, type, rows, cols, data, null);
    }

    public WeightMatrix {
        if (cols % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': row length " + cols
                    + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        long need = (long) rows * rowBytes(type, cols);
        if (data.byteSize() < need) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.byteSize() + " bytes, expected " + need);
        }
        if (packed != null && !(type == GgmlType.Q4_0 && Q4x8.fits(rows, cols) && packed.byteSize() >= need
                || type == GgmlType.Q6_K && Q6Kx8.fits(rows, cols) && packed.byteSize() >= (long) rows / Q6Kx8.R * (cols / 256) * Q6Kx8.BLOCK)) {
            throw new IllegalArgumentException("tensor '" + name + "': not a repacked Q4_0 or Q6_K matrix");
        }
    }

    static long rowBytes(GgmlType type, int cols) {
        return (long) cols / type.blockSize() * type.typeSize();
    }

    public long rowBytes() { return rowBytes(type, cols); }

    /** True when rows are dotted with 8-bit quantized activations. */
    public boolean usesQ8Activations() {
        return type == GgmlType.Q4_0 || type == GgmlType.Q8_0 || type == GgmlType.Q4_K || type == GgmlType.Q6_K;
    }

    /** Dequantizes row {@code r} into {@code dst[0..cols)}. */
    public void row(int r, float[] dst) {
        if (type == GgmlType.F32) {
            MemorySegment.copy(data, QuantLayouts.F32, (long) r * rowBytes(), dst, 0, cols);
        } else {
            type.dequantize(data, (long) r * rowBytes(), dst, 0, cols);
        }
    }
}

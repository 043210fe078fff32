package dev.r1.models.gguf;

import dev.r1.models.tensor.GgmlType;

import java.util.Arrays;

/**
 * A tensor info from a GGUF file. {@code dims} are in ggml order: {@code ne0} (the contiguous row,
 * i.e. the input/column dimension of a weight) first. {@code dataOffset} is relative to the start of
 * the file's data section, as stored in the file; {@link GgufFile#data(GgufTensor)} gives the bytes.
 */
public record GgufTensor(String name, GgmlType type, long[] dims, long dataOffset, long byteSize) {

    public GgufTensor {
        dims = dims.clone();
    }

    @Override
    public long[] dims() { return dims.clone(); }

    public int nDims() { return dims.length; }

    /** ne{@code i}, or 1 past the stored dimensions (as ggml pads to 4 dims). */
    public long dim(int i) { return i < dims.length ? dims[i] : 1; }

    /** Total element count (validated against overflow when the file was read). */
    public long nElements() {
        long n = 1;
        for (long d : dims) n = Math.multiplyExact(n, d);
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensor t && t.name.equals(name) && t.type == type && Arrays.equals(t.dims, dims)
                && t.dataOffset == dataOffset && t.byteSize == byteSize;
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(dims); }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims) + " @" + dataOffset + " (" + byteSize + " bytes)";
    }
}

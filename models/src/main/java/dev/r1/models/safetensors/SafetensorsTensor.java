package dev.r1.models.safetensors;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor of a safetensors file. {@code shape} is row-major as in PyTorch (outermost first); a
 * {@code [out, in]} weight has GGUF dims {@link #ggmlDims()} = {@code [in, out]}. {@code begin} and
 * {@code end} are byte offsets relative to the file's data section.
 */
public record SafetensorsTensor(String name, SafetensorsDtype dtype, long[] shape, long begin, long end, Path file) {

    public SafetensorsTensor {
        shape = shape.clone();
    }

    @Override public long[] shape() { return shape.clone(); }

    /** The shape reversed into ggml order ({@code ne0} = last PyTorch dimension). */
    public long[] ggmlDims() {
        long[] d = new long[shape.length];
        for (int i = 0; i < d.length; i++) d[i] = shape[shape.length - 1 - i];
        return d;
    }

    public long byteSize() { return end - begin; }

    public long nElements() { return byteSize() / dtype.size(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof SafetensorsTensor t && t.name.equals(name) && t.dtype == dtype && Arrays.equals(t.shape, shape)
                && t.begin == begin && t.end == end && t.file.equals(file);
    }

    @Override public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override public String toString() { return name + " " + dtype + " " + Arrays.toString(shape); }
}

package dev.r1.models.tensor;

import dev.r1.models.ModelException;

import java.lang.foreign.MemorySegment;

/**
 * A ggml type whose block layout (size and bytes) r1 knows, so that files holding it can be read,
 * listed, sized and handed to llama.cpp, but whose values r1 cannot decode itself.
 */
final class OpaqueType implements TypeLayout {
    private final String name;
    private final int blockSize, typeSize;

    OpaqueType(String name, int blockSize, int typeSize) {
        this.name = name;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    @Override public int blockSize() { return blockSize; }
    @Override public int typeSize() { return typeSize; }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        throw new ModelException("r1 cannot decode ggml type " + name + " itself (its Java engine and quantizer read "
                + GgmlType.dequantizableNames() + "); run this model with --backend llama.cpp, or requantize it "
                + "from a source in one of those types");
    }
}

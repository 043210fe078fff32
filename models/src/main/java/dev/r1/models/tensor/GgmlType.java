package dev.r1.models.tensor;

import dev.r1.models.ModelException;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The ggml tensor types r1 reads and writes, with their ggml type ids (as stored in GGUF). The block
 * layout and dequantization of each lives in one {@link TypeLayout} class per type.
 */
public enum GgmlType {
    F32(0, new F32Type()),
    F16(1, new F16Type()),
    Q4_0(2, new Q4_0Type()),
    Q8_0(8, new Q8_0Type()),
    Q4_K(12, new Q4_KType()),
    Q6_K(14, new Q6_KType()),
    BF16(30, new BF16Type());

    private final int id;
    private final TypeLayout layout;

    GgmlType(int id, TypeLayout layout) {
        this.id = id;
        this.layout = layout;
    }

    /** The ggml type id ({@code enum ggml_type}). */
    public int id() { return id; }

    /** Elements per block. */
    public int blockSize() { return layout.blockSize(); }

    /** Bytes per block. */
    public int typeSize() { return layout.typeSize(); }

    /** The class that knows this type's block layout. */
    public TypeLayout layout() { return layout; }

    /** True for the block-quantized types (not F32/F16/BF16). */
    public boolean isQuantized() { return layout.blockSize() > 1; }

    /**
     * Bytes taken by {@code nElements} elements of this type.
     *
     * @throws IllegalArgumentException if negative or not a whole number of blocks
     * @throws ArithmeticException if the size does not fit in a long
     */
    public long byteSize(long nElements) {
        if (nElements < 0) throw new IllegalArgumentException("negative element count " + nElements);
        if (nElements % blockSize() != 0) {
            throw new IllegalArgumentException(name() + " needs a multiple of " + blockSize()
                    + " elements, got " + nElements);
        }
        return Math.multiplyExact(nElements / blockSize(), (long) typeSize());
    }

    /** Dequantizes {@code nElements} (whole blocks) at {@code src + byteOffset} into {@code dst[dstOff..]}. */
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        if (nElements < 0 || nElements % blockSize() != 0) {
            throw new IllegalArgumentException(name() + " dequantizes whole blocks of " + blockSize()
                    + " elements, got " + nElements);
        }
        layout.dequantize(src, byteOffset, dst, dstOff, nElements);
    }

    /** Convenience: a freshly allocated float array with all of {@code src} dequantized. */
    public float[] dequantize(MemorySegment src) {
        long blocks = src.byteSize() / typeSize();
        if (blocks * typeSize() != src.byteSize() || blocks * blockSize() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name() + ": cannot dequantize " + src.byteSize() + " bytes at once");
        }
        float[] out = new float[(int) (blocks * blockSize())];
        layout.dequantize(src, 0, out, 0, out.length);
        return out;
    }

    /**
     * The type with ggml id {@code id}.
     *
     * @throws ModelException naming the ggml type when it exists but r1 does not support it
     */
    public static GgmlType fromId(int id) {
        for (GgmlType t : values()) {
            if (t.id == id) return t;
        }
        String known = id >= 0 && id < GGML_NAMES.length && GGML_NAMES[id] != null
                ? "ggml type " + GGML_NAMES[id] + " (id " + id + ")"
                : "unknown ggml type id " + id;
        throw new ModelException(known + " is not supported; r1 reads "
                + Arrays.stream(values()).map(t -> t.name() + "(" + t.id + ")").collect(Collectors.joining(", "))
                + ". Re-quantize the model to one of these types (e.g. Q4_K_M, Q4_0, Q8_0 or F16).");
    }

    /** Names of the ggml ids we do not support, so errors can say what the file contains. */
    private static final String[] GGML_NAMES = new String[40];

    static {
        String[] names = {"F32", "F16", "Q4_0", "Q4_1", null, null, "Q5_0", "Q5_1", "Q8_0", "Q8_1",
                "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
                "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16",
                null, null, null, "TQ1_0", "TQ2_0", null, null, null, "MXFP4"};
        System.arraycopy(names, 0, GGML_NAMES, 0, names.length);
    }
}

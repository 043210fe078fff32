package dev.r1.models.tensor;

import dev.r1.models.ModelException;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Every ggml tensor type of the pinned ggml, with its type id (as stored in GGUF), block size and bytes
 * per block, so any file llama.cpp runs can be read, listed and sized. The block layout and
 * dequantization of the types r1 decodes lives in one {@link TypeLayout} class per type; the others
 * ({@link #canDequantize()} false) are run by the llama.cpp backend only.
 */
public enum GgmlType {
    F32(0, new F32Type()),
    F16(1, new F16Type()),
    Q4_0(2, new Q4_0Type()),
    Q4_1(3, new Q4_1Type()),
    Q5_0(6, new Q5_0Type()),
    Q5_1(7, new Q5_1Type()),
    Q8_0(8, new Q8_0Type()),
    Q8_1(9, 32, 36),
    Q2_K(10, new Q2_KType()),
    Q3_K(11, new Q3_KType()),
    Q4_K(12, new Q4_KType()),
    Q5_K(13, new Q5_KType()),
    Q6_K(14, new Q6_KType()),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, new IQ2_XXSType()),
    IQ2_XS(17, new IQ2_XSType()),
    IQ3_XXS(18, new IQ3_XXSType()),
    IQ1_S(19, new IQ1_SType()),
    IQ4_NL(20, new IQ4_NLType()),
    IQ3_S(21, new IQ3_SType()),
    IQ2_S(22, new IQ2_SType()),
    IQ4_XS(23, new IQ4_XSType()),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, new IQ1_MType()),
    BF16(30, new BF16Type()),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17),
    NVFP4(40, 64, 36),
    Q1_0(41, 128, 18),
    Q2_0(42, 64, 18);

    private final int id;
    private final TypeLayout layout;

    GgmlType(int id, TypeLayout layout) {
        this.id = id;
        this.layout = layout;
    }

    /** A type r1 can size but not decode (see {@link #canDequantize()}). */
    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.layout = new OpaqueType(name(), blockSize, typeSize);
    }

    /** The ggml type id ({@code enum ggml_type}). */
    public int id() { return id; }

    /** Elements per block. */
    public int blockSize() { return layout.blockSize(); }

    /** Bytes per block. */
    public int typeSize() { return layout.typeSize(); }

    /** The class that knows this type's block layout. */
    public TypeLayout layout() { return layout; }

    /**
     * True when r1 can turn this type's values into floats (and so its Java engine and quantizer can
     * read it); other types are only sized, listed and passed to llama.cpp. Dequantizing one of those
     * throws a {@link ModelException} that names the llama.cpp backend.
     */
    public boolean canDequantize() { return !(layout instanceof OpaqueType); }

    /** The names of the types {@link #canDequantize()} accepts, for messages. */
    public static String dequantizableNames() {
        return Arrays.stream(values()).filter(GgmlType::canDequantize).map(Enum::name).collect(Collectors.joining(", "));
    }

    /** True for the block-quantized types (not F32/F16/BF16 or the integer types). */
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
     * The type with ggml id {@code id}: every type of the pinned ggml ({@code enum ggml_type}).
     *
     * @throws ModelException for ids ggml removed or never had
     */
    public static GgmlType fromId(int id) {
        if (id >= 0 && id < BY_ID.length && BY_ID[id] != null) return BY_ID[id];
        String what = id >= 0 && id < REMOVED.length && REMOVED[id] != null
                ? "ggml type id " + id + " (" + REMOVED[id] + ") was removed from GGUF by ggml"
                : "unknown ggml type id " + id;
        throw new ModelException(what + "; the pinned ggml knows ids 0-" + (BY_ID.length - 1)
                + " except those. Re-convert the model with a current llama.cpp (convert_hf_to_gguf.py, llama-quantize).");
    }

    private static final GgmlType[] BY_ID = new GgmlType[43];
    /** ggml ids that once existed: a file holding one was made by an old or forked tool. */
    private static final String[] REMOVED = new String[39];

    static {
        for (GgmlType t : values()) BY_ID[t.id] = t;
        REMOVED[4] = "Q4_2";
        REMOVED[5] = "Q4_3";
        REMOVED[31] = "Q4_0_4_4";
        REMOVED[32] = "Q4_0_4_8";
        REMOVED[33] = "Q4_0_8_8";
        REMOVED[36] = "IQ4_NL_4_4";
        REMOVED[37] = "IQ4_NL_4_8";
        REMOVED[38] = "IQ4_NL_8_8";
    }
}

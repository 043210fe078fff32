package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix as stored by ggml: {@code rows} rows (output features) of {@code cols} elements
 * (input features, GGUF {@code ne0}), each row a whole number of blocks, read in place from the mapping.
 * {@code packed}, when not null, is the same matrix in a row-interleaved layout ({@link Q4x8} for Q4_0, {@link Q8x8} for
 * Q8_0 / Q5_0 / Q4_1 / Q5_1 / IQ4_NL, {@link Q4Kx8} for Q4_K, {@link Q5Kx8} for Q5_K, {@link Q6Kx8} for Q6_K and Q3_K (or {@link Q3Kx4}), {@link IQ4XSx8} for IQ4_XS), which the matmul kernels then read instead of {@code data}.
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
                || (type == GgmlType.Q6_K || type == GgmlType.Q3_K || type == GgmlType.IQ4_XS && !IQ4XSx8.NIBBLES) && Q6Kx8.fits(rows, cols) && packed.byteSize() >= (long) rows / Q6Kx8.R * (cols / 256) * Q6Kx8.BLOCK
                || type == GgmlType.Q6_K && Q6Kx6.fits(rows, cols) && Q6Kx8.ggmlLanes(name) && packed.byteSize() >= (long) rows / Q6Kx6.R * (cols / 256) * Q6Kx6.BLOCK
                || type == GgmlType.Q4_K && Q4Kx8.fits(rows, cols) && packed.byteSize() >= (long) rows / Q4Kx8.R * (cols / 256) * Q4Kx8.BLOCK
                || type == GgmlType.Q5_K && Q5Kx8.fits(rows, cols) && packed.byteSize() >= Q5Kx8.bytes(rows, cols)
                || Q8x8.serves(type) && Q8x8.fits(rows, cols) && packed.byteSize() >= Q8x8.bytes(type, rows, cols)
                || (type == GgmlType.IQ4_XS && IQ4XSx8.NIBBLES || IQ4XSx8.servesGrid(type)) && IQ4XSx8.fits(rows, cols) && packed.byteSize() >= IQ4XSx8.bytes(type, rows, cols)
                || type == GgmlType.Q3_K && Q3Kx4.fits(rows, cols) && packed.byteSize() >= Q3Kx4.bytes(rows, cols)
                || type == GgmlType.Q2_K && Q2Kx4.fits(rows, cols) && packed.byteSize() >= Q2Kx4.bytes(rows, cols))) {
            throw new IllegalArgumentException("tensor '" + name + "': not a repacked " + type + " matrix");
        }
    }

    static long rowBytes(GgmlType type, int cols) {
        return (long) cols / type.blockSize() * type.typeSize();
    }

    public long rowBytes() { return rowBytes(type, cols); }

    /**
     * Which kernel family serves a matrix, and so which activation form it reads. Decided here, from the
     * type and the layout {@link CpuBackend#prepare} chose at load; {@link Matmul} only follows it.
     */
    public enum Kernel {
        /** repacked Q4_0 ({@link Q4x8}): Q8_0 activations in natural order, packed into pairs */
        Q4_0_X8,
        /** repacked Q6_K, the output head ({@link Q6Kx8#gemv}): Q8_K activations, spread per token */
        Q6_K_X8,
        /** repacked Q6_K elsewhere ({@link Q6Kx8#gemvGgml}, ggml's lanes): Q8_K activations spread, and their sums of 16 */
        Q6_K_X8_GGML,
        /** repacked Q6_K in 6 bits ({@link Q6Kx6}), the same matrices as {@link #Q6_K_X8_GGML} and its activations, read faster */
        Q6_K_X6,
        /** repacked Q3_K ({@link Q6Kx8#repackQ3K}: Q6_K's layout, values signed), read by {@link Q6Kx8#gemvGgml} with sums of zero */
        Q3_K_X8,
        /**
         * repacked IQ4_XS in {@link #Q3_K_X8}'s layout ({@link Q6Kx8#repackIQ4XS}: levels signed, a byte each), where it
         * takes no 4-bit layout (AVX2 machines): read as Q3_K_X8 is, and in llama.cpp's panel order by {@link Q6Kx8#panel}
         */
        IQ4_XS_X8B,
        /** repacked Q3_K in 4 bits ({@link Q3Kx4}, 512-bit machines): Q8_K activations as pairs */
        Q3_K_X4,
        /** repacked Q2_K in 2 bits ({@link Q2Kx4}, 512-bit machines): Q8_K activations as pairs, and their sums of 16 */
        Q2_K_X4,
        /** repacked Q4_K ({@link Q4Kx8}): Q8_K activations spread per token, and their sums of 16 */
        Q4_K_X8,
        /** repacked Q5_K ({@link Q5Kx8}, ggml's lanes): Q8_K activations as pairs, and their sums of 16 */
        Q5_K_X8,
        /** repacked Q8_0, Q5_0 ({@link Q8x8#gemv}, ggml's lanes): Q4x8's activation pairs */
        Q8_0_X8,
        /** repacked Q4_1, Q5_1 ({@link Q8x8#gemvMin}): Q4x8's activation pairs and Q8_1's sums */
        Q8_1_X8,
        /** repacked Q4_1 in 4 bits ({@link Q8x8#gemvMinNibbles}): Q4x8's activation pairs and Q8_1's sums */
        Q4_1_X4,
        /** repacked IQ4_NL ({@link Q8x8#gemvSum}, ggml's iq4_nl_8x8 order): Q4x8's activation pairs */
        IQ4_NL_X8,
        /** repacked IQ4_XS ({@link IQ4XSx8}, ggml's lanes), and IQ2_XXS / IQ3_XXS / IQ3_S in its 4-bit layout: Q8_K activations as pairs */
        IQ4_XS_X8,
        /** repacked IQ2_XS / IQ2_S ({@link IQ4XSx8#repackGrid}, its 4-bit layout with a scale per 16): Q8_K activations as pairs */
        IQ2_XS_X4,
        /** row-major Q4_0: Q8_0 activations in natural order with block sums */
        Q4_0,
        /** row-major Q8_0: Q8_0 activations in the pair layout */
        Q8_0,
        /** row-major Q4_K / Q6_K ({@link KQuants}), Q5_K / Q3_K / Q2_K / IQ4_XS ({@link KQuants2}), IQ1-IQ3 ({@link IQuants}, {@link IQ1Quants}): Q8_K activations */
        K_QUANT,
        /** row-major Q4_1, Q5_1 ({@link LegacyQuants}): Q8_1 activations (Q8_0's in natural order, block sums) */
        Q4_1, Q5_1,
        /** row-major Q5_0, IQ4_NL ({@link LegacyQuants}): Q8_0 activations in natural order */
        Q5_0, IQ4_NL,
        /** F32 rows dotted with float activations in place */
        F32,
        /** F16 / BF16 rows read in place ({@link HalfKernels}), dotted with activations rounded to the same type, as ggml */
        F16, BF16,
        /** anything else: each row dequantized to floats once per call, dotted with every token */
        DEQUANTIZED
    }

    /** True when rows are dotted with 8-bit quantized activations. */
    public boolean usesQ8Activations() {
        Kernel k = kernel();
        return k != Kernel.F32 && k != Kernel.DEQUANTIZED && k != Kernel.F16 && k != Kernel.BF16;
    }

    public Kernel kernel() {
        return switch (type) {
            case Q4_0 -> packed != null ? Kernel.Q4_0_X8 : Kernel.Q4_0;
            // the two layouts of ggml's lanes told apart by size: 212 bytes a row per super-block in 6 bits, 276 as bytes
            case Q6_K -> packed == null ? Kernel.K_QUANT : !Q6Kx8.ggmlLanes(name) ? Kernel.Q6_K_X8
                    : packed.byteSize() < (long) rows / Q6Kx8.R * (cols / 256) * Q6Kx8.BLOCK ? Kernel.Q6_K_X6 : Kernel.Q6_K_X8_GGML;
            case Q8_0 -> packed != null ? Kernel.Q8_0_X8 : Kernel.Q8_0;
            case Q4_K -> packed != null ? Kernel.Q4_K_X8 : Kernel.K_QUANT;
            case Q5_K -> packed != null ? Kernel.Q5_K_X8 : Kernel.K_QUANT;
            case IQ4_XS -> packed == null ? Kernel.K_QUANT : IQ4XSx8.NIBBLES ? Kernel.IQ4_XS_X8 : Kernel.IQ4_XS_X8B;
            // the two Q3_K layouts told apart by size: 148 bytes a row per super-block in 4 bits, 276 as bytes
            case Q3_K -> packed == null ? Kernel.K_QUANT
                    : packed.byteSize() < (long) rows / Q6Kx8.R * (cols / 256) * Q6Kx8.BLOCK ? Kernel.Q3_K_X4 : Kernel.Q3_K_X8;
            case Q2_K -> packed != null ? Kernel.Q2_K_X4 : Kernel.K_QUANT;
            // the two Q4_1 layouts told apart by size: 20 bytes a row per block in 4 bits, 36 as bytes
            case Q4_1 -> packed == null ? Kernel.Q4_1
                    : packed.byteSize() < (long) rows / Q8x8.R * (cols / 32) * Q8x8.byteBlock(type) ? Kernel.Q4_1_X4 : Kernel.Q8_1_X8;
            case Q5_1 -> packed != null ? Kernel.Q8_1_X8 : Kernel.Q5_1;
            case Q5_0 -> packed != null ? Kernel.Q8_0_X8 : Kernel.Q5_0;
            case IQ4_NL -> packed != null ? Kernel.IQ4_NL_X8 : Kernel.IQ4_NL;
            // IQ2_XXS, IQ3_XXS, IQ3_S repacked in IQ4_XS's 4-bit layout (IQ4XSx8.repackGrid, 512-bit machines)
            case IQ2_XXS, IQ3_XXS, IQ3_S -> packed != null ? Kernel.IQ4_XS_X8 : Kernel.K_QUANT;
            case IQ2_XS, IQ2_S -> packed != null ? Kernel.IQ2_XS_X4 : Kernel.K_QUANT; // the same layout with a scale per 16
            case IQ1_S -> packed != null ? Kernel.IQ4_XS_X8 : Kernel.K_QUANT; // the same layout, its delta part apart (IQ4XSx8.iq1Delta)
            case IQ1_M -> packed != null ? Kernel.IQ2_XS_X4 : Kernel.K_QUANT; // the layout with a scale per 16, its delta lanes a second pass
            case F32 -> Kernel.F32;
            case F16 -> Kernel.F16;
            case BF16 -> Kernel.BF16;
            default -> Kernel.DEQUANTIZED;
        };
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

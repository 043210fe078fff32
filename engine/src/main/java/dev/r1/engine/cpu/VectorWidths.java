package dev.r1.engine.cpu;

import jdk.incubator.vector.VectorShape;

/**
 * The one place the CPU kernels' vector widths come from. By default 256 bits (the hardware's width where
 * that is less); {@code -Dr1.cpu.vectorBits=128|256|512} picks another (never past the hardware), so the
 * tests run the 128-bit paths on any machine, and a figure can be taken at a chosen width.
 *
 * <p>Why not 512 on AVX-512 by default: one process must use one vector shape. The Vector API's shared
 * methods (lanewise, reinterpret, convert) carry one type profile for every caller; with the float kernels
 * at 512 bits and the quantized ones at 256, C2 could no longer bind the decode kernel's calls, boxed its
 * vectors (25 KB per {@link Q4x8#gemv2} call, {@link ProfilePollutionCheck} "pollute-engine") and whole
 * processes decoded 2-3x slower at random (Zen 4, 1.5B: 48-55 ms per token, or 93-155 ms in the same
 * command's next run). At 256 bits everywhere the AVX-512 machine runs the AVX2 machine's kernels.
 *
 * <p>One exception, {@link #REPACK}: the repacked kernels ({@link Q4x8}, {@link Q4Kx8}, {@link Q5Kx8}, {@link Q6Kx8}: nearly
 * all the work of a Q4_0 or Q4_K_M model) run at the hardware's full width, 512 bits on AVX-512: prefilling
 * 512 tokens of the 1.5B Q4_0 shape went from 57-63 to 104-117 tok/s on Zen 4, Q4_K_M decoding 1.2x faster.
 * They can, because they are written so that few shared profiles reach them: every call goes to a method
 * the concrete vector class overrides, and each stored vector has an exact class, stored with {@code intoArray} into
 * a {@code float[]} (see {@link Q4x8}'s note on stores; {@link KernelsAllocateNothingTest} says what still boxes now
 * and then).
 *
 * <p>The row-major quantized kernels cap at 256 bits ({@link #QUANT}): their 16-bit lanes follow ggml's AVX2
 * order, which is what makes their results bit-identical to llama.cpp's (the repacked ones keep one row per
 * lane, so their width does not change a row's sums). A few kernels use a
 * fixed width for the same reason (F16 attention's 8-lane dot, {@code ExpF}); they read neither field.
 */
public final class VectorWidths {
    private VectorWidths() {}

    /** The default width, and the widest the quantized kernels use (see the class comment). */
    static final int DEFAULT_BITS = 256;

    /** Bits of the widest vector the kernels use. */
    public static final int BITS = chosen(System.getProperty("r1.cpu.vectorBits"));

    /** The shape of float/int kernels ({@link FloatKernels}, {@link F16Math}, {@link GgmlExp}). */
    public static final VectorShape SHAPE = VectorShape.forBitSize(BITS);

    /** The shape of the row-major quantized kernels ({@link QuantKernels}, {@link KQuants}). */
    public static final VectorShape QUANT = VectorShape.forBitSize(Math.min(BITS, DEFAULT_BITS));

    /**
     * The shape of the repacked kernels ({@link Q4x8}, {@link Q4Kx8}, {@link Q5Kx8}, {@link Q6Kx8}), and of decoding attention's scores
     * and F16 accumulator ({@link F16Math#FA}): the hardware's full width unless
     * {@code -Dr1.cpu.vectorBits} lowers it (or {@code -Dr1.cpu.repackBits} picks one, for A/B figures).
     * They may differ from the rest because they call only methods each concrete vector class overrides
     * (see {@link Q4x8#gemv}), so other shapes' profiles cannot unbind them; and one lane per row keeps
     * their results the same at any width.
     */
    public static final VectorShape REPACK = VectorShape.forBitSize(repackBits(
            System.getProperty("r1.cpu.repackBits"), System.getProperty("r1.cpu.vectorBits"), VectorShape.preferredShape().vectorBitSize()));

    /**
     * Whether a repacked kernel may shift by immediate counts ({@code lanewise(op, int)}): only where every int vector
     * the engine makes has one shape, 256 bits (AVX2 machines, or {@code -Dr1.cpu.vectorBits=256} with
     * {@code -Dr1.cpu.repackBits=256}; F16 attention's fixed 8-lane kernels are 256 bits too). That call reaches the
     * shift through a method whose type profile all shapes share (the {@code lanewise(op, vector)} form does not), so a
     * second shape would unbind the other callers' shifts. See {@link Q5Kx8#IMM}.
     */
    static boolean immediateShifts() {
        return REPACK.equals(SHAPE) && SHAPE.equals(QUANT) && SHAPE.vectorBitSize() == 256;
    }

    static int repackBits(String repack, String all, int hw) {
        if (repack != null && !repack.isBlank()) return parsed("r1.cpu.repackBits", repack, hw);
        return all != null && !all.isBlank() ? parsed("r1.cpu.vectorBits", all, hw) : hw;
    }

    static int chosen(String override) {
        return chosen(override, VectorShape.preferredShape().vectorBitSize());
    }

    /** The width for {@code -Dr1.cpu.vectorBits=override} (null: the default) on hardware of {@code hw} bits. */
    static int chosen(String override, int hw) {
        if (override == null || override.isBlank()) return Math.min(hw, DEFAULT_BITS);
        return parsed("r1.cpu.vectorBits", override, hw);
    }

    /** {@code -Dname=value} as a width, never past the hardware's. */
    private static int parsed(String name, String value, int hw) {
        int want;
        try {
            want = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            want = 0;
        }
        if (want != 128 && want != 256 && want != 512)
            throw new IllegalArgumentException(name + "=" + value + ": expected 128, 256 or 512");
        return Math.min(want, hw);
    }

    /** For a figure's label: "256-bit (AVX2)" or "128-bit (lowered from 256)". */
    public static String describe() {
        int hw = VectorShape.preferredShape().vectorBitSize();
        String why = BITS < hw ? (BITS == DEFAULT_BITS && System.getProperty("r1.cpu.vectorBits") == null
                ? " of the hardware's " + hw : " (lowered from " + hw + ")") : "";
        return BITS + "-bit" + why + ", quantized kernels " + QUANT.vectorBitSize() + "-bit, repacked Q4_0/Q4_K/Q5_K/Q6_K "
                + REPACK.vectorBitSize() + "-bit";
    }
}

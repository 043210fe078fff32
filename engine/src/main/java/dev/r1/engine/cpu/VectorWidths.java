package dev.r1.engine.cpu;

import jdk.incubator.vector.VectorShape;

/**
 * The one place the CPU kernels' vector widths come from. By default the hardware's preferred width
 * (256 bits on AVX2, 512 on AVX-512); {@code -Dr1.cpu.vectorBits=128|256|512} lowers it (never raises it
 * past the hardware), so the tests run the 128- and 256-bit paths on any machine, and a figure can be
 * taken at a chosen width.
 *
 * <p>The quantized kernels cap at 256 bits ({@link #QUANT}): their 16-bit lanes and 8-row groups follow
 * ggml's AVX2 order, which is what makes their results bit-identical to llama.cpp's. A few kernels use a
 * fixed width for the same reason (F16 attention's 8-lane dot, {@code ExpF}); they read neither field.
 */
public final class VectorWidths {
    private VectorWidths() {}

    /** Bits of the widest vector the kernels use. */
    public static final int BITS = chosen(System.getProperty("r1.cpu.vectorBits"));

    /** The shape of float/int kernels ({@link FloatKernels}, {@link F16Math}, {@link GgmlExp}). */
    public static final VectorShape SHAPE = VectorShape.forBitSize(BITS);

    /** The shape of the quantized kernels ({@link QuantKernels}, {@link KQuants}, the repacked layouts). */
    public static final VectorShape QUANT = VectorShape.forBitSize(Math.min(BITS, 256));

    static int chosen(String override) {
        int hw = VectorShape.preferredShape().vectorBitSize();
        if (override == null || override.isBlank()) return hw;
        int want;
        try {
            want = Integer.parseInt(override.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("r1.cpu.vectorBits=" + override + ": expected 128, 256 or 512");
        }
        if (want != 128 && want != 256 && want != 512)
            throw new IllegalArgumentException("r1.cpu.vectorBits=" + override + ": expected 128, 256 or 512");
        return Math.min(want, hw);
    }

    /** For a figure's label: "256-bit (AVX2)" or "128-bit (lowered from 256)". */
    public static String describe() {
        int hw = VectorShape.preferredShape().vectorBitSize();
        return BITS + "-bit" + (BITS < hw ? " (lowered from " + hw + ")" : "") + ", quantized kernels " + QUANT.vectorBitSize() + "-bit";
    }
}

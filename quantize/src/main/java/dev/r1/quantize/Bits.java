package dev.r1.quantize;

/**
 * The scalar primitives the ggml reference quantizers are built from, reproduced bit for bit. ggml-base
 * is compiled for baseline x86-64 (SSE2 scalar float math, no FMA, no fast-math), which Java's strict
 * float arithmetic matches operation by operation as long as the expression order is kept.
 */
public final class Bits {
    private Bits() {}

    /**
     * ggml's {@code nearest_int}: adds 1.5*2^23 so the FPU's round-to-nearest-even does the rounding,
     * then reads the integer out of the mantissa. Kept as the bit trick (not Math.rint) so that out of
     * range inputs give the same garbage ggml gives.
     */
    static int nearestInt(float f) {
        int i = Float.floatToRawIntBits(f + 12582912.0f);
        return (i & 0x007fffff) - 0x00400000;
    }

    /**
     * C's float to integer conversion as x86 {@code cvttss2si} does it: truncation, and the "integer
     * indefinite" value 0x80000000 for NaN and out-of-range inputs (Java would saturate instead).
     */
    static int cvtt(float f) {
        if (!(f < 0x1p31f) || f < -0x1p31f) return Integer.MIN_VALUE;
        return (int) f;
    }

    /** C's {@code roundf}: halfway cases away from zero (Math.round rounds them up instead). */
    static float roundf(float x) {
        if (!(Math.abs(x) < 0x1p23f)) return x; // already integral, or NaN/Inf
        // |x| + 0.5 is exact in double for |x| < 2^23, so floor gives the true rounding.
        return (float) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }

    /** GGML_FP32_TO_FP16: IEEE round-to-nearest-even, as Float.floatToFloat16. */
    static short fp16(float f) { return Float.floatToFloat16(f); }

    /** GGML_FP16_TO_FP32 (exact). */
    static float fp32(short h) { return Float.float16ToFloat(h); }

    /** ggml's fp32 to bf16: round to nearest even on the top 16 bits; NaN made quiet (also the CPU engine's BF16 activations). */
    public static short bf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    static void putShortLE(byte[] b, int off, short v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >> 8);
    }

    static short getShortLE(byte[] b, int off) {
        return (short) ((b[off] & 0xFF) | (b[off + 1] << 8));
    }
}

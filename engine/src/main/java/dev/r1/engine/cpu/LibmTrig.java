package dev.r1.engine.cpu;

/**
 * {@code sinf} and {@code cosf} giving glibc's bits. ggml's RoPE takes its angles' cosines and sines from
 * libm, and glibc's are not the correctly rounded ones that {@code (float) Math.cos} gives: they differ in
 * about 1 angle in 80 of those RoPE uses (measured over positions 0..4095 at head size 128), so every
 * long prompt rotated its queries and keys a last bit differently from llama.cpp. This is glibc's algorithm
 * (Arm's optimized routines, {@code s_sinf.c} / {@code s_cosf.c} / {@code sincosf.h}): in double, |x| < π/4
 * straight to the polynomials, |x| < 120 reduced by one multiply-subtract with π/2, larger |x| by a
 * fixed-point product with 4/π to 192 bits; sign and sine/cosine swap by quadrant. Checked against libm's own
 * functions ({@code LibmTrigTest}).
 */
final class LibmTrig {
    private LibmTrig() {}

    private static final double HPI_INV = 0x1.45F306DC9C883p+23, HPI = 0x1.921FB54442D18p0, PI63 = 0x1.921FB54442D18p-62;
    /** Cosine polynomial c0..c4 for quadrants 0/1 and, negated, 2/3. */
    private static final double C0 = 0x1p0, C1 = -0x1.ffffffd0c621cp-2, C2 = 0x1.55553e1068f19p-5, C3 = -0x1.6c087e89a359dp-10,
            C4 = 0x1.99343027bf8c3p-16;
    private static final double S1 = -0x1.555545995a603p-3, S2 = 0x1.1107605230bc4p-7, S3 = -0x1.994eb3774cf24p-13;
    /** 4/π in 32-bit words, offset by exponent (glibc's {@code __inv_pio4}). */
    private static final int[] INV_PIO4 = {
            0xa2, 0xa2f9, 0xa2f983, 0xa2f9836e, 0xf9836e4e, 0x836e4e44, 0x6e4e4415, 0x4e441529,
            0x441529fc, 0x1529fc27, 0x29fc2757, 0xfc2757d1, 0x2757d1f5, 0x57d1f534, 0xd1f534dd, 0xf534ddc0,
            0x34ddc0db, 0xddc0db62, 0xc0db6295, 0xdb629599, 0x6295993c, 0x95993c43, 0x993c4390, 0x3c439041};
    private static final int TOP_PIO4 = abstop12(0x1.921FB6p-1f), TOP_TINY = abstop12(0x1p-12f), TOP_120 = abstop12(120f),
            TOP_INF = abstop12(Float.POSITIVE_INFINITY);

    private static int abstop12(float x) { return (Float.floatToRawIntBits(x) >>> 20) & 0x7ff; }

    static float sinf(float y) { return eval(y, false); }

    static float cosf(float y) { return eval(y, true); }

    private static float eval(float y, boolean cos) {
        int top = abstop12(y);
        double x = y;
        if (top < TOP_PIO4) {
            if (top < TOP_TINY) return cos ? 1f : y;
            return poly(x, x * x, false, cos ? 1 : 0);
        }
        int n, quadrant; // n picks sine or cosine polynomial; quadrant (n plus the sign for large x) the signs
        if (top < TOP_120) {
            // quadrant by a rounding of x·2/π in 24-bit fixed point, then x - n·π/2 (fused, as glibc's FMA build)
            n = ((int) (x * HPI_INV) + 0x800000) >> 24;
            x = Math.fma(-n, HPI, x);
            quadrant = n;
        } else if (top < TOP_INF) {
            int xi = Float.floatToRawIntBits(y);
            long m = ((xi & 0xffffff) | 0x800000) << ((xi >>> 23) & 7) & 0xffffffffL;
            int at = (xi >>> 26) & 15;
            long r0 = m * (INV_PIO4[at] & 0xffffffffL) & 0xffffffffL;
            long r1 = m * (INV_PIO4[at + 4] & 0xffffffffL), r2 = m * (INV_PIO4[at + 8] & 0xffffffffL);
            long r = ((r2 >>> 32) | (r0 << 32)) + r1;
            long q = (r + (1L << 61)) >>> 62;
            r -= q << 62;
            n = (int) q;
            quadrant = n + (xi >>> 31); // the reduction dropped the sign: it moves the quadrant by one
            x = (double) r * PI63;
        } else {
            return Float.NaN;
        }
        double s = ((quadrant + 1) & 2) == 0 ? 1.0 : -1.0; // sign of the sine in quadrants 0..3: + - - +
        return poly(x * s, x * x, (quadrant & 2) != 0, cos ? n ^ 1 : n);
    }

    /** The sine (even n) or cosine (odd n) polynomial; {@code negCos}: quadrants 2 and 3 use the negated cosine. */
    private static float poly(double x, double x2, boolean negCos, int n) {
        if ((n & 1) == 0) {
            double x3 = x * x2, s1 = Math.fma(x2, S3, S2), x7 = x3 * x2, s = Math.fma(x3, S1, x);
            return (float) Math.fma(x7, s1, s);
        }
        double g = negCos ? -1 : 1;
        double x4 = x2 * x2, c2 = Math.fma(x2, g * C4, g * C3), c1 = Math.fma(x2, g * C1, g * C0), x6 = x4 * x2;
        double c = Math.fma(x4, g * C2, c1);
        return (float) Math.fma(x6, c2, c);
    }
}

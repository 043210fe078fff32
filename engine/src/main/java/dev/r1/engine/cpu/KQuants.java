package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Q4_K and Q6_K rows against activations quantized as ggml's Q8_K (what llama.cpp pairs K-quants with):
 * one float scale per 256 values, {@code d = max / -127} where max is the element of largest magnitude,
 * {@code q = round-half-even(x / d)} capped at 127, plus sums of each 16 quants. Everything inside a
 * super-block is integer and exact (16-bit products, pair-summed to 32 bits, scaled by the 6- or 8-bit
 * sub-block scales, reduced exactly); floats only combine super-blocks, in order. So results do not depend
 * on lane order or JIT tier, and they match llama.cpp's up to the order of that final float sum.
 * Activation quants are kept widened to shorts, as the Q8_0/Q4_0 kernels keep theirs.
 */
public final class KQuants {
    private KQuants() {}

    public static final int QK = GgmlType.Q6_K.blockSize(); // from the models module's type classes
    static final int Q4_K_BYTES = 144, Q6_K_BYTES = 210;

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_MAX.withShape(VectorWidths.QUANT);
    private static final int L = S.length();
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(L * 8));
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.withShape(S.vectorShape());
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /**
     * Quantizes {@code cols} floats (a multiple of 256) as ggml's {@code quantize_row_q8_K}: quants to
     * {@code q[qOff..]}, one scale per 256 to {@code d[dOff..]}, one sum per 16 quants to {@code bsums[bOff..]}.
     */
    public static void quantizeQ8K(float[] x, int xOff, int cols, short[] q, int qOff, float[] d, int dOff, int[] bsums, int bOff) {
        for (int b = 0; b < cols / QK; b++) {
            // vectorized: decoding quantizes every matmul's input on one thread while the other waits (~8 us a call
            // scalar, ~1 ms of a 1.5B Q4_K_M token); blocks with a NaN, an infinity or a subnormal maximum keep the scalar form
            if (!QuantKernels.quantizeQ8KBlock(x, xOff + b * QK, q, qOff + b * QK, d, dOff + b, bsums, bOff + 16 * b)) {
                quantizeQ8KScalar(x, xOff + b * QK, QK, q, qOff + b * QK, d, dOff + b, bsums, bOff + 16 * b);
            }
        }
    }

    /** {@link #quantizeQ8K} one element at a time, as ggml's {@code quantize_row_q8_K_ref} is written (the reference). */
    static void quantizeQ8KScalar(float[] x, int xOff, int cols, short[] q, int qOff, float[] d, int dOff, int[] bsums, int bOff) {
        for (int b = 0; b < cols / QK; b++) {
            int o = xOff + b * QK, qo = qOff + b * QK;
            float max = 0, amax = 0;
            for (int j = 0; j < QK; j++) {
                float ax = Math.abs(x[o + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[o + j];
                }
            }
            if (amax == 0) {
                d[dOff + b] = 0;
                java.util.Arrays.fill(q, qo, qo + QK, (short) 0);
                java.util.Arrays.fill(bsums, bOff + 16 * b, bOff + 16 * b + 16, 0);
                continue;
            }
            float iscale = -127f / max;
            for (int j = 0; j < QK; j++) q[qo + j] = (short) Math.min(127, (int) Math.rint(iscale * x[o + j]));
            for (int g = 0; g < 16; g++) {
                int s = 0;
                for (int i = 0; i < 16; i++) s += q[qo + 16 * g + i];
                bsums[bOff + 16 * b + g] = s;
            }
            d[dOff + b] = 1 / iscale;
        }
    }

    private static ShortVector u8(MemorySegment w, long off) {
        return (ShortVector) ByteVector.fromMemorySegment(B, w, off, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
    }

    /** Q4_K row ({@code sbs} super-blocks at {@code rowOff}) . one Q8_K activation row. */
    public static float dotQ4_K(MemorySegment w, long rowOff, int sbs, short[] q, int qOff, float[] d, int dOff, int[] bsums, int bOff) {
        float sum = 0;
        for (int s = 0; s < sbs; s++) {
            long off = rowOff + (long) s * Q4_K_BYTES;
            float dy = d[dOff + s];
            int b0 = w.get(QuantLayouts.I32, off + 4), b4 = w.get(QuantLayouts.I32, off + 8), b8 = w.get(QuantLayouts.I32, off + 12);
            int qa = qOff + s * QK;
            IntVector acc = IntVector.zero(I);
            int mins = 0;
            for (int g = 0; g < 4; g++) {
                // 6-bit scale/min of sub-blocks 2g (low nibbles) and 2g+1 (high nibbles)
                int sc0 = subScale(b0, b8, 2 * g), sc1 = subScale(b0, b8, 2 * g + 1);
                int m0 = subMin(b0, b4, b8, 2 * g), m1 = subMin(b0, b4, b8, 2 * g + 1);
                long qs = off + 16 + 32L * g;
                int e0 = qa + 64 * g, e1 = e0 + 32;
                ShortVector plo = ShortVector.zero(S), phi = plo;
                for (int j = 0; j < 32; j += L) {
                    ShortVector w16 = u8(w, qs + j);
                    plo = plo.add(w16.and((short) 0x0F).mul(ShortVector.fromArray(S, q, e0 + j)));
                    phi = phi.add(w16.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S, q, e1 + j)));
                }
                IntVector lo = plo.reinterpretAsInts(), hi = phi.reinterpretAsInts(); // pair sums inline (see dotQ6_K)
                lo = lo.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(lo.lanewise(VectorOperators.ASHR, 16));
                hi = hi.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(hi.lanewise(VectorOperators.ASHR, 16));
                acc = acc.add(lo.mul(sc0)).add(hi.mul(sc1));
                int bs = bOff + 16 * s + 4 * g;
                mins += m0 * (bsums[bs] + bsums[bs + 1]) + m1 * (bsums[bs + 2] + bsums[bs + 3]);
            }
            int sumi = acc.reduceLanes(VectorOperators.ADD); // integer: exact in any order
            float dx = Float.float16ToFloat(w.get(QuantLayouts.I16, off));
            float dmin = Float.float16ToFloat(w.get(QuantLayouts.I16, off + 2));
            sum += dy * dx * sumi - dy * dmin * mins;
        }
        return sum;
    }

    static int subScale(int b0, int b8, int j) {
        if (j < 4) return (b0 >>> (8 * j)) & 63;
        int k = j - 4;
        return ((b8 >>> (8 * k)) & 0x0F) | (((b0 >>> (8 * k)) & 0xFF) >>> 6 << 4);
    }

    static int subMin(int b0, int b4, int b8, int j) {
        if (j < 4) return (b4 >>> (8 * j)) & 63;
        int k = j - 4;
        return (((b8 >>> (8 * k)) & 0xFF) >>> 4) | (((b4 >>> (8 * k)) & 0xFF) >>> 6 << 4);
    }

    /**
     * Q6_K row . one Q8_K activation row ({@code bs}: its sums of 16), in the float operations of ggml's AVX2
     * {@code vec_dot_q6_K_q8_K}: per super-block eight integer lanes (lane k: the products of the elements with
     * {@code (e % 32) / 4 == k}, q unsigned and scaled per 16, minus {@code 32·(bsum·scale)} of 16-groups 2k and
     * 2k+1), each lane {@code acc_k = fma(d, lane, acc_k)} across super-blocks, the eight added in
     * {@code hsum_float_8}'s order ({@link Q6Kx8#gemvGgml} does the same for R rows at once).
     */
    /** dotQ6_K's integer lanes, per thread: it runs once per row and token, too often to allocate. */
    private static final ThreadLocal<int[]> LANES = ThreadLocal.withInitial(() -> new int[8 + L / 2]);

    public static float dotQ6_K(MemorySegment w, long rowOff, int sbs, short[] q, int qOff, float[] d, int dOff, int[] bs, int bOff) {
        float f0 = 0, f1 = 0, f2 = 0, f3 = 0, f4 = 0, f5 = 0, f6 = 0, f7 = 0;
        int[] lanes = LANES.get(); // [0, 8): ggml's lanes; [8, 8 + L/2): one vector's pair sums
        for (int s = 0; s < sbs; s++) {
            long off = rowOff + (long) s * Q6_K_BYTES;
            java.util.Arrays.fill(lanes, 0, 8, 0);
            for (int j = 0; j < 32; j += L) {
                IntVector acc = IntVector.zero(I);
                for (int h = 0; h < 2; h++) {
                    long ql = off + 64L * h, qh = off + 128 + 32L * h, sc = off + 192 + 8L * h;
                    int e = qOff + s * QK + 128 * h;
                    ShortVector l0 = u8(w, ql + j), l1 = u8(w, ql + 32 + j), hb = u8(w, qh + j);
                    ShortVector v0 = l0.and((short) 0x0F).or(hb.and((short) 3).lanewise(VectorOperators.LSHL, 4));
                    ShortVector v1 = l1.and((short) 0x0F).or(hb.and((short) 0x0C).lanewise(VectorOperators.LSHL, 2));
                    ShortVector v2 = l0.lanewise(VectorOperators.LSHR, 4).or(hb.and((short) 0x30));
                    ShortVector v3 = l1.lanewise(VectorOperators.LSHR, 4).or(hb.and((short) 0xC0).lanewise(VectorOperators.LSHR, 2));
                    int is = j / 16;
                    // Pair sums written out here, not in a helper taking vectors: C2 may leave such a helper
                    // un-inlined and then boxes every vector (measured: the Q6_K head ran on the slow path).
                    IntVector p0 = v0.mul(ShortVector.fromArray(S, q, e + j)).reinterpretAsInts();
                    IntVector p1 = v1.mul(ShortVector.fromArray(S, q, e + 32 + j)).reinterpretAsInts();
                    IntVector p2 = v2.mul(ShortVector.fromArray(S, q, e + 64 + j)).reinterpretAsInts();
                    IntVector p3 = v3.mul(ShortVector.fromArray(S, q, e + 96 + j)).reinterpretAsInts();
                    p0 = p0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p0.lanewise(VectorOperators.ASHR, 16));
                    p1 = p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p1.lanewise(VectorOperators.ASHR, 16));
                    p2 = p2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p2.lanewise(VectorOperators.ASHR, 16));
                    p3 = p3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p3.lanewise(VectorOperators.ASHR, 16));
                    acc = acc.add(p0.mul(w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is)))
                            .add(p1.mul(w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is + 2)))
                            .add(p2.mul(w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is + 4)))
                            .add(p3.mul(w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is + 6)));
                }
                // int lane i holds the pair of elements j + 2i, j + 2i + 1 (of every 32): ggml's lane (j + 2i) / 4
                acc.intoArray(lanes, 8);
                for (int i = 0; i < L / 2; i++) lanes[(j + 2 * i) >> 2] += lanes[8 + i];
            }
            for (int k = 0; k < 8; k++) {
                int g = 2 * k;
                lanes[k] -= 32 * (bs[bOff + 16 * s + g] * w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 192 + g)
                        + bs[bOff + 16 * s + g + 1] * w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, off + 193 + g));
            }
            float dd = d[dOff + s] * Float.float16ToFloat(w.get(QuantLayouts.I16, off + 208));
            f0 = Math.fma(dd, (float) lanes[0], f0);
            f1 = Math.fma(dd, (float) lanes[1], f1);
            f2 = Math.fma(dd, (float) lanes[2], f2);
            f3 = Math.fma(dd, (float) lanes[3], f3);
            f4 = Math.fma(dd, (float) lanes[4], f4);
            f5 = Math.fma(dd, (float) lanes[5], f5);
            f6 = Math.fma(dd, (float) lanes[6], f6);
            f7 = Math.fma(dd, (float) lanes[7], f7);
        }
        return ((f0 + f4) + (f2 + f6)) + ((f1 + f5) + (f3 + f7));
    }
}

package dev.r1.engine.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_0 weights repacked at load time so that {@code R} rows ({@code R} = float lanes of the kernels'
 * shape, 8 for AVX2/AVX-512) are computed side by side, one row per lane: no horizontal sums, the
 * {@code R} block scales of a block column applied by one vector multiply, and 16-bit products summed
 * over a whole block before they are widened. llama.cpp repacks Q4_0 the same way on x86
 * ({@code q4_0_8x8}); without the Vector API's missing multiply-add-pairs, the row-major layout
 * cost two widening steps per block and row, which made decoding compute-bound at ~8 cycles a block.
 *
 * <p>Layout, per group of {@code R} rows and per block column (18·R bytes, the size of the R blocks it
 * replaces): the R f16 scales, then four slices of 4·R bytes. Read as 16-bit lanes, slice {@code s}
 * holds four nibbles per lane, lanes {@code 2r} and {@code 2r+1} belonging to row {@code r}: nibble
 * {@code k} of lane {@code 2r} is element {@code 2(4s+k)} of the row's block, of lane {@code 2r+1}
 * element {@code 2(4s+k)+1}. So a shift and a mask give, for every row at once, an element pair whose
 * activations are one 32-bit broadcast. Nibbles stay unsigned (0..15): a lane sums 16 products of at
 * most 15·127, which fits 16 bits, and the offset of 8 comes off exactly in 32 bits as {@code 8·Σa}.
 *
 * <p>Per row and block the result is {@code fma((float) isum, dw·da, acc)} with the integer sum exact
 * and blocks in order: the same float operations as ggml's {@code gemv/gemm_q4_0_8x8_q8_0}, so logits
 * match llama.cpp's bit for bit.
 */
public final class Q4x8 {
    private Q4x8() {}

    static final VectorSpecies<Short> S16 = QuantKernels.S16;
    static final VectorSpecies<Integer> I32 = QuantKernels.I32;
    static final VectorSpecies<Float> F32 = QuantKernels.F32;
    /** Rows per group: one per float lane. */
    public static final int R = F32.length();
    /** R f16 scales: the shorts that widen into one {@link #I32} vector. */
    static final VectorSpecies<Short> SCALES = VectorSpecies.of(short.class,
            jdk.incubator.vector.VectorShape.forBitSize(R * 16));
    /** Bytes per group per block column. */
    public static final int BLOCK = R * QuantKernels.Q4_0_BYTES;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Whether a Q4_0 matrix of this shape can be repacked (whole groups of rows). */
    public static boolean fits(int rows, int cols) {
        return rows % R == 0 && cols % QuantKernels.QK == 0 && R >= 4 && R * 2 == S16.length();
    }

    /**
     * Repacks a Q4_0 matrix into {@code arena}, groups of rows spread over {@code pool}; null when one of
     * its scales is infinite or NaN (the kernels' f16 conversion handles finite values only; such a
     * matrix keeps the row-major kernels, which propagate the non-finite value as llama.cpp does).
     */
    public static MemorySegment repack(MemorySegment src, int rows, int cols, Arena arena, Parallel pool) {
        int blocks = cols / QuantKernels.QK, groups = rows / R;
        long rowBytes = (long) blocks * QuantKernels.Q4_0_BYTES;
        MemorySegment dst = arena.allocate((long) groups * blocks * BLOCK, 64);
        boolean[] bad = new boolean[1];
        pool.forRange(groups, 1, (g0, g1) -> {
            for (int g = g0; g < g1; g++) {
                if (!repackGroup(src, (long) g * R * rowBytes, rowBytes, blocks, dst, (long) g * blocks * BLOCK)) bad[0] = true;
            }
        });
        return bad[0] ? null : dst;
    }

    private static boolean repackGroup(MemorySegment src, long srcOff, long rowBytes, int blocks, MemorySegment dst, long dstOff) {
        boolean finite = true;
        int[] q = new int[QuantKernels.QK];
        for (int b = 0; b < blocks; b++) {
            long o = dstOff + (long) b * BLOCK;
            for (int r = 0; r < R; r++) {
                long s = srcOff + r * rowBytes + (long) b * QuantKernels.Q4_0_BYTES;
                short d = src.get(QuantLayouts.I16, s);
                finite &= (d & 0x7c00) != 0x7c00;
                dst.set(QuantLayouts.I16, o + 2L * r, d);
                for (int i = 0; i < 16; i++) {
                    int v = src.get(java.lang.foreign.ValueLayout.JAVA_BYTE, s + 2 + i);
                    q[i] = v & 0xF;
                    q[i + 16] = (v >> 4) & 0xF;
                }
                for (int sl = 0; sl < 4; sl++) {
                    int even = 0, odd = 0;
                    for (int k = 0; k < 4; k++) {
                        even |= q[2 * (4 * sl + k)] << (4 * k);
                        odd |= q[2 * (4 * sl + k) + 1] << (4 * k);
                    }
                    long lane = o + 2L * R + 4L * R * sl + 4L * r;
                    dst.set(QuantLayouts.I16, lane, (short) even);
                    dst.set(QuantLayouts.I16, lane + 2, (short) odd);
                }
            }
        }
        return finite;
    }

    /**
     * Activations for these kernels: quantized 8-bit values of one token in natural order, packed two
     * per int (the pair one 32-bit broadcast gives every row), and {@code 8·Σq} per block.
     */
    public static void pack(short[] q, int qOff, int cols, int[] qi, int qiOff, int[] s8, int sOff) {
        for (int k = 0; k < cols / 2; k++) qi[qiOff + k] = (q[qOff + 2 * k] & 0xFFFF) | (q[qOff + 2 * k + 1] << 16);
        for (int b = 0; b < cols / QuantKernels.QK; b++) {
            int s = 0;
            for (int i = 0; i < QuantKernels.QK; i++) s += q[qOff + b * QuantKernels.QK + i];
            s8[sOff + b] = 8 * s;
        }
    }

    /**
     * Spreads {@code pairs} activation pairs ({@link #pack}) over R lanes each, for {@link #gemv}: a plain
     * vector load then feeds the multiply (as broadcasts from the packed pairs, half of them took three
     * instructions). R times the memory, affordable for one token (144 KB for 8960 columns).
     */
    public static void spread(int[] qi, int qiOff, int pairs, int[] qv, int qvOff) {
        for (int k = 0; k < pairs; k++) java.util.Arrays.fill(qv, qvOff + k * R, qvOff + k * R + R, qi[qiOff + k]);
    }

    /**
     * One group of R rows (at {@code off}) · one token: {@code out[o .. o+R)}. {@code qv} the token's
     * activation pairs as {@link #spread}, {@code s8} as {@link #pack}, {@code d} the activation block scales.
     */
    public static void gemv(MemorySegment w, long off, int blocks, int[] qv, int qiOff, float[] d, int[] s8, int dOff,
                            float[] out, int o) {
        FloatVector acc = FloatVector.zero(F32);
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * BLOCK;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(SCALES, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            // f16 -> f32 for finite values (subnormals too): exponent rebias by one exact multiply, sign back on
            FloatVector dw = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            int qb = qiOff + b * 16 * R;
            long wo = bo + 2L * R;
            // Unrolled by hand: as a loop, C2 split it into pre/main/post loops with bounds checks per slice.
            // Nibbles are shifted as 32-bit lanes (and masked): C2 gives those an immediate count, while a
            // 16-bit shift moved the count into a vector register every time.
            ShortVector s = ShortVector.zero(S16), u = s, v, n;
            // BEGIN gemv slices
            v = ShortVector.fromMemorySegment(S16, w, wo + 0L * R, LE);
            n = v.and((short) 0x0F);
            s = s.add(n.mul(IntVector.fromArray(I32, qv, qb + 0 * R).reinterpretAsShorts()));
            v = (ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts();
            n = v.and((short) 0x0F);
            u = u.add(n.mul(IntVector.fromArray(I32, qv, qb + 1 * R).reinterpretAsShorts()));
            v = (ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts();
            n = v.and((short) 0x0F);
            s = s.add(n.mul(IntVector.fromArray(I32, qv, qb + 2 * R).reinterpretAsShorts()));
            n = v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0x0F);
            u = u.add(n.mul(IntVector.fromArray(I32, qv, qb + 3 * R).reinterpretAsShorts()));
            v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R, LE);
            n = v.and((short) 0x0F);
            s = s.add(n.mul(IntVector.fromArray(I32, qv, qb + 4 * R).reinterpretAsShorts()));
            v = (ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts();
            n = v.and((short) 0x0F);
            u = u.add(n.mul(IntVector.fromArray(I32, qv, qb + 5 * R).reinterpretAsShorts()));
            v = (ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts();
            n = v.and((short) 0x0F);
            s = s.add(n.mul(IntVector.fromArray(I32, qv, qb + 6 * R).reinterpretAsShorts()));
            n = v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0x0F);
            u = u.add(n.mul(IntVector.fromArray(I32, qv, qb + 7 * R).reinterpretAsShorts()));
            v = ShortVector.fromMemorySegment(S16, w, wo + 8L * R, LE);
            n = v.and((short) 0x0F);
            s = s.add(n.mul(IntVector.fromArray(I32, qv, qb + 8 * R).reinterpretAsShorts()));
            v = (ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts();
            n = v.and((short) 0x0F);
            u = u.add(n.mul(IntVector.fromArray(I32, qv, qb + 9 * R).reinterpretAsShorts()));
            v = (ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts();
            n = v.and((short) 0x0F);
            s = s.add(n.mul(IntVector.fromArray(I32, qv, qb + 10 * R).reinterpretAsShorts()));
            n = v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0x0F);
            u = u.add(n.mul(IntVector.fromArray(I32, qv, qb + 11 * R).reinterpretAsShorts()));
            v = ShortVector.fromMemorySegment(S16, w, wo + 12L * R, LE);
            n = v.and((short) 0x0F);
            s = s.add(n.mul(IntVector.fromArray(I32, qv, qb + 12 * R).reinterpretAsShorts()));
            v = (ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts();
            n = v.and((short) 0x0F);
            u = u.add(n.mul(IntVector.fromArray(I32, qv, qb + 13 * R).reinterpretAsShorts()));
            v = (ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts();
            n = v.and((short) 0x0F);
            s = s.add(n.mul(IntVector.fromArray(I32, qv, qb + 14 * R).reinterpretAsShorts()));
            n = v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0x0F);
            u = u.add(n.mul(IntVector.fromArray(I32, qv, qb + 15 * R).reinterpretAsShorts()));
            s = s.add(u);
            // END gemv slices
            IntVector p = s.reinterpretAsInts();
            IntVector isum = p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                    .add(p.lanewise(VectorOperators.ASHR, 16)).sub(s8[dOff + b]);
            acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).fma(dw.mul(d[dOff + b]), acc);
        }
        acc.intoArray(out, o);
    }

    /**
     * One group of R rows · four tokens (token k's activations at {@code qiOff + k*qiStride}, scales at
     * {@code dOff + k*dStride}, output at {@code o + k*oStride}): each weight slice is loaded and split
     * into nibbles once for the four. Per token the same operations as {@link #gemv}.
     */
    public static void gemm4(MemorySegment w, long off, int blocks, int[] qi, int qiOff, int qiStride,
                             float[] d, int[] s8, int dOff, int dStride, float[] out, int o, int oStride) {
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int q1 = qiOff + qiStride, q2 = q1 + qiStride, q3 = q2 + qiStride;
        int d1 = dOff + dStride, d2 = d1 + dStride, d3 = d2 + dStride;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * BLOCK;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(SCALES, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dw = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsInts().or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
            int qb = b * 16;
            long wo = bo + 2L * R;
            ShortVector s0 = ShortVector.zero(S16), s1 = s0, s2 = s0, s3 = s0, v, n;
            // BEGIN gemm4 slices
            for (int sl = 0; sl < 4; sl++) {
                v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R * sl, LE);
                n = v.and((short) 0x0F);
                s0 = s0.add(n.mul(IntVector.broadcast(I32, qi[qiOff + qb + 4 * sl + 0]).reinterpretAsShorts()));
                s1 = s1.add(n.mul(IntVector.broadcast(I32, qi[q1 + qb + 4 * sl + 0]).reinterpretAsShorts()));
                s2 = s2.add(n.mul(IntVector.broadcast(I32, qi[q2 + qb + 4 * sl + 0]).reinterpretAsShorts()));
                s3 = s3.add(n.mul(IntVector.broadcast(I32, qi[q3 + qb + 4 * sl + 0]).reinterpretAsShorts()));
                v = (ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts();
                n = v.and((short) 0x0F);
                s0 = s0.add(n.mul(IntVector.broadcast(I32, qi[qiOff + qb + 4 * sl + 1]).reinterpretAsShorts()));
                s1 = s1.add(n.mul(IntVector.broadcast(I32, qi[q1 + qb + 4 * sl + 1]).reinterpretAsShorts()));
                s2 = s2.add(n.mul(IntVector.broadcast(I32, qi[q2 + qb + 4 * sl + 1]).reinterpretAsShorts()));
                s3 = s3.add(n.mul(IntVector.broadcast(I32, qi[q3 + qb + 4 * sl + 1]).reinterpretAsShorts()));
                v = (ShortVector) v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts();
                n = v.and((short) 0x0F);
                s0 = s0.add(n.mul(IntVector.broadcast(I32, qi[qiOff + qb + 4 * sl + 2]).reinterpretAsShorts()));
                s1 = s1.add(n.mul(IntVector.broadcast(I32, qi[q1 + qb + 4 * sl + 2]).reinterpretAsShorts()));
                s2 = s2.add(n.mul(IntVector.broadcast(I32, qi[q2 + qb + 4 * sl + 2]).reinterpretAsShorts()));
                s3 = s3.add(n.mul(IntVector.broadcast(I32, qi[q3 + qb + 4 * sl + 2]).reinterpretAsShorts()));
                n = v.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsShorts().and((short) 0x0F);
                s0 = s0.add(n.mul(IntVector.broadcast(I32, qi[qiOff + qb + 4 * sl + 3]).reinterpretAsShorts()));
                s1 = s1.add(n.mul(IntVector.broadcast(I32, qi[q1 + qb + 4 * sl + 3]).reinterpretAsShorts()));
                s2 = s2.add(n.mul(IntVector.broadcast(I32, qi[q2 + qb + 4 * sl + 3]).reinterpretAsShorts()));
                s3 = s3.add(n.mul(IntVector.broadcast(I32, qi[q3 + qb + 4 * sl + 3]).reinterpretAsShorts()));
            }
            // END gemm4 slices
            IntVector v0 = s0.reinterpretAsInts(), v1 = s1.reinterpretAsInts(), v2 = s2.reinterpretAsInts(), v3 = s3.reinterpretAsInts();
            acc0 = ((FloatVector) v0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(v0.lanewise(VectorOperators.ASHR, 16))
                    .sub(s8[dOff + b]).convert(VectorOperators.I2F, 0)).fma(dw.mul(d[dOff + b]), acc0);
            acc1 = ((FloatVector) v1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(v1.lanewise(VectorOperators.ASHR, 16))
                    .sub(s8[d1 + b]).convert(VectorOperators.I2F, 0)).fma(dw.mul(d[d1 + b]), acc1);
            acc2 = ((FloatVector) v2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(v2.lanewise(VectorOperators.ASHR, 16))
                    .sub(s8[d2 + b]).convert(VectorOperators.I2F, 0)).fma(dw.mul(d[d2 + b]), acc2);
            acc3 = ((FloatVector) v3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(v3.lanewise(VectorOperators.ASHR, 16))
                    .sub(s8[d3 + b]).convert(VectorOperators.I2F, 0)).fma(dw.mul(d[d3 + b]), acc3);
        }
        acc0.intoArray(out, o);
        acc1.intoArray(out, o + oStride);
        acc2.intoArray(out, o + 2 * oStride);
        acc3.intoArray(out, o + 3 * oStride);
    }
}

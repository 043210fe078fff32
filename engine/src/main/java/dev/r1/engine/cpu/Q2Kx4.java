package dev.r1.engine.cpu;

import dev.r1.models.tensor.Q2_KType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q2_K weights repacked in 2 bits: per super-block the R f16 {@code d} and the R f16 {@code dmin}, the 16
 * sub-blocks' scale-and-min bytes as the file has them (scale in the low nibble, min in the high) as
 * {@code [sub-block][row]}, then each chunk of 32 values
 * (0..3) in two 32-bit words per row ({@link Q4x8#words} with 2-bit fields: word k holds element pairs 8k..8k+7, pair p
 * at bits 2p of its two 16-bit halves, so a shift and a mask give an element pair of every row, as a nibble word does).
 * 84·R bytes per super-block, the file's own size: the row-major kernel ({@link KQuants2#dotQ2_K}) ran at 0.2-0.3x
 * ggml's speed, the first form of this one, in nibble words (168·R bytes), at 0.66x, and the second, with d and dmin
 * as f32 and scales and mins a byte each (104·R, 1.24x), decoded at 0.80x llama.cpp's speed on a Sapphire Rapids
 * machine whose decoding is bound by memory (session 37): memory, not arithmetic, was the difference each time.
 *
 * <p>Per row ggml's AVX2 {@code vec_dot_q2_K_q8_K} order, per super-block and lane k: first
 * {@code acc_k = fma(min_2k·bsum_2k + min_2k+1·bsum_2k+1, -d_a·dmin, acc_k)} (the activations' sums of 16), then
 * {@code acc_k = fma(lane_k, d_a·d, acc_k)} with lane k the exact sum over the super-block's elements {@code (e % 32) / 4
 * == k} of {@code scale·q·a}; {@code hsum_float_8} at the end. The lanes come from the nibble slices as in {@link Q3Kx4},
 * and are summed in float ({@code fma(scale, sum of four products, lane)}: exact, every partial sum an integer of at most
 * 8·15·4·3·127 = 182 880; on Intel one uop where the integer multiply by the scale took two, session 38).
 */
public final class Q2Kx4 {
    private Q2Kx4() {}

    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Integer> I32 = IntVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Float> F32 = FloatVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    /** The R scales (or mins) of one sub-block: the bytes that widen into one {@link #I32} vector. */
    static final VectorSpecies<Byte> SCALES = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F32.length() * 8)));
    public static final int R = F32.length();
    /** Shift counts as immediates: {@link Q5Kx8#IMM}. */
    static final boolean IMM = VectorWidths.immediateShifts();
    static final int QK = KQuants.QK;
    private static final int DMIN = 2 * R, SM = 4 * R, VALUES = 20 * R;
    /** Bytes per group per super-block. */
    public static final int BLOCK = VALUES + QK / 4 * R;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /**
     * Whether Q2_K is repacked ({@code -Dr1.cpu.q2krepack=false}: the row-major kernel): at 512 and, since session 22,
     * 256 bits (under {@code -XX:UseAVX=2} a 1.5B Q2_K file decoded at 80.7 against 156.4 ms p50 row-major).
     */
    public static final boolean ENABLED = R == Q4x8.R && R * 8 == SCALES.vectorBitSize()
            && Boolean.parseBoolean(System.getProperty("r1.cpu.q2krepack", "true"));

    public static boolean fits(int rows, int cols) { return rows % R == 0 && cols % QK == 0; }

    public static long bytes(int rows, int cols) { return (long) rows / R * (cols / QK) * BLOCK; }

    /**
     * Repacks a Q2_K matrix into {@code arena}, groups of rows spread over {@code pool}; null when a {@code d} or
     * {@code dmin} is infinite or NaN (the kernel's f16 conversion handles finite values only; such a matrix keeps the
     * row-major kernel).
     */
    public static MemorySegment repack(MemorySegment src, int rows, int cols, Arena arena, Parallel pool) {
        int sbs = cols / QK, groups = rows / R, in = Q2_KType.TYPE_SIZE;
        long rowBytes = (long) sbs * in;
        MemorySegment dst = arena.allocate((long) groups * sbs * BLOCK, 64);
        boolean[] bad = new boolean[1];
        pool.forRange(groups, 1, (g0, g1) -> {
            byte[] b = new byte[in], out = new byte[BLOCK];
            int[] nib = new int[32];
            for (int g = g0; g < g1; g++) {
                for (int s = 0; s < sbs; s++) {
                    for (int r = 0; r < R; r++) {
                        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, ((long) g * R + r) * rowBytes + (long) s * in, b, 0, in);
                        if ((b[Q2_KType.OFF_D + 1] & 0x7c) == 0x7c || (b[Q2_KType.OFF_DMIN + 1] & 0x7c) == 0x7c) bad[0] = true;
                        out[2 * r] = b[Q2_KType.OFF_D];
                        out[2 * r + 1] = b[Q2_KType.OFF_D + 1];
                        out[DMIN + 2 * r] = b[Q2_KType.OFF_DMIN];
                        out[DMIN + 2 * r + 1] = b[Q2_KType.OFF_DMIN + 1];
                        for (int j = 0; j < 16; j++) out[SM + j * R + r] = b[Q2_KType.OFF_SCALES + j]; // scale | min << 4, as the file
                        for (int c = 0; c < 8; c++) {
                            for (int e = 0; e < 32; e++) {
                                int sub = 2 * c + e / 16, l = e % 16; // element 16·sub + l, as Q2_KType lays it out
                                int half = sub / 8, k = (sub % 8) / 2, l0 = (sub % 2) * 16;
                                nib[e] = (b[Q2_KType.OFF_QS + 32 * half + l0 + l] >>> (2 * k)) & 3;
                            }
                            Q4x8.words(nib, r, out, VALUES + 8 * R * c, 2);
                        }
                    }
                    MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, ((long) g * sbs + s) * BLOCK, BLOCK);
                }
            }
        });
        return bad[0] ? null : dst;
    }

    /**
     * One group of R rows (at {@code off}) · one token: {@code qi} its Q8_K values as pairs from {@code qiOff}
     * ({@link Q4Kx8#pairs}), {@code d} its scales per super-block from {@code dOff}, {@code bs} its sums of 16 from
     * {@code bOff}; {@code out[o .. o+R)}.
     */
    public static void gemv(MemorySegment w, long off, int sbs, int[] qi, int qiOff, float[] d, int dOff, int[] bs, int bOff,
                            float[] out, int o) {
        // the pollution-proof form of Q4x8.gemv, written out; one pass, ggml's eight lanes in registers
        ShortVector LOW2 = ShortVector.broadcast(S16, (short) 3);
        // one shift count (each field shifted from the last): seven count vectors and the sixteen lanes took more than
        // AVX2's sixteen registers; immediates where they are safe (Q5Kx8.IMM)
        IntVector C2 = IntVector.broadcast(I32, 2), C16 = IntVector.broadcast(I32, 16), C4 = IntVector.broadcast(I32, 4), C13 = IntVector.broadcast(I32, 13);
        IntVector C15 = IntVector.broadcast(I32, 15), HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * BLOCK;
            float dy = d[dOff + s];
            int b = bOff + 16 * s;
            // ggml: dmin = -y.d · dmin_w, and the mins' fma comes first
            // the R f16 dmin (then d) widened as Q4Kx8's kernels do: the first R of one S16 load
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + DMIN, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dm = FloatVector.broadcast(F32, -dy).lanewise(VectorOperators.MUL, ((FloatVector) h.lanewise(VectorOperators.LSHL, C13)
                    .lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE));
            // the mins: the high nibbles of the sub-blocks' bytes (outside the sub-blocks' loop a vector count costs
            // nothing, and one form of each shift keeps the method smaller; the loop keeps IMM's)
            IntVector m0, m1;
            m0 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 0, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            m1 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 1, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            l0 = ((FloatVector) m0.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 0])).lanewise(VectorOperators.ADD, m1.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 1])))
                    .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dm, l0);
            m0 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            m1 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 3, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            l1 = ((FloatVector) m0.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 2])).lanewise(VectorOperators.ADD, m1.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 3])))
                    .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dm, l1);
            m0 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 4, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            m1 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 5, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            l2 = ((FloatVector) m0.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 4])).lanewise(VectorOperators.ADD, m1.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 5])))
                    .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dm, l2);
            m0 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 6, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            m1 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 7, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            l3 = ((FloatVector) m0.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 6])).lanewise(VectorOperators.ADD, m1.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 7])))
                    .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dm, l3);
            m0 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 8, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            m1 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 9, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            l4 = ((FloatVector) m0.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 8])).lanewise(VectorOperators.ADD, m1.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 9])))
                    .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dm, l4);
            m0 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 10, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            m1 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 11, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            l5 = ((FloatVector) m0.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 10])).lanewise(VectorOperators.ADD, m1.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 11])))
                    .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dm, l5);
            m0 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 12, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            m1 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 13, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            l6 = ((FloatVector) m0.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 12])).lanewise(VectorOperators.ADD, m1.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 13])))
                    .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dm, l6);
            m0 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 14, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            m1 = ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * 15, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.LSHR, C4);
            l7 = ((FloatVector) m0.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 14])).lanewise(VectorOperators.ADD, m1.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[b + 15])))
                    .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dm, l7);
            h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dv = FloatVector.broadcast(F32, dy).lanewise(VectorOperators.MUL, ((FloatVector) h.lanewise(VectorOperators.LSHL, C13)
                    .lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE));
            FloatVector a0 = FloatVector.zero(F32), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int c = 0; c < 8; c++) {
                // the scales: the low nibbles
                FloatVector sa = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * (2 * c), LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.AND, C15).convertShape(VectorOperators.I2F, F32, 0);
                FloatVector sb = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SM + (long) R * (2 * c + 1), LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.AND, C15).convertShape(VectorOperators.I2F, F32, 0);
                long wo = bo + VALUES + 8L * R * c;
                int qb = qiOff + s * (QK / 2) + 16 * c;
                ShortVector v;
                IntVector p, r;
                v = ShortVector.fromMemorySegment(S16, w, wo + 0L * R, LE);
                r = (IntVector) v.reinterpretShape(I32, 0);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (r = IMM ? r.lanewise(VectorOperators.LSHR, 2) : r.lanewise(VectorOperators.LSHR, C2)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a0 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sa, a0);
                p = (IntVector) ((ShortVector) (r = IMM ? r.lanewise(VectorOperators.LSHR, 2) : r.lanewise(VectorOperators.LSHR, C2)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (r = IMM ? r.lanewise(VectorOperators.LSHR, 2) : r.lanewise(VectorOperators.LSHR, C2)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a1 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sa, a1);
                p = (IntVector) ((ShortVector) (r = IMM ? r.lanewise(VectorOperators.LSHR, 2) : r.lanewise(VectorOperators.LSHR, C2)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (r = IMM ? r.lanewise(VectorOperators.LSHR, 2) : r.lanewise(VectorOperators.LSHR, C2)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a2 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sa, a2);
                p = (IntVector) ((ShortVector) (r = IMM ? r.lanewise(VectorOperators.LSHR, 2) : r.lanewise(VectorOperators.LSHR, C2)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (r = IMM ? r.lanewise(VectorOperators.LSHR, 2) : r.lanewise(VectorOperators.LSHR, C2)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a3 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sa, a3);
                v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R, LE);
                r = (IntVector) v.reinterpretShape(I32, 0);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 8]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (r = IMM ? r.lanewise(VectorOperators.LSHR, 2) : r.lanewise(VectorOperators.LSHR, C2)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a4 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sb, a4);
                p = (IntVector) ((ShortVector) (r = IMM ? r.lanewise(VectorOperators.LSHR, 2) : r.lanewise(VectorOperators.LSHR, C2)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 10]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (r = IMM ? r.lanewise(VectorOperators.LSHR, 2) : r.lanewise(VectorOperators.LSHR, C2)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a5 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sb, a5);
                p = (IntVector) ((ShortVector) (r = IMM ? r.lanewise(VectorOperators.LSHR, 2) : r.lanewise(VectorOperators.LSHR, C2)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 12]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (r = IMM ? r.lanewise(VectorOperators.LSHR, 2) : r.lanewise(VectorOperators.LSHR, C2)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a6 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sb, a6);
                p = (IntVector) ((ShortVector) (r = IMM ? r.lanewise(VectorOperators.LSHR, 2) : r.lanewise(VectorOperators.LSHR, C2)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 14]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (r = IMM ? r.lanewise(VectorOperators.LSHR, 2) : r.lanewise(VectorOperators.LSHR, C2)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW2).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a7 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sb, a7);
            }
            l0 = a0.lanewise(VectorOperators.FMA, dv, l0);
            l1 = a1.lanewise(VectorOperators.FMA, dv, l1);
            l2 = a2.lanewise(VectorOperators.FMA, dv, l2);
            l3 = a3.lanewise(VectorOperators.FMA, dv, l3);
            l4 = a4.lanewise(VectorOperators.FMA, dv, l4);
            l5 = a5.lanewise(VectorOperators.FMA, dv, l5);
            l6 = a6.lanewise(VectorOperators.FMA, dv, l6);
            l7 = a7.lanewise(VectorOperators.FMA, dv, l7);
        }
        // hsum_float_8: ((0+4) + (2+6)) + ((1+5) + (3+7))
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        NEG0.lanewise(VectorOperators.ADD, l0.lanewise(VectorOperators.ADD, l4).lanewise(VectorOperators.ADD, l2.lanewise(VectorOperators.ADD, l6))
                        .lanewise(VectorOperators.ADD, l1.lanewise(VectorOperators.ADD, l5).lanewise(VectorOperators.ADD, l3.lanewise(VectorOperators.ADD, l7))))
                .intoArray(out, o);
    }
}

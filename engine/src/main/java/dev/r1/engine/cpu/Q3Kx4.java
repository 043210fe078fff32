package dev.r1.engine.cpu;

import dev.r1.models.tensor.Q3_KType;
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
 * Q3_K weights repacked in 4 bits on 512-bit machines, {@code R} = 16 rows side by side: per super-block of 256 the R
 * scales {@code d} as f32, the 16 sub-block scales {@code s - 32} as {@code [sub-block][row]} bytes, then each chunk of 32
 * values in {@link Q4x8}'s nibble words ({@link Q4x8#words}), a value stored as {@code q + 4} (0..7), each chunk's second
 * half after the group's last super-block ({@link #SPLIT}). 148·R bytes per
 * super-block against the file's 110·R (1.35x); {@link Q6Kx8#repackQ3K}'s byte a value takes 276·R (2.5x), and these
 * kernels stream bytes at about half the rate {@code Q8x8.gemv} does (docs/BENCHMARKS.md, session 20): fewer bytes is the
 * lever, as for IQ4_XS ({@link IQ4XSx8#NIBBLES}).
 *
 * <p>Per row ggml's AVX2 {@code vec_dot_q3_K_q8_K} order: eight exact integer lanes per super-block, element e in lane
 * {@code (e % 32) / 4}, the scale of its 16-element sub-block multiplied in; {@code acc_k = fma(d_w·d_a, lane_k, acc_k)};
 * {@code hsum_float_8}. In a chunk, slices {@code 4m + 2L2} and {@code 4m + 2L2 + 1} hold elements {@code 8m + 4L2 .. +3}:
 * their two 16-bit products summed and widened are lane {@code 2m + L2}; slices of m = 0, 1 belong to the chunk's first
 * sub-block, m = 2, 3 to its second. Bit-identical to the row-major kernel ({@link KQuants2#dotQ3_K}). The lanes are
 * summed in float ({@code fma(scale, sum of four products, lane)}: exact, every partial sum an integer of at most
 * 8·32·4·4·127 = 520 192; on Intel one uop where the integer multiply by the scale took two, session 38).
 */
public final class Q3Kx4 {
    private Q3Kx4() {}

    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Integer> I32 = IntVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Float> F32 = FloatVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    /** The R scales of one sub-block: the bytes that widen into one {@link #I32} vector. */
    static final VectorSpecies<Byte> SCALES = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F32.length() * 8)));
    public static final int R = F32.length();
    /** Shift counts as immediates: {@link Q5Kx8#IMM}. */
    static final boolean IMM = VectorWidths.immediateShifts();
    static final int QK = KQuants.QK;
    private static final int SC = 4 * R, VALUES = 20 * R;
    /** Bytes per group per super-block. */
    public static final int BLOCK = VALUES + QK / 2 * R;
    /**
     * Per group, each super-block's header ({@code d}, scales) and the first halves (slices 0-7, 8·R bytes) of its
     * chunks ({@code SPLIT} bytes), then after the last super-block the second halves of every super-block's chunks
     * ({@code HALF} bytes each): {@link #half2}'s passes each read one stream from memory. With whole chunks in each
     * block the two-group kernel read half of every 256 bytes a pass and gained little (a thread from memory 19-20
     * against 19 GMAC/s one group a call); split, 35-36 ({@code MatvecBench 1 Q3_K 107520}; 2 threads 48-50 against 31-32).
     */
    private static final int HALF = 8 * 8 * R, SPLIT = VALUES + HALF;
    /** Floats of scratch {@link #gemv2} needs: four lanes of two groups' rows. */
    public static final int SCRATCH = 8 * R;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /**
     * Whether Q3_K takes this layout ({@code -Dr1.cpu.q3knibbles=false}: {@link Q6Kx8#repackQ3K}'s bytes): at 512 and,
     * since session 22, 256 bits (under {@code -XX:UseAVX=2} a 1.5B Q3_K_M file decoded at 58.6 against 76.2 ms p50).
     */
    public static final boolean ENABLED = R == Q4x8.R && R * 8 == SCALES.vectorBitSize()
            && Boolean.parseBoolean(System.getProperty("r1.cpu.q3knibbles", "true"));

    public static boolean fits(int rows, int cols) { return rows % R == 0 && cols % QK == 0; }

    public static long bytes(int rows, int cols) { return (long) rows / R * (cols / QK) * BLOCK; }

    /** Repacks a Q3_K matrix into {@code arena}, groups of rows spread over {@code pool}. */
    public static MemorySegment repack(MemorySegment src, int rows, int cols, Arena arena, Parallel pool) {
        int sbs = cols / QK, groups = rows / R, in = Q3_KType.TYPE_SIZE;
        long rowBytes = (long) sbs * in;
        MemorySegment dst = arena.allocate((long) groups * sbs * BLOCK, 64);
        pool.forRange(groups, 1, (g0, g1) -> {
            byte[] b = new byte[in], out = new byte[BLOCK], q = new byte[QK];
            int[] nib = new int[32];
            MemorySegment bs = MemorySegment.ofArray(b);
            for (int g = g0; g < g1; g++) {
                for (int s = 0; s < sbs; s++) {
                    for (int r = 0; r < R; r++) {
                        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, ((long) g * R + r) * rowBytes + (long) s * in, b, 0, in);
                        int d = Float.floatToRawIntBits(Float.float16ToFloat((short) ((b[Q3_KType.OFF_D] & 0xFF) | b[Q3_KType.OFF_D + 1] << 8)));
                        for (int k = 0; k < 4; k++) out[4 * r + k] = (byte) (d >> 8 * k);
                        for (int j = 0; j < 16; j++) out[SC + j * R + r] = (byte) (Q3_KType.scale(bs, Q3_KType.OFF_SCALES, j) - 32);
                        Q6Kx8.valuesQ3K(b, q);
                        for (int c = 0; c < 8; c++) {
                            for (int e = 0; e < 32; e++) nib[e] = q[32 * c + e] + 4;
                            Q4x8.words(nib, r, out, VALUES + 16 * R * c);
                        }
                    }
                    QuantLayouts.storeSplit(out, VALUES, 16 * R, dst, (long) g * sbs * BLOCK, sbs, s);
                }
            }
        });
        return dst;
    }

    /**
     * One group of R rows (at {@code off}) · one token: {@code qi} its Q8_K values as pairs from {@code qiOff}
     * ({@link Q4Kx8#pairs}), {@code d} its scales per super-block from {@code dOff}; {@code out[o .. o+R)}.
     */
    public static void gemv(MemorySegment w, long off, int sbs, int[] qi, int qiOff, float[] d, int dOff, float[] out, int o) {
        // the pollution-proof form of Q4x8.gemv, written out; one pass, ggml's eight lanes in registers
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F), FOUR = ShortVector.broadcast(S16, (short) 4);
        // one shift count, each field shifted from the last (three counts took registers AVX2 lacks); immediates where
        // safe (Q5Kx8.IMM)
        IntVector C4 = IntVector.broadcast(I32, 4), C16 = IntVector.broadcast(I32, 16);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * SPLIT, ho = off + (long) sbs * SPLIT + (long) s * HALF;
            FloatVector dv = FloatVector.fromMemorySegment(F32, w, bo, LE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + s]));
            FloatVector a0 = FloatVector.zero(F32), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int c = 0; c < 8; c++) {
                FloatVector sa = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * (2 * c), LE).convertShape(VectorOperators.B2I, I32, 0)).convertShape(VectorOperators.I2F, F32, 0);
                FloatVector sb = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * (2 * c + 1), LE).convertShape(VectorOperators.B2I, I32, 0)).convertShape(VectorOperators.I2F, F32, 0);
                long wo = bo + VALUES + 8L * R * c, wh = ho + 8L * R * c;
                int qb = qiOff + s * (QK / 2) + 16 * c;
                ShortVector v;
                IntVector p, rv;
                v = ShortVector.fromMemorySegment(S16, w, wo + 0L * R, LE);
                rv = (IntVector) v.reinterpretShape(I32, 0);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a0 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sa, a0);
                p = (IntVector) ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a1 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sa, a1);
                v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R, LE);
                rv = (IntVector) v.reinterpretShape(I32, 0);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a2 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sa, a2);
                p = (IntVector) ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a3 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sa, a3);
                v = ShortVector.fromMemorySegment(S16, w, wh, LE);
                rv = (IntVector) v.reinterpretShape(I32, 0);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 8]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a4 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sb, a4);
                p = (IntVector) ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 10]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a5 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sb, a5);
                v = ShortVector.fromMemorySegment(S16, w, wh + 4L * R, LE);
                rv = (IntVector) v.reinterpretShape(I32, 0);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 12]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a6 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sb, a6);
                p = (IntVector) ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 14]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a7 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sb, a7);
            }
            l0 = dv.lanewise(VectorOperators.FMA, a0, l0);
            l1 = dv.lanewise(VectorOperators.FMA, a1, l1);
            l2 = dv.lanewise(VectorOperators.FMA, a2, l2);
            l3 = dv.lanewise(VectorOperators.FMA, a3, l3);
            l4 = dv.lanewise(VectorOperators.FMA, a4, l4);
            l5 = dv.lanewise(VectorOperators.FMA, a5, l5);
            l6 = dv.lanewise(VectorOperators.FMA, a6, l6);
            l7 = dv.lanewise(VectorOperators.FMA, a7, l7);
        }
        // hsum_float_8: ((0+4) + (2+6)) + ((1+5) + (3+7))
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        NEG0.lanewise(VectorOperators.ADD, l0.lanewise(VectorOperators.ADD, l4).lanewise(VectorOperators.ADD, l2.lanewise(VectorOperators.ADD, l6))
                        .lanewise(VectorOperators.ADD, l1.lanewise(VectorOperators.ADD, l5).lanewise(VectorOperators.ADD, l3.lanewise(VectorOperators.ADD, l7))))
                .intoArray(out, o);
    }

    /**
     * Two groups, {@code (w, off)} into {@code out[o ..)} and {@code (w2, off2)} into {@code out2[o2 ..)}, · one token:
     * {@link #gemv} for each, bit for bit, in two passes of four lanes ({@link #half2}) so that both groups' sixteen
     * lanes fit the registers. Two weight streams per thread: one group a call, a thread streamed ~10 GB/s from
     * memory ({@code MatvecBench 1 Q3_K 107520}: 18 GMAC/s, 36 from L3) where Q4_K's two-group kernel streams ~25.
     * {@code lanes}: {@link #SCRATCH} floats.
     */
    public static void gemv2(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, int[] qi, int qiOff, float[] d, int dOff,
                             float[] lanes, float[] out, int o, float[] out2, int o2) {
        half2(w, off, w2, off2, sbs, qi, qiOff, d, dOff, lanes, 0, out, o, out2, o2);
        half2(w, off, w2, off2, sbs, qi, qiOff, d, dOff, lanes, 1, out, o, out2, o2);
    }

    /**
     * {@link #gemv2}'s lanes {@code 4h .. 4h+3} of both groups (slices {@code 8h .. 8h+7} of every chunk): half 0 leaves
     * them in {@code lanes} (group 2's after group 1's), half 1 adds all eight per group in {@code hsum_float_8}'s order.
     */
    private static void half2(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, int[] qi, int qiOff, float[] d, int dOff,
                              float[] lanes, int h, float[] out, int o, float[] out2, int o2) {
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F), FOUR = ShortVector.broadcast(S16, (short) 4);
        // one shift count, each field shifted from the last (three counts took registers AVX2 lacks); immediates where
        // safe (Q5Kx8.IMM)
        IntVector C4 = IntVector.broadcast(I32, 4), C16 = IntVector.broadcast(I32, 16);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, m0 = l0, m1 = l0, m2 = l0, m3 = l0;
        long vBase = h == 0 ? VALUES : (long) sbs * SPLIT, vStep = h == 0 ? SPLIT : HALF;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * SPLIT, bo2 = off2 + (long) s * SPLIT, vs = vBase + s * vStep;
            FloatVector da = FloatVector.broadcast(F32, d[dOff + s]);
            FloatVector a0 = FloatVector.zero(F32), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int c = 0; c < 8; c++) {
                // lanes 4h .. 4h+3 all take sub-block 2c + h's scale
                FloatVector sa = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * (2 * c + h), LE).convertShape(VectorOperators.B2I, I32, 0)).convertShape(VectorOperators.I2F, F32, 0);
                FloatVector sb = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(SCALES, w2, bo2 + SC + (long) R * (2 * c + h), LE).convertShape(VectorOperators.B2I, I32, 0)).convertShape(VectorOperators.I2F, F32, 0);
                long wo = off + vs + 8L * R * c, wo2 = off2 + vs + 8L * R * c;
                int qb = qiOff + s * (QK / 2) + 16 * c + 8 * h;
                ShortVector v, u;
                IntVector p, rv, ru;
                v = ShortVector.fromMemorySegment(S16, w, wo + 0L * R, LE);
                rv = (IntVector) v.reinterpretShape(I32, 0);
                u = ShortVector.fromMemorySegment(S16, w2, wo2 + 0L * R, LE);
                ru = (IntVector) u.reinterpretShape(I32, 0);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a0 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sa, a0);
                p = (IntVector) u.lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (ru = IMM ? ru.lanewise(VectorOperators.LSHR, 4) : ru.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                b0 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sb, b0);
                p = (IntVector) ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a1 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sa, a1);
                p = (IntVector) ((ShortVector) (ru = IMM ? ru.lanewise(VectorOperators.LSHR, 4) : ru.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (ru = IMM ? ru.lanewise(VectorOperators.LSHR, 4) : ru.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                b1 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sb, b1);
                v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R, LE);
                rv = (IntVector) v.reinterpretShape(I32, 0);
                u = ShortVector.fromMemorySegment(S16, w2, wo2 + 4L * R, LE);
                ru = (IntVector) u.reinterpretShape(I32, 0);
                p = (IntVector) v.lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a2 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sa, a2);
                p = (IntVector) u.lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (ru = IMM ? ru.lanewise(VectorOperators.LSHR, 4) : ru.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                b2 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sb, b2);
                p = (IntVector) ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (rv = IMM ? rv.lanewise(VectorOperators.LSHR, 4) : rv.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                a3 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sa, a3);
                p = (IntVector) ((ShortVector) (ru = IMM ? ru.lanewise(VectorOperators.LSHR, 4) : ru.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) (ru = IMM ? ru.lanewise(VectorOperators.LSHR, 4) : ru.lanewise(VectorOperators.LSHR, C4)).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).lanewise(VectorOperators.SUB, FOUR).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                p = p.lanewise(VectorOperators.ADD, IMM ? p.lanewise(VectorOperators.LSHL, 16) : p.lanewise(VectorOperators.LSHL, C16));
                b3 = ((FloatVector) (IMM ? p.lanewise(VectorOperators.ASHR, 16) : p.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0))
                        .lanewise(VectorOperators.FMA, sb, b3);
            }
            FloatVector dv = FloatVector.fromMemorySegment(F32, w, bo, LE).lanewise(VectorOperators.MUL, da);
            l0 = dv.lanewise(VectorOperators.FMA, a0, l0);
            l1 = dv.lanewise(VectorOperators.FMA, a1, l1);
            l2 = dv.lanewise(VectorOperators.FMA, a2, l2);
            l3 = dv.lanewise(VectorOperators.FMA, a3, l3);
            dv = FloatVector.fromMemorySegment(F32, w2, bo2, LE).lanewise(VectorOperators.MUL, da);
            m0 = dv.lanewise(VectorOperators.FMA, b0, m0);
            m1 = dv.lanewise(VectorOperators.FMA, b1, m1);
            m2 = dv.lanewise(VectorOperators.FMA, b2, m2);
            m3 = dv.lanewise(VectorOperators.FMA, b3, m3);
        }
        int L = R, G = 4 * L; // floats
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        if (h == 0) {
            // stored through a last lanewise (+ -0.0 changes no value), which gives C2 the vectors' exact class
            l0.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 0);
            l1.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, L);
            l2.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 2 * L);
            l3.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 3 * L);
            m0.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G);
            m1.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G + L);
            m2.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G + 2 * L);
            m3.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G + 3 * L);
        } else {
            // hsum_float_8: ((0+4) + (2+6)) + ((1+5) + (3+7)); this half holds lanes 4..7
            FloatVector s0 = FloatVector.fromArray(F32, lanes, 0).lanewise(VectorOperators.ADD, l0);
            FloatVector s2 = FloatVector.fromArray(F32, lanes, 2 * L).lanewise(VectorOperators.ADD, l2);
            FloatVector s1 = FloatVector.fromArray(F32, lanes, L).lanewise(VectorOperators.ADD, l1);
            FloatVector s3 = FloatVector.fromArray(F32, lanes, 3 * L).lanewise(VectorOperators.ADD, l3);
            NEG0.lanewise(VectorOperators.ADD, s0.lanewise(VectorOperators.ADD, s2).lanewise(VectorOperators.ADD, s1.lanewise(VectorOperators.ADD, s3))).intoArray(out, o);
            s0 = FloatVector.fromArray(F32, lanes, G).lanewise(VectorOperators.ADD, m0);
            s2 = FloatVector.fromArray(F32, lanes, G + 2 * L).lanewise(VectorOperators.ADD, m2);
            s1 = FloatVector.fromArray(F32, lanes, G + L).lanewise(VectorOperators.ADD, m1);
            s3 = FloatVector.fromArray(F32, lanes, G + 3 * L).lanewise(VectorOperators.ADD, m3);
            NEG0.lanewise(VectorOperators.ADD, s0.lanewise(VectorOperators.ADD, s2).lanewise(VectorOperators.ADD, s1.lanewise(VectorOperators.ADD, s3))).intoArray(out2, o2);
        }
    }

}

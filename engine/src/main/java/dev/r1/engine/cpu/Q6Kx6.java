package dev.r1.engine.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K weights repacked at load time in 6 bits a value, {@code R} rows side by side, for the kernels in ggml's float
 * lanes that every Q6_K matrix but the output head takes ({@link Q6Kx8#ggmlLanes}): {@link Q6Kx8}'s layout for them
 * held a byte a value, 1.08 bytes a weight against the file's 0.82, and a Q6_K file decoded at 0.77x llama.cpp
 * (session 26) streaming ~36 GB/s of it.
 *
 * <p>Per group and super-block: {@code d} of the R rows as f32, the 16 sub-block scales {@code [sub-block][row]} int8
 * (the header {@link Q6Kx8}'s has, so {@link Q6Kx8#offsets2} reads both), then per sub-block of 16 values three int
 * vectors of R lanes, 12 bytes a row. A sub-block's values e0..e15 (unsigned, 0..63) sit in the two 16-bit halves of
 * each row's three ints so that every pair (e2m, e2m+1) comes out lo/hi in one int lane, the form the kernels
 * multiply by a broadcast pair of activations:
 * <pre>
 *   int 0: lo = e0 | e2 << 6 | (e12 &amp; 15) << 12     hi = e1 | e3 << 6 | (e13 &amp; 15) << 12
 *   int 1: lo = e4 | e6 << 6 | (e14 &amp; 15) << 12     hi = e5 | e7 << 6 | (e15 &amp; 15) << 12
 *   int 2: lo = e8 | e10 << 6 | (e12 >> 4) << 12 | (e14 >> 4) << 14,  hi the same with e9, e11, e13, e15
 * </pre>
 * Pairs 0..5 are an and (and a shift); pairs 6 and 7 two 16-bit shifts and an and-or (one {@code vpternlogd}). Each
 * super-block's header and even sub-blocks come first, the odd sub-blocks of every super-block after the group's last
 * ({@link QuantLayouts#storeSplit}): one stream per pass, as {@link Q6Kx8#gemv2Ggml}.
 *
 * <p>The integer lanes and the float operations are {@link Q6Kx8#gemvGgml}'s, so the outputs are the same bit for bit
 * (ggml's AVX2 {@code vec_dot_q6_K_q8_K}). The two-group decoding kernel keeps those integer lanes in float, starting
 * each at its offsets' (made as integers, {@link Q6Kx8#offsets2}) and adding {@code fma(scale, sum of four products)}:
 * exact, since no partial sum of a lane's 32 elements passes 32·32·128·127 = 16 646 144 < 2^24 (the offsets and the
 * unsigned products pull opposite ways), and one uop on Intel where the integer multiply by the scale was two (session 38).
 */
public final class Q6Kx6 {
    private Q6Kx6() {}

    static final VectorSpecies<Short> S16 = Q6Kx8.S16;
    static final VectorSpecies<Integer> I32 = Q6Kx8.I32;
    static final VectorSpecies<Float> F32 = Q6Kx8.F32;
    static final VectorSpecies<Byte> SCALES = Q6Kx8.SCALES;
    public static final int R = Q6Kx8.R;
    static final int QK = KQuants.QK;
    /** Header bytes (d, scales), bytes of a sub-block, of a super-block, of its first (even) half with the header, of its second. */
    private static final int SC = 4 * R, HDR = SC + 16 * R, SUB = 12 * R;
    public static final int BLOCK = HDR + 16 * SUB;
    private static final int SPLIT = HDR + 8 * SUB, HALF = 8 * SUB;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /**
     * Whether Q6_K matrices in ggml's lanes take this layout: by default on 512-bit machines only (Zen 4, two threads,
     * a 165 MB matrix from memory: 37-39 GMAC/s against {@link Q6Kx8}'s 29-31; with AVX2 code 23-27 against 26-31, where
     * sixteen registers and no {@code vpternlogd} make the unpacking dearer than the bytes it saves).
     * {@code -Dr1.cpu.q6k6=true|false} decides at any width, except that {@link Q6Kx8#SPREAD} rules it out (these
     * kernels read packed pairs).
     */
    public static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("r1.cpu.q6k6", String.valueOf(R == 16))) && !Q6Kx8.SPREAD;

    public static boolean fits(int rows, int cols) {
        return ENABLED && Q6Kx8.fits(rows, cols);
    }

    /** Repacks a Q6_K matrix into {@code arena}, groups of rows spread over {@code pool}. */
    public static MemorySegment repack(MemorySegment src, int rows, int cols, Arena arena, Parallel pool) {
        int sbs = cols / QK, groups = rows / R;
        long rowBytes = (long) sbs * KQuants.Q6_K_BYTES;
        MemorySegment dst = arena.allocate((long) groups * sbs * BLOCK, 64);
        pool.forRange(groups, 1, (g0, g1) -> {
            byte[] in = new byte[KQuants.Q6_K_BYTES], out = new byte[BLOCK], q = new byte[QK];
            for (int g = g0; g < g1; g++) {
                for (int s = 0; s < sbs; s++) {
                    for (int r = 0; r < R; r++) {
                        long b = ((long) g * R + r) * rowBytes + (long) s * KQuants.Q6_K_BYTES;
                        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, b, in, 0, in.length);
                        int d = Float.floatToRawIntBits(Float.float16ToFloat((short) ((in[208] & 0xFF) | in[209] << 8)));
                        for (int k = 0; k < 4; k++) out[4 * r + k] = (byte) (d >> 8 * k);
                        for (int j = 0; j < 16; j++) out[SC + j * R + r] = in[192 + j];
                        Q6Kx8.values(in, q, 0);
                        for (int j = 0; j < 16; j++) {
                            for (int k = 0; k < 3; k++) {
                                int w = word(q, 16 * j, k), at = HDR + j * SUB + k * 4 * R + 4 * r;
                                for (int x = 0; x < 4; x++) out[at + x] = (byte) (w >> 8 * x);
                            }
                        }
                    }
                    QuantLayouts.storeSplit(out, HDR, 2 * SUB, dst, (long) g * sbs * BLOCK, sbs, s); // sub-blocks 2i, 2i+1 a unit
                }
            }
        });
        return dst;
    }

    /** Int {@code k} (0..2) of one row's sub-block of 16 unsigned values at {@code q[e ..]} (the class comment's table). */
    static int word(byte[] q, int e, int k) {
        int lo, hi;
        if (k < 2) { // e0, e2 (e4, e6) and the low nibble of e12 (e14); hi: the odd ones
            int a = e + 4 * k;
            lo = q[a] | q[a + 2] << 6 | (q[e + 12 + 2 * k] & 15) << 12;
            hi = q[a + 1] | q[a + 3] << 6 | (q[e + 13 + 2 * k] & 15) << 12;
        } else { // e8, e10 and the top two bits of e12, e14; hi: e9, e11, e13, e15
            lo = q[e + 8] | q[e + 10] << 6 | (q[e + 12] >> 4) << 12 | (q[e + 14] >> 4) << 14;
            hi = q[e + 9] | q[e + 11] << 6 | (q[e + 13] >> 4) << 12 | (q[e + 15] >> 4) << 14;
        }
        return lo | hi << 16;
    }

    /**
     * One group of R rows (at {@code off}) · one token ({@code qv} packed pairs as {@link Q6Kx8#spread}, {@code d} its
     * Q8_K scales, {@code bs} its sums of 16), {@link Q6Kx8#gemvGgml}'s operations in two passes. {@code lanes}: 4·R floats.
     */
    public static void gemv(MemorySegment w, long off, int sbs, int[] qv, float[] d, int dOff, int[] bs, int bOff,
                            float[] lanes, float[] out, int o) {
        half(w, off, sbs, qv, d, dOff, bs, bOff, lanes, 0, out, o);
        half(w, off, sbs, qv, d, dOff, bs, bOff, lanes, 1, out, o);
    }

    /** Sub-blocks {@code h, h+2, ..} of every super-block, ggml's lanes {@code 4h .. 4h+3} (as {@link Q6Kx8}'s ggmlHalf). */
    private static void half(MemorySegment w, long off, int sbs, int[] qv, float[] d, int dOff, int[] bs, int bOff,
                             float[] lanes, int h, float[] out, int o) {
        // the pollution-proof form (see Q4x8.gemv): constants as locals, only methods the concrete vector class overrides,
        // but for the 16-bit shifts, whose constant counts are ints (lanewise(op, int)): as vectors each count took a
        // register, and with five of them the two-group kernel spilled to the stack every sub-block (2 threads from
        // memory 31-35 GMAC/s, against 34-39). The 32-bit shifts stay vectors: given ints, C2 boxed (ForwardAllocationTest,
        // 749 KB a decoding step).
        IntVector M6 = IntVector.broadcast(I32, 0x003F003F), C6 = IntVector.broadcast(I32, 6), C16 = IntVector.broadcast(I32, 16), C5 = IntVector.broadcast(I32, 5);
        ShortVector M30 = ShortVector.broadcast(S16, (short) 0x30);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0;
        long vBase = h == 0 ? HDR : (long) sbs * SPLIT, vStep = h == 0 ? SPLIT : HALF;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * SPLIT, vb = off + vBase + s * vStep;
            FloatVector dv = FloatVector.fromMemorySegment(F32, w, bo, LE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + s]));
            int b = bOff + 16 * s;
            IntVector a0 = IntVector.zero(I32), a1 = a0, a2 = a0, a3 = a0;
            for (int j = h; j < 16; j += 2) {
                long vo = vb + (long) SUB * (j >> 1);
                int a = s * (QK / 2) + 8 * j;
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * j, LE).convertShape(VectorOperators.B2I, I32, 0);
                IntVector k0 = IntVector.fromMemorySegment(I32, w, vo, LE), k1 = IntVector.fromMemorySegment(I32, w, vo + 4L * R, LE), k2 = IntVector.fromMemorySegment(I32, w, vo + 8L * R, LE);
                ShortVector p;
                IntVector t;
                p = ((ShortVector) k0.lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qv[a + 0]).reinterpretShape(S16, 0))
                        .lanewise(VectorOperators.ADD, ((ShortVector) k0.lanewise(VectorOperators.LSHR, C6).lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qv[a + 1]).reinterpretShape(S16, 0)));
                t = (IntVector) p.reinterpretShape(I32, 0);
                a0 = t.lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.LSHL, C16)).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a0);
                p = ((ShortVector) k1.lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qv[a + 2]).reinterpretShape(S16, 0))
                        .lanewise(VectorOperators.ADD, ((ShortVector) k1.lanewise(VectorOperators.LSHR, C6).lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qv[a + 3]).reinterpretShape(S16, 0)));
                t = (IntVector) p.reinterpretShape(I32, 0);
                a1 = t.lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.LSHL, C16)).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a1);
                p = ((ShortVector) k2.lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qv[a + 4]).reinterpretShape(S16, 0))
                        .lanewise(VectorOperators.ADD, ((ShortVector) k2.lanewise(VectorOperators.LSHR, C6).lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qv[a + 5]).reinterpretShape(S16, 0)));
                t = (IntVector) p.reinterpretShape(I32, 0);
                a2 = t.lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.LSHL, C16)).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a2);
                p = (((ShortVector) k0.reinterpretShape(S16, 0)).lanewise(VectorOperators.LSHR, 12).lanewise(VectorOperators.OR, ((ShortVector) k2.reinterpretShape(S16, 0)).lanewise(VectorOperators.LSHR, 8).lanewise(VectorOperators.AND, M30))).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qv[a + 6]).reinterpretShape(S16, 0))
                        .lanewise(VectorOperators.ADD, (((ShortVector) k1.reinterpretShape(S16, 0)).lanewise(VectorOperators.LSHR, 12).lanewise(VectorOperators.OR, ((ShortVector) k2.reinterpretShape(S16, 0)).lanewise(VectorOperators.LSHR, 10).lanewise(VectorOperators.AND, M30))).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qv[a + 7]).reinterpretShape(S16, 0)));
                t = (IntVector) p.reinterpretShape(I32, 0);
                a3 = t.lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.LSHL, C16)).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a3);
            }
            // the unsigned values' offset: lane k loses 32·(bsum·scale) of the 16-groups 2k and 2k+1
            IntVector s0 = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * (8 * h + 0), LE).convertShape(VectorOperators.B2I, I32, 0);
            IntVector s1 = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * (8 * h + 1), LE).convertShape(VectorOperators.B2I, I32, 0);
            IntVector s2 = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * (8 * h + 2), LE).convertShape(VectorOperators.B2I, I32, 0);
            IntVector s3 = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * (8 * h + 3), LE).convertShape(VectorOperators.B2I, I32, 0);
            IntVector s4 = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * (8 * h + 4), LE).convertShape(VectorOperators.B2I, I32, 0);
            IntVector s5 = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * (8 * h + 5), LE).convertShape(VectorOperators.B2I, I32, 0);
            IntVector s6 = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * (8 * h + 6), LE).convertShape(VectorOperators.B2I, I32, 0);
            IntVector s7 = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * (8 * h + 7), LE).convertShape(VectorOperators.B2I, I32, 0);
            int g = b + 8 * h;
            a0 = a0.lanewise(VectorOperators.SUB, s0.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[g + 0])).lanewise(VectorOperators.ADD, s1.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[g + 1]))).lanewise(VectorOperators.LSHL, C5));
            a1 = a1.lanewise(VectorOperators.SUB, s2.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[g + 2])).lanewise(VectorOperators.ADD, s3.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[g + 3]))).lanewise(VectorOperators.LSHL, C5));
            a2 = a2.lanewise(VectorOperators.SUB, s4.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[g + 4])).lanewise(VectorOperators.ADD, s5.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[g + 5]))).lanewise(VectorOperators.LSHL, C5));
            a3 = a3.lanewise(VectorOperators.SUB, s6.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[g + 6])).lanewise(VectorOperators.ADD, s7.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[g + 7]))).lanewise(VectorOperators.LSHL, C5));
            l0 = dv.lanewise(VectorOperators.FMA, (FloatVector) a0.convertShape(VectorOperators.I2F, F32, 0), l0);
            l1 = dv.lanewise(VectorOperators.FMA, (FloatVector) a1.convertShape(VectorOperators.I2F, F32, 0), l1);
            l2 = dv.lanewise(VectorOperators.FMA, (FloatVector) a2.convertShape(VectorOperators.I2F, F32, 0), l2);
            l3 = dv.lanewise(VectorOperators.FMA, (FloatVector) a3.convertShape(VectorOperators.I2F, F32, 0), l3);
        }
        int L = R;
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        if (h == 0) {
            l0.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 0);
            l1.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, L);
            l2.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 2 * L);
            l3.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 3 * L);
        } else {
            // hsum_float_8: ((0+4) + (2+6)) + ((1+5) + (3+7)); this half holds lanes 4..7
            FloatVector s0 = FloatVector.fromArray(F32, lanes, 0).lanewise(VectorOperators.ADD, l0);
            FloatVector s2 = FloatVector.fromArray(F32, lanes, 2 * L).lanewise(VectorOperators.ADD, l2);
            FloatVector s1 = FloatVector.fromArray(F32, lanes, L).lanewise(VectorOperators.ADD, l1);
            FloatVector s3 = FloatVector.fromArray(F32, lanes, 3 * L).lanewise(VectorOperators.ADD, l3);
            NEG0.lanewise(VectorOperators.ADD, s0.lanewise(VectorOperators.ADD, s2).lanewise(VectorOperators.ADD, s1.lanewise(VectorOperators.ADD, s3))).intoArray(out, o);
        }
    }

    /**
     * Two groups, {@code (w, off)} into {@code out[o ..)} and {@code (w2, off2)} into {@code out2[o2 ..)}, · one token:
     * {@link #gemv} for each, bit for bit, in the same two passes, each activation broadcast serving both.
     * {@code lanes}: 8·R floats; {@code corr}: 8·R ints.
     */
    public static void gemv2(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, int[] qv, float[] d, int dOff,
                             int[] bs, int bOff, float[] lanes, int[] corr, float[] out, int o, float[] out2, int o2) {
        half2(w, off, w2, off2, sbs, qv, d, dOff, bs, bOff, lanes, corr, 0, out, o, out2, o2);
        half2(w, off, w2, off2, sbs, qv, d, dOff, bs, bOff, lanes, corr, 1, out, o, out2, o2);
    }

    private static void half2(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, int[] qv, float[] d, int dOff,
                              int[] bs, int bOff, float[] lanes, int[] corr, int h, float[] out, int o, float[] out2, int o2) {
        // as half: 16-bit shifts by ints, 32-bit ones by vectors
        IntVector M6 = IntVector.broadcast(I32, 0x003F003F), C6 = IntVector.broadcast(I32, 6), C16 = IntVector.broadcast(I32, 16);
        ShortVector M30 = ShortVector.broadcast(S16, (short) 0x30);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, m0 = l0, m1 = l0, m2 = l0, m3 = l0;
        long vBase = h == 0 ? HDR : (long) sbs * SPLIT, vStep = h == 0 ? SPLIT : HALF;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * SPLIT, bo2 = off2 + (long) s * SPLIT, vs = vBase + s * vStep;
            int b = bOff + 16 * s;
            // the unsigned values' offsets, negated, start the sums: made apart and first, as Q6Kx8.ggmlHalf2 (why there)
            Q6Kx8.offsets2(w, bo, w2, bo2, bs, b + 8 * h, SC + (long) R * 8 * h, corr);
            FloatVector a0 = (FloatVector) IntVector.fromArray(I32, corr, 0).convertShape(VectorOperators.I2F, F32, 0), a1 = (FloatVector) IntVector.fromArray(I32, corr, R).convertShape(VectorOperators.I2F, F32, 0);
            FloatVector a2 = (FloatVector) IntVector.fromArray(I32, corr, 2 * R).convertShape(VectorOperators.I2F, F32, 0), a3 = (FloatVector) IntVector.fromArray(I32, corr, 3 * R).convertShape(VectorOperators.I2F, F32, 0);
            FloatVector b0 = (FloatVector) IntVector.fromArray(I32, corr, 4 * R).convertShape(VectorOperators.I2F, F32, 0), b1 = (FloatVector) IntVector.fromArray(I32, corr, 5 * R).convertShape(VectorOperators.I2F, F32, 0);
            FloatVector b2 = (FloatVector) IntVector.fromArray(I32, corr, 6 * R).convertShape(VectorOperators.I2F, F32, 0), b3 = (FloatVector) IntVector.fromArray(I32, corr, 7 * R).convertShape(VectorOperators.I2F, F32, 0);
            for (int j = h; j < 16; j += 2) {
                long vo = off + vs + (long) SUB * (j >> 1), vo2 = off2 + vs + (long) SUB * (j >> 1);
                int a = s * (QK / 2) + 8 * j;
                FloatVector sc = (FloatVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * j, LE).convertShape(VectorOperators.B2F, F32, 0);
                FloatVector sc2 = (FloatVector) ByteVector.fromMemorySegment(SCALES, w2, bo2 + SC + (long) R * j, LE).convertShape(VectorOperators.B2F, F32, 0);
                IntVector k0 = IntVector.fromMemorySegment(I32, w, vo, LE), k1 = IntVector.fromMemorySegment(I32, w, vo + 4L * R, LE), k2 = IntVector.fromMemorySegment(I32, w, vo + 8L * R, LE);
                IntVector n0 = IntVector.fromMemorySegment(I32, w2, vo2, LE), n1 = IntVector.fromMemorySegment(I32, w2, vo2 + 4L * R, LE), n2 = IntVector.fromMemorySegment(I32, w2, vo2 + 8L * R, LE);
                ShortVector x, y, p, p2;
                IntVector t;
                x = (ShortVector) IntVector.broadcast(I32, qv[a + 0]).reinterpretShape(S16, 0);
                y = (ShortVector) IntVector.broadcast(I32, qv[a + 1]).reinterpretShape(S16, 0);
                p = ((ShortVector) k0.lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x).lanewise(VectorOperators.ADD, ((ShortVector) k0.lanewise(VectorOperators.LSHR, C6).lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, y));
                p2 = ((ShortVector) n0.lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x).lanewise(VectorOperators.ADD, ((ShortVector) n0.lanewise(VectorOperators.LSHR, C6).lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, y));
                t = (IntVector) p.reinterpretShape(I32, 0);
                a0 = ((FloatVector) t.lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.LSHL, C16)).lanewise(VectorOperators.ASHR, C16).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc, a0);
                t = (IntVector) p2.reinterpretShape(I32, 0);
                b0 = ((FloatVector) t.lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.LSHL, C16)).lanewise(VectorOperators.ASHR, C16).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc2, b0);
                x = (ShortVector) IntVector.broadcast(I32, qv[a + 2]).reinterpretShape(S16, 0);
                y = (ShortVector) IntVector.broadcast(I32, qv[a + 3]).reinterpretShape(S16, 0);
                p = ((ShortVector) k1.lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x).lanewise(VectorOperators.ADD, ((ShortVector) k1.lanewise(VectorOperators.LSHR, C6).lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, y));
                p2 = ((ShortVector) n1.lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x).lanewise(VectorOperators.ADD, ((ShortVector) n1.lanewise(VectorOperators.LSHR, C6).lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, y));
                t = (IntVector) p.reinterpretShape(I32, 0);
                a1 = ((FloatVector) t.lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.LSHL, C16)).lanewise(VectorOperators.ASHR, C16).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc, a1);
                t = (IntVector) p2.reinterpretShape(I32, 0);
                b1 = ((FloatVector) t.lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.LSHL, C16)).lanewise(VectorOperators.ASHR, C16).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc2, b1);
                x = (ShortVector) IntVector.broadcast(I32, qv[a + 4]).reinterpretShape(S16, 0);
                y = (ShortVector) IntVector.broadcast(I32, qv[a + 5]).reinterpretShape(S16, 0);
                p = ((ShortVector) k2.lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x).lanewise(VectorOperators.ADD, ((ShortVector) k2.lanewise(VectorOperators.LSHR, C6).lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, y));
                p2 = ((ShortVector) n2.lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x).lanewise(VectorOperators.ADD, ((ShortVector) n2.lanewise(VectorOperators.LSHR, C6).lanewise(VectorOperators.AND, M6).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, y));
                t = (IntVector) p.reinterpretShape(I32, 0);
                a2 = ((FloatVector) t.lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.LSHL, C16)).lanewise(VectorOperators.ASHR, C16).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc, a2);
                t = (IntVector) p2.reinterpretShape(I32, 0);
                b2 = ((FloatVector) t.lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.LSHL, C16)).lanewise(VectorOperators.ASHR, C16).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc2, b2);
                x = (ShortVector) IntVector.broadcast(I32, qv[a + 6]).reinterpretShape(S16, 0);
                y = (ShortVector) IntVector.broadcast(I32, qv[a + 7]).reinterpretShape(S16, 0);
                p = (((ShortVector) k0.reinterpretShape(S16, 0)).lanewise(VectorOperators.LSHR, 12).lanewise(VectorOperators.OR, ((ShortVector) k2.reinterpretShape(S16, 0)).lanewise(VectorOperators.LSHR, 8).lanewise(VectorOperators.AND, M30))).lanewise(VectorOperators.MUL, x).lanewise(VectorOperators.ADD, (((ShortVector) k1.reinterpretShape(S16, 0)).lanewise(VectorOperators.LSHR, 12).lanewise(VectorOperators.OR, ((ShortVector) k2.reinterpretShape(S16, 0)).lanewise(VectorOperators.LSHR, 10).lanewise(VectorOperators.AND, M30))).lanewise(VectorOperators.MUL, y));
                p2 = (((ShortVector) n0.reinterpretShape(S16, 0)).lanewise(VectorOperators.LSHR, 12).lanewise(VectorOperators.OR, ((ShortVector) n2.reinterpretShape(S16, 0)).lanewise(VectorOperators.LSHR, 8).lanewise(VectorOperators.AND, M30))).lanewise(VectorOperators.MUL, x).lanewise(VectorOperators.ADD, (((ShortVector) n1.reinterpretShape(S16, 0)).lanewise(VectorOperators.LSHR, 12).lanewise(VectorOperators.OR, ((ShortVector) n2.reinterpretShape(S16, 0)).lanewise(VectorOperators.LSHR, 10).lanewise(VectorOperators.AND, M30))).lanewise(VectorOperators.MUL, y));
                t = (IntVector) p.reinterpretShape(I32, 0);
                a3 = ((FloatVector) t.lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.LSHL, C16)).lanewise(VectorOperators.ASHR, C16).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc, a3);
                t = (IntVector) p2.reinterpretShape(I32, 0);
                b3 = ((FloatVector) t.lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.LSHL, C16)).lanewise(VectorOperators.ASHR, C16).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc2, b3);
            }
            FloatVector da = FloatVector.broadcast(F32, d[dOff + s]);
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
        int L = R, G = 4 * L;
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        if (h == 0) {
            l0.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 0);
            l1.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, L);
            l2.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 2 * L);
            l3.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 3 * L);
            m0.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G);
            m1.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G + L);
            m2.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G + 2 * L);
            m3.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G + 3 * L);
        } else {
            // hsum_float_8 per group: ((0+4) + (2+6)) + ((1+5) + (3+7)); this pass holds lanes 4..7
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

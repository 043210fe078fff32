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
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q5_K weights repacked at load time, {@code R} rows side by side (one per float lane of
 * {@link VectorWidths#REPACK}: 8 on AVX2, 16 on AVX-512), computing exactly what ggml's AVX2 {@code
 * ggml_vec_dot_q5_K_q8_K} computes for each row. Q5_K is the bulk of a Q5_K_M file, the other usual
 * download; read row by row at 256 bits ({@link KQuants2#dotQ5_K}) it decoded at ~0.45x llama.cpp's speed.
 *
 * <p>Layout, per group of R rows (216·R bytes per super-block where the R blocks take 176·R): per super-block
 * the R {@code d} as f32, the R {@code dmin} as f32 (f16 widened at load: the kernels then need no f16
 * conversion, for 8 more bytes a row), the 6-bit sub-block scales as bytes {@code [sub-block][row]}, then
 * the mins the same way, and right after them that super-block's values of half 0 ({@link #half}); after the
 * last super-block, the values of half 1 of every super-block ({@link #values}). So each pass reads one stream
 * from memory per group: the first the headers with its values, the second its values alone (the headers come
 * from cache). Two earlier forms read more streams at once and each thread streamed about half what Q4_K's
 * kernel does: both halves in each block (each pass skipped every other 192 bytes: 12.7 GB/s a thread), then the
 * headers in a region of their own before the halves (two streams a group, four for {@link #gemv2}: 14 GB/s a
 * thread, {@code MatvecBench 1 Q5_K 107520} 16.5 GMAC/s; this layout 22-24). Per sub-block and half, its eight element pairs in three
 * 32-bit words per row, 16-bit lane {@code 2r} holding row {@code r}'s even elements and lane {@code 2r+1} its
 * odd ones, three 5-bit values a lane. A shift and a mask give one element pair of every row; with the
 * activation pair broadcast as one 32-bit value, a 16-bit multiply gives both products.
 *
 * <p>Why whole 5-bit fields (6 bits a value with the unused field, where Q5_K stores 5): the first form kept
 * Q5_K's nibbles and fifth bits apart, and joining them (shift, mask, or, for every pair) took more vector
 * operations than the multiply-adds; compute, not memory, bounded it (Zen 4, 2 threads: the 1.5B Q5_K_M decode
 * spent 67% in this kernel at ~17 GB/s). With fields a pair costs a shift and a mask.
 *
 * <p>Why this order of sums: ggml keeps eight integer lanes per super-block, lane {@code m} the products of
 * elements {@code 4m .. 4m+3} of every sub-block times that sub-block's scale, converts them to float and
 * fma's them with {@code d·d_a} into eight float accumulators, summed at the end by {@code hsum_float_8};
 * the mins go into one scalar {@code summs = fma(-d_a·dmin, Σ min·bsum, summs)}, added last. Pair
 * {@code p} of half {@code h} holds elements {@code 16h + 2p}, {@code 16h + 2p + 1} of its sub-block, so pairs
 * {@code 2m'} and {@code 2m'+1} are ggml's lane {@code 4h + m'}. So every row gets ggml's integers and ggml's float operations in ggml's
 * order: bit-identical to {@link KQuants2#dotQ5_K} (and to llama.cpp), at any width. The decoding kernel ({@link #half2})
 * keeps those integer lanes in float, {@code fma(scale, sum of four products, lane)}: exact, since every partial sum is an
 * integer below 2^24 (at most 8·63·4·31·127 = 7 936 992), and one uop on Intel where the integer multiply by the scale
 * ({@code vpmulld}) is two (session 38).
 *
 * <p>Written in {@link Q4x8#gemv}'s pollution-proof form (only methods the concrete vector class overrides,
 * constants as locals, stores into arrays), and in two halves (lanes 0-3, lanes 4-7), each a method
 * small enough for C1 and C2, handing their float lanes over in a scratch array, as {@link Q6Kx8#gemvGgml}.
 * Decoding takes two groups per call ({@link #gemv2}: two weight streams per thread); prompts and a lone group
 * one ({@link #gemv}).
 */
public final class Q5Kx8 {
    private Q5Kx8() {}

    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Integer> I32 = IntVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Float> F32 = FloatVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    /** Bytes holding the R scales (or mins) of one sub-block, widened into one {@link #I32} vector. */
    static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F32.length() * 8)));
    /** Whether Q5_K matrices are repacked ({@code -Dr1.cpu.q5krepack=false}: row-major, for A/B figures). */
    public static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("r1.cpu.q5krepack", "true"));
    /** Rows per group: one per float lane. */
    public static final int R = F32.length();
    /**
     * Shift counts as immediates ({@code lanewise(op, int)}) where every int vector of the engine is 256 bits (AVX2
     * machines, {@link VectorWidths#immediateShifts}), else as broadcast vectors. With AVX2's sixteen registers the
     * count vectors took three of them and C2 spilled the two groups' sums every sub-block ({@code MatvecBench 2 Q5_K 53760}, AVX2 code: 1.19-1.29x with
     * immediates, session 34). Vector counts elsewhere: {@code lanewise(op, int)} reaches the shift through a call
     * whose type profile every shape shares, and a second shape there made the engine's float kernels box
     * ({@code ForwardAllocationTest} "Q5_K" at 512 bits: 749 KB a decode step); a branch never taken is never profiled.
     */
    static final boolean IMM = VectorWidths.immediateShifts();
    static final int QK = KQuants.QK;
    private static final int DMIN = 4 * R, SC = 8 * R, MN = 16 * R;
    /** Words (32 bits: 16-bit lanes 2r, 2r+1 for the R rows) per half sub-block: its eight element pairs, three to a word. */
    private static final int WORDS = 3;
    /** Bytes per group per super-block. */
    public static final int BLOCK = 24 * R + 2 * 8 * WORDS * 4 * R;
    /** Bytes of a super-block's d, dmin, scales and mins; bytes of one half's values of a super-block. */
    private static final int HDR = 24 * R, HALF = 8 * WORDS * 4 * R;
    /** Floats of scratch {@link #gemv} and {@link #gemv2} need: four lanes and the mins' sums of two groups' rows. */
    public static final int SCRATCH = 10 * R;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Whether a Q5_K matrix of this shape can be repacked (whole groups of R rows). */
    public static boolean fits(int rows, int cols) {
        return rows % R == 0 && cols % QK == 0 && R >= 8 && S16.length() == 2 * R && BYTES.length() >= R;
    }

    /** Bytes of a repacked matrix. */
    public static long bytes(int rows, int cols) {
        return (long) rows / R * (cols / QK) * BLOCK;
    }

    /** Repacks a Q5_K matrix into {@code arena}, groups of rows spread over {@code pool}. */
    public static MemorySegment repack(MemorySegment src, int rows, int cols, Arena arena, Parallel pool) {
        int sbs = cols / QK, groups = rows / R;
        long rowBytes = (long) sbs * KQuants2.Q5_K_BYTES;
        MemorySegment dst = arena.allocate(bytes(rows, cols), 64);
        pool.forRange(groups, 1, (g0, g1) -> {
            // byte arrays, not per-byte segment accesses: repacking runs once per load
            byte[] in = new byte[KQuants2.Q5_K_BYTES], out = new byte[sbs * BLOCK];
            int[] q = new int[QK], even = new int[WORDS], odd = new int[WORDS];
            for (int g = g0; g < g1; g++) {
                for (int s = 0; s < sbs; s++) {
                    for (int r = 0; r < R; r++) {
                        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, ((long) g * R + r) * rowBytes + (long) s * KQuants2.Q5_K_BYTES,
                                in, 0, in.length);
                        int hd = s * (HDR + HALF);
                        putF32(out, hd + 4 * r, Float.float16ToFloat((short) ((in[0] & 0xFF) | in[1] << 8)));
                        putF32(out, hd + DMIN + 4 * r, Float.float16ToFloat((short) ((in[2] & 0xFF) | in[3] << 8)));
                        int b0 = le32(in, 4), b4 = le32(in, 8), b8 = le32(in, 12);
                        // ggml's element order: sub-block j's low nibbles are qs[32·(j/2) + l] (low for even j),
                        // its fifth bits bit j of qh[l]
                        for (int j = 0; j < 8; j++) {
                            out[hd + SC + j * R + r] = (byte) KQuants.subScale(b0, b8, j);
                            out[hd + MN + j * R + r] = (byte) KQuants.subMin(b0, b4, b8, j);
                            for (int l = 0; l < 32; l++) {
                                int lo = (in[48 + 32 * (j / 2) + l] >> (4 * (j & 1))) & 0xF, hi = (in[16 + l] >> j) & 1;
                                q[32 * j + l] = lo | hi << 4;
                            }
                        }
                        // pair p (0..7) of half h of sub-block j: elements e = 32j + 8·sl + 2k, e + 1, where
                        // sl = 2h + p/4 and k = p % 4; word p/3 of the half holds it in bits 5·(p % 3) .. +4
                        for (int j = 0; j < 8; j++) {
                            for (int h = 0; h < 2; h++) {
                                java.util.Arrays.fill(even, 0);
                                java.util.Arrays.fill(odd, 0);
                                for (int pr = 0; pr < 8; pr++) {
                                    int e = 32 * j + 8 * (2 * h + pr / 4) + 2 * (pr % 4);
                                    even[pr / 3] |= q[e] << (5 * (pr % 3));
                                    odd[pr / 3] |= q[e + 1] << (5 * (pr % 3));
                                }
                                for (int wd = 0; wd < WORDS; wd++) {
                                    int lane = (int) values(sbs, s, h) + 4 * R * (WORDS * j + wd) + 4 * r;
                                    out[lane] = (byte) even[wd];
                                    out[lane + 1] = (byte) (even[wd] >> 8);
                                    out[lane + 2] = (byte) odd[wd];
                                    out[lane + 3] = (byte) (odd[wd] >> 8);
                                }
                            }
                        }
                    }
                }
                MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, (long) g * sbs * BLOCK, sbs * BLOCK);
            }
        });
        return dst;
    }

    /**
     * Offset in a group of super-block {@code s}'s values of half {@code h}: half 0 right after the block's header
     * (one stream with it for {@link #half2}'s first pass), all half 1s after the last block (the second pass's
     * stream; it reads the headers again from cache).
     */
    static long values(int sbs, int s, int h) {
        return h == 0 ? (long) s * (HDR + HALF) + HDR : (long) sbs * (HDR + HALF) + (long) s * HALF;
    }

    private static int le32(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
    }

    private static void putF32(byte[] b, int o, float f) {
        int v = Float.floatToRawIntBits(f);
        for (int k = 0; k < 4; k++) b[o + k] = (byte) (v >> 8 * k);
    }

    /**
     * One group of R rows (at {@code off}) · one token into {@code out[o .. o+R)}: {@code qi} the token's Q8_K
     * values as {@link Q4Kx8#pairs} (from {@code qOff}), {@code d} its scales, {@code bs} its sums of 16;
     * {@code lanes}: {@link #SCRATCH} floats.
     */
    public static void gemv(MemorySegment w, long off, int sbs, int[] qi, int qOff, float[] d, int dOff, int[] bs, int bOff,
                            float[] lanes, float[] out, int o) {
        // the sum of the lanes and the store happen in the second half: C2 inlines this small method into the large
        // loops that call it, and vector operations left here were then boxed (~1 MB a 1.5B token)
        half(w, off, sbs, qi, qOff, d, dOff, bs, bOff, lanes, 0, out, o);
        half(w, off, sbs, qi, qOff, d, dOff, bs, bOff, lanes, 1, out, o);
    }

    /**
     * Two groups, {@code (w, off)} into {@code out[o ..)} and {@code (w2, off2)} into {@code out2[o2 ..)}, · one
     * token: {@link #gemv} for each, bit for bit ({@link #half2}). {@code lanes}: {@link #SCRATCH} floats.
     */
    public static void gemv2(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, int[] qi, int qOff, float[] d, int dOff,
                             int[] bs, int bOff, float[] lanes, float[] out, int o, float[] out2, int o2) {
        half2(w, off, w2, off2, sbs, qi, qOff, d, dOff, bs, bOff, lanes, 0, out, o, out2, o2);
        mins2(w, off, w2, off2, sbs, d, dOff, bs, bOff, lanes);
        half2(w, off, w2, off2, sbs, qi, qOff, d, dOff, bs, bOff, lanes, 1, out, o, out2, o2);
    }

    /**
     * {@link #gemv}'s slices {@code 2h, 2h+1} of every sub-block, ggml's lanes {@code 4h .. 4h+3}: half 0 leaves
     * its four lanes in {@code lanes}, half 1 adds all eight in {@code hsum_float_8}'s order, then its own mins'
     * sums, into {@code out[o .. o+R)} (half 0 computes the mins too and drops them: see the loop).
     */
    private static void half(MemorySegment w, long off, int sbs, int[] qi, int qOff, float[] d, int dOff, int[] bs, int bOff,
                             float[] lanes, int h, float[] out, int o) {
        // the pollution-proof form (see Q4x8.gemv): constants as locals, only methods the concrete class overrides
        IntVector M5 = IntVector.broadcast(I32, 0x001F001F), C5 = IntVector.broadcast(I32, 5), C10 = IntVector.broadcast(I32, 10);
        IntVector C16 = IntVector.broadcast(I32, 16);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, summs = l0;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * (HDR + HALF), vs = off + values(sbs, s, h);
            IntVector a0 = IntVector.zero(I32), a1 = a0, a2 = a0, a3 = a0, imin = a0;
            for (int j = 0; j < 8; j++) {
                long vo = vs + 4L * R * WORDS * j;
                int qb = qOff + 128 * s + 16 * j + 8 * h;
                // pairs 0..7 of this half, three 5-bit fields a word: a shift and a mask give a pair of every row
                // (pairs 0, 1 are ggml's lane 4h, 2, 3 lane 4h+1, 4, 5 lane 4h+2, 6, 7 lane 4h+3)
                IntVector v0 = IntVector.fromMemorySegment(I32, w, vo, LE), v1 = IntVector.fromMemorySegment(I32, w, vo + 4L * R, LE),
                        v2 = IntVector.fromMemorySegment(I32, w, vo + 8L * R, LE);
                ShortVector p, u, x;
                x = (ShortVector) v0.lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0);
                p = x.lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb]).reinterpretShape(S16, 0));
                x = (ShortVector) (IMM ? v0.lanewise(VectorOperators.LSHR, 5) : v0.lanewise(VectorOperators.LSHR, C5)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0);
                p = p.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)));
                x = (ShortVector) (IMM ? v0.lanewise(VectorOperators.LSHR, 10) : v0.lanewise(VectorOperators.LSHR, C10)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0);
                u = x.lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0));
                x = (ShortVector) v1.lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0);
                u = u.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)));
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + SC + (long) R * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0);
                // an int lane holds two 16-bit sums (|each| <= 2·31·127): adding it shifted left by 16 puts their
                // sum (below 2^15) in the high half, which the arithmetic shift brings down signed
                IntVector t = (IntVector) p.reinterpretShape(I32, 0);
                t = t.lanewise(VectorOperators.ADD, IMM ? t.lanewise(VectorOperators.LSHL, 16) : t.lanewise(VectorOperators.LSHL, C16));
                a0 = (IMM ? t.lanewise(VectorOperators.ASHR, 16) : t.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a0);
                t = (IntVector) u.reinterpretShape(I32, 0);
                t = t.lanewise(VectorOperators.ADD, IMM ? t.lanewise(VectorOperators.LSHL, 16) : t.lanewise(VectorOperators.LSHL, C16));
                a1 = (IMM ? t.lanewise(VectorOperators.ASHR, 16) : t.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a1);
                x = (ShortVector) (IMM ? v1.lanewise(VectorOperators.LSHR, 5) : v1.lanewise(VectorOperators.LSHR, C5)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0);
                p = x.lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0));
                x = (ShortVector) (IMM ? v1.lanewise(VectorOperators.LSHR, 10) : v1.lanewise(VectorOperators.LSHR, C10)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0);
                p = p.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)));
                x = (ShortVector) v2.lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0);
                u = x.lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0));
                x = (ShortVector) (IMM ? v2.lanewise(VectorOperators.LSHR, 5) : v2.lanewise(VectorOperators.LSHR, C5)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0);
                u = u.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)));
                t = (IntVector) p.reinterpretShape(I32, 0);
                t = t.lanewise(VectorOperators.ADD, IMM ? t.lanewise(VectorOperators.LSHL, 16) : t.lanewise(VectorOperators.LSHL, C16));
                a2 = (IMM ? t.lanewise(VectorOperators.ASHR, 16) : t.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a2);
                t = (IntVector) u.reinterpretShape(I32, 0);
                t = t.lanewise(VectorOperators.ADD, IMM ? t.lanewise(VectorOperators.LSHL, 16) : t.lanewise(VectorOperators.LSHL, C16));
                a3 = (IMM ? t.lanewise(VectorOperators.ASHR, 16) : t.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a3);
                // the mins in both halves (half 1 uses them): a vector updated under an if is boxed by C2
                int k = bOff + 16 * s + 2 * j;
                IntVector mn = (IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + MN + (long) R * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0);
                imin = mn.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[k] + bs[k + 1])).lanewise(VectorOperators.ADD, imin);
            }
            FloatVector da = FloatVector.broadcast(F32, d[dOff + s]);
            FloatVector dw = FloatVector.fromMemorySegment(F32, w, bo, LE).lanewise(VectorOperators.MUL, da);
            l0 = ((FloatVector) a0.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw, l0);
            l1 = ((FloatVector) a1.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw, l1);
            l2 = ((FloatVector) a2.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw, l2);
            l3 = ((FloatVector) a3.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw, l3);
            // summs = fma(-d_a·dmin, Σ min·bsum, summs), as ggml (GCC contracts it); both halves, as the mins
            FloatVector dm = FloatVector.fromMemorySegment(F32, w, bo + DMIN, LE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, -d[dOff + s]));
            summs = ((FloatVector) imin.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dm, summs);
        }
        int L = R; // floats
        if (h == 0) {
            // stored through a last lanewise (+ -0.0 changes no value), which gives C2 the vectors' exact class
            FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
            l0.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 0);
            l1.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, L);
            l2.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 2 * L);
            l3.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 3 * L);
        } else {
            // hsum_float_8: ((0+4) + (2+6)) + ((1+5) + (3+7)); this half holds lanes 4..7; then + summs
            FloatVector s0 = FloatVector.fromArray(F32, lanes, 0).lanewise(VectorOperators.ADD, l0);
            FloatVector s2 = FloatVector.fromArray(F32, lanes, 2 * L).lanewise(VectorOperators.ADD, l2);
            FloatVector s1 = FloatVector.fromArray(F32, lanes, L).lanewise(VectorOperators.ADD, l1);
            FloatVector s3 = FloatVector.fromArray(F32, lanes, 3 * L).lanewise(VectorOperators.ADD, l3);
            s0.lanewise(VectorOperators.ADD, s2).lanewise(VectorOperators.ADD, s1.lanewise(VectorOperators.ADD, s3))
                    .lanewise(VectorOperators.ADD, summs).intoArray(out, o);
        }
    }

    /**
     * {@link #half} for two groups at once, {@code (w, off)} and {@code (w2, off2)}, far apart: each activation
     * broadcast serves both, and two distant weight streams keep more reads in flight (one group at a time, a
     * thread streamed ~18 GB/s on two threads where {@link Q4Kx8#gemv2}'s two streams reach 30-40; Zen 4,
     * {@code MatvecBench 2 Q5_K 53760}). Per group the operations of {@link #half}, in the same order.
     * {@code lanes}: four lanes of both groups' rows (group 2's after group 1's), then their mins' sums
     * ({@link #mins2}, before half 1); kept out of this method, which with them was too large for C2 to
     * intrinsify (it boxed its vectors).
     */
    private static void half2(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, int[] qi, int qOff, float[] d, int dOff,
                              int[] bs, int bOff, float[] lanes, int h, float[] out, int o, float[] out2, int o2) {
        IntVector M5 = IntVector.broadcast(I32, 0x001F001F), C5 = IntVector.broadcast(I32, 5), C10 = IntVector.broadcast(I32, 10);
        IntVector C16 = IntVector.broadcast(I32, 16);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, l02 = l0, l12 = l0, l22 = l0, l32 = l0;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * (HDR + HALF), bo2 = off2 + (long) s * (HDR + HALF);
            long vs = values(sbs, s, h);
            FloatVector a0 = FloatVector.zero(F32), a1 = a0, a2 = a0, a3 = a0, a02 = a0, a12 = a0, a22 = a0, a32 = a0;
            for (int j = 0; j < 8; j++) {
                long vo = off + vs + 4L * R * WORDS * j, vo2 = off2 + vs + 4L * R * WORDS * j;
                int qb = qOff + 128 * s + 16 * j + 8 * h;
                IntVector v0 = IntVector.fromMemorySegment(I32, w, vo, LE), v1 = IntVector.fromMemorySegment(I32, w, vo + 4L * R, LE),
                        v2 = IntVector.fromMemorySegment(I32, w, vo + 8L * R, LE);
                IntVector v02 = IntVector.fromMemorySegment(I32, w2, vo2, LE), v12 = IntVector.fromMemorySegment(I32, w2, vo2 + 4L * R, LE),
                        v22 = IntVector.fromMemorySegment(I32, w2, vo2 + 8L * R, LE);
                FloatVector sc = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + SC + (long) R * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).convertShape(VectorOperators.I2F, F32, 0);
                FloatVector sc2 = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(BYTES, w2, bo2 + SC + (long) R * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).convertShape(VectorOperators.I2F, F32, 0);
                ShortVector p, u, p2, u2, x;
                IntVector t;
                x = (ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0);
                p = ((ShortVector) (ShortVector) v0.lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x);
                p2 = ((ShortVector) (ShortVector) v02.lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x);
                x = (ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0);
                p = p.lanewise(VectorOperators.ADD, ((ShortVector) (ShortVector) (IMM ? v0.lanewise(VectorOperators.LSHR, 5) : v0.lanewise(VectorOperators.LSHR, C5)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x));
                p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) (ShortVector) (IMM ? v02.lanewise(VectorOperators.LSHR, 5) : v02.lanewise(VectorOperators.LSHR, C5)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x));
                x = (ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0);
                u = ((ShortVector) (ShortVector) (IMM ? v0.lanewise(VectorOperators.LSHR, 10) : v0.lanewise(VectorOperators.LSHR, C10)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x);
                u2 = ((ShortVector) (ShortVector) (IMM ? v02.lanewise(VectorOperators.LSHR, 10) : v02.lanewise(VectorOperators.LSHR, C10)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x);
                x = (ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0);
                u = u.lanewise(VectorOperators.ADD, ((ShortVector) (ShortVector) v1.lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x));
                u2 = u2.lanewise(VectorOperators.ADD, ((ShortVector) (ShortVector) v12.lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x));
                t = (IntVector) p.reinterpretShape(I32, 0);
                t = t.lanewise(VectorOperators.ADD, IMM ? t.lanewise(VectorOperators.LSHL, 16) : t.lanewise(VectorOperators.LSHL, C16));
                a0 = ((FloatVector) (IMM ? t.lanewise(VectorOperators.ASHR, 16) : t.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc, a0);
                t = (IntVector) u.reinterpretShape(I32, 0);
                t = t.lanewise(VectorOperators.ADD, IMM ? t.lanewise(VectorOperators.LSHL, 16) : t.lanewise(VectorOperators.LSHL, C16));
                a1 = ((FloatVector) (IMM ? t.lanewise(VectorOperators.ASHR, 16) : t.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc, a1);
                t = (IntVector) p2.reinterpretShape(I32, 0);
                t = t.lanewise(VectorOperators.ADD, IMM ? t.lanewise(VectorOperators.LSHL, 16) : t.lanewise(VectorOperators.LSHL, C16));
                a02 = ((FloatVector) (IMM ? t.lanewise(VectorOperators.ASHR, 16) : t.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc2, a02);
                t = (IntVector) u2.reinterpretShape(I32, 0);
                t = t.lanewise(VectorOperators.ADD, IMM ? t.lanewise(VectorOperators.LSHL, 16) : t.lanewise(VectorOperators.LSHL, C16));
                a12 = ((FloatVector) (IMM ? t.lanewise(VectorOperators.ASHR, 16) : t.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc2, a12);
                x = (ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0);
                p = ((ShortVector) (ShortVector) (IMM ? v1.lanewise(VectorOperators.LSHR, 5) : v1.lanewise(VectorOperators.LSHR, C5)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x);
                p2 = ((ShortVector) (ShortVector) (IMM ? v12.lanewise(VectorOperators.LSHR, 5) : v12.lanewise(VectorOperators.LSHR, C5)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x);
                x = (ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0);
                p = p.lanewise(VectorOperators.ADD, ((ShortVector) (ShortVector) (IMM ? v1.lanewise(VectorOperators.LSHR, 10) : v1.lanewise(VectorOperators.LSHR, C10)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x));
                p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) (ShortVector) (IMM ? v12.lanewise(VectorOperators.LSHR, 10) : v12.lanewise(VectorOperators.LSHR, C10)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x));
                x = (ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0);
                u = ((ShortVector) (ShortVector) v2.lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x);
                u2 = ((ShortVector) (ShortVector) v22.lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x);
                x = (ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0);
                u = u.lanewise(VectorOperators.ADD, ((ShortVector) (ShortVector) (IMM ? v2.lanewise(VectorOperators.LSHR, 5) : v2.lanewise(VectorOperators.LSHR, C5)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x));
                u2 = u2.lanewise(VectorOperators.ADD, ((ShortVector) (ShortVector) (IMM ? v22.lanewise(VectorOperators.LSHR, 5) : v22.lanewise(VectorOperators.LSHR, C5)).lanewise(VectorOperators.AND, M5).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, x));
                t = (IntVector) p.reinterpretShape(I32, 0);
                t = t.lanewise(VectorOperators.ADD, IMM ? t.lanewise(VectorOperators.LSHL, 16) : t.lanewise(VectorOperators.LSHL, C16));
                a2 = ((FloatVector) (IMM ? t.lanewise(VectorOperators.ASHR, 16) : t.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc, a2);
                t = (IntVector) u.reinterpretShape(I32, 0);
                t = t.lanewise(VectorOperators.ADD, IMM ? t.lanewise(VectorOperators.LSHL, 16) : t.lanewise(VectorOperators.LSHL, C16));
                a3 = ((FloatVector) (IMM ? t.lanewise(VectorOperators.ASHR, 16) : t.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc, a3);
                t = (IntVector) p2.reinterpretShape(I32, 0);
                t = t.lanewise(VectorOperators.ADD, IMM ? t.lanewise(VectorOperators.LSHL, 16) : t.lanewise(VectorOperators.LSHL, C16));
                a22 = ((FloatVector) (IMM ? t.lanewise(VectorOperators.ASHR, 16) : t.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc2, a22);
                t = (IntVector) u2.reinterpretShape(I32, 0);
                t = t.lanewise(VectorOperators.ADD, IMM ? t.lanewise(VectorOperators.LSHL, 16) : t.lanewise(VectorOperators.LSHL, C16));
                a32 = ((FloatVector) (IMM ? t.lanewise(VectorOperators.ASHR, 16) : t.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, sc2, a32);
            }
            FloatVector da = FloatVector.broadcast(F32, d[dOff + s]);
            FloatVector dw = FloatVector.fromMemorySegment(F32, w, bo, LE).lanewise(VectorOperators.MUL, da);
            l0 = a0.lanewise(VectorOperators.FMA, dw, l0);
            l1 = a1.lanewise(VectorOperators.FMA, dw, l1);
            l2 = a2.lanewise(VectorOperators.FMA, dw, l2);
            l3 = a3.lanewise(VectorOperators.FMA, dw, l3);
            dw = FloatVector.fromMemorySegment(F32, w2, bo2, LE).lanewise(VectorOperators.MUL, da);
            l02 = a02.lanewise(VectorOperators.FMA, dw, l02);
            l12 = a12.lanewise(VectorOperators.FMA, dw, l12);
            l22 = a22.lanewise(VectorOperators.FMA, dw, l22);
            l32 = a32.lanewise(VectorOperators.FMA, dw, l32);
        }
        int L = R, G = 4 * L; // floats
        if (h == 0) {
            FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
            l0.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 0);
            l1.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, L);
            l2.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 2 * L);
            l3.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 3 * L);
            l02.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G);
            l12.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G + L);
            l22.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G + 2 * L);
            l32.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, G + 3 * L);
        } else {
            // hsum_float_8 per group: ((0+4) + (2+6)) + ((1+5) + (3+7)), then + summs
            FloatVector s0 = FloatVector.fromArray(F32, lanes, 0).lanewise(VectorOperators.ADD, l0);
            FloatVector s2 = FloatVector.fromArray(F32, lanes, 2 * L).lanewise(VectorOperators.ADD, l2);
            FloatVector s1 = FloatVector.fromArray(F32, lanes, L).lanewise(VectorOperators.ADD, l1);
            FloatVector s3 = FloatVector.fromArray(F32, lanes, 3 * L).lanewise(VectorOperators.ADD, l3);
            s0.lanewise(VectorOperators.ADD, s2).lanewise(VectorOperators.ADD, s1.lanewise(VectorOperators.ADD, s3))
                    .lanewise(VectorOperators.ADD, FloatVector.fromArray(F32, lanes, 2 * G)).intoArray(out, o);
            s0 = FloatVector.fromArray(F32, lanes, G).lanewise(VectorOperators.ADD, l02);
            s2 = FloatVector.fromArray(F32, lanes, G + 2 * L).lanewise(VectorOperators.ADD, l22);
            s1 = FloatVector.fromArray(F32, lanes, G + L).lanewise(VectorOperators.ADD, l12);
            s3 = FloatVector.fromArray(F32, lanes, G + 3 * L).lanewise(VectorOperators.ADD, l32);
            s0.lanewise(VectorOperators.ADD, s2).lanewise(VectorOperators.ADD, s1.lanewise(VectorOperators.ADD, s3))
                    .lanewise(VectorOperators.ADD, FloatVector.fromArray(F32, lanes, 2 * G + L)).intoArray(out2, o2);
        }
    }

    /**
     * The mins' part of two groups, ggml's {@code summs = fma(-d_a·dmin, Σ min·bsum, summs)} per super-block,
     * into {@code lanes[8R ..)} (group 1) and {@code lanes[9R ..)} (group 2), for {@link #half2}'s half 1.
     */
    private static void mins2(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, float[] d, int dOff,
                              int[] bs, int bOff, float[] lanes) {
        FloatVector summs = FloatVector.zero(F32), summs2 = summs;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * (HDR + HALF), bo2 = off2 + (long) s * (HDR + HALF);
            IntVector imin = IntVector.zero(I32), imin2 = imin;
            for (int j = 0; j < 8; j++) {
                int k = bOff + 16 * s + 2 * j;
                IntVector bsum = IntVector.broadcast(I32, bs[k] + bs[k + 1]);
                IntVector mn = (IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + MN + (long) R * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0);
                imin = mn.lanewise(VectorOperators.MUL, bsum).lanewise(VectorOperators.ADD, imin);
                mn = (IntVector) ByteVector.fromMemorySegment(BYTES, w2, bo2 + MN + (long) R * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0);
                imin2 = mn.lanewise(VectorOperators.MUL, bsum).lanewise(VectorOperators.ADD, imin2);
            }
            FloatVector nda = FloatVector.broadcast(F32, -d[dOff + s]);
            FloatVector dm = FloatVector.fromMemorySegment(F32, w, bo + DMIN, LE).lanewise(VectorOperators.MUL, nda);
            summs = ((FloatVector) imin.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dm, summs);
            dm = FloatVector.fromMemorySegment(F32, w2, bo2 + DMIN, LE).lanewise(VectorOperators.MUL, nda);
            summs2 = ((FloatVector) imin2.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dm, summs2);
        }
        int L = R; // floats
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        summs.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 8 * L);
        summs2.lanewise(VectorOperators.ADD, NEG0).intoArray(lanes, 9 * L);
    }
}

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
 * Q4_0 weights repacked at load time so that {@code R} rows ({@code R} = float lanes of
 * {@link VectorWidths#REPACK}: 8 on AVX2, 16 on AVX-512) are computed side by side, one row per lane: no horizontal sums, the
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

    // their own width (VectorWidths.REPACK): 512 bits on AVX-512 hardware, where the other quantized kernels
    // stay at 256
    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Integer> I32 = IntVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Float> F32 = FloatVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    /** Rows per group: one per float lane. */
    public static final int R = F32.length();
    // The R f16 scales are read as the first half of one S16 load (the block's nibbles follow them), not as
    // a half-width vector: a third short shape in the process (beside the 256-bit quantized kernels' and
    // F16Math's) made the shared profiles megamorphic and C2 boxed a vector per call (160 bytes, Zen 4).
    /**
     * Whether one token's activation pairs are spread over R lanes each for {@link #gemv}/{@link #gemv2}
     * (a plain load per pair) or broadcast from the packed pairs (the default, {@code -Dr1.cpu.q4spread=true}
     * spreads). At 512 bits a spread pair's 64 bytes (48 KB for 1536 columns) fall out of L1. At 256 bits the
     * spread form was chosen when C2 built half the broadcasts from three instructions (session 3, Zen 3); JDK 25
     * with {@code -XX:UseAVX=2} broadcasts each from memory in one ({@code vpbroadcastd ymm, m32}), and on the
     * Zen 4 machine the broadcast form decoded the 1.5B Q4_0 default 31.1 against 37.5 ms p50 (3 pairs, session 22).
     */
    public static final boolean SPREAD = Boolean.getBoolean("r1.cpu.q4spread");
    /**
     * Whether a batch takes its tokens four at a time ({@link #gemm4}) before pairs ({@link #gemm2}): by default where
     * the vectors are 512 bits (32 registers; sixteen would spill the four tokens' sums). {@code -Dr1.cpu.q4gemm4}.
     */
    public static final boolean GEMM4 = Boolean.parseBoolean(System.getProperty("r1.cpu.q4gemm4", String.valueOf(R >= 16)));
    /** Bytes per group per block column. */
    public static final int BLOCK = R * QuantKernels.Q4_0_BYTES;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN, NATIVE = ByteOrder.nativeOrder();
    // The kernels' outputs are stored with intoArray into the caller's float[], the stored vector of an exact
    // class (a last lanewise). Through heap segments (intoMemorySegment, sessions 12-20) C2 took the segment's
    // backing array type from the type profile that every vector access to a segment shares (float[], int[]
    // and byte[] segments all pass through ScopedMemoryAccess): merged, it could not intrinsify the store
    // (PrintIntrinsics: "not supported: op=store ... etype=float atype=*illegal*", 287 compiles in a Q4_K_M
    // decode) and stored lane by lane through a VarHandle, ~5% of a decoding step's samples (JFR, Zen 4). An
    // array parameter has its type in the signature. (intoArray's own profile of the vector's class, which
    // once made C2 box here, does not matter while the stored vector's class is exact.) Attention's F16Math
    // kernels still store through segments: moved to intoArray they decoded slower at depth 512 (two pairs
    // of two, session 21), not explained.

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

    // Byte arrays, not per-byte segment accesses: repacking runs once per load over the whole model.
    private static boolean repackGroup(MemorySegment src, long srcOff, long rowBytes, int blocks, MemorySegment dst, long dstOff) {
        boolean finite = true;
        byte[] in = new byte[QuantKernels.Q4_0_BYTES], out = new byte[BLOCK];
        int[] q = new int[QuantKernels.QK];
        for (int b = 0; b < blocks; b++) {
            for (int r = 0; r < R; r++) {
                MemorySegment.copy(src, java.lang.foreign.ValueLayout.JAVA_BYTE, srcOff + r * rowBytes + (long) b * QuantKernels.Q4_0_BYTES, in, 0, in.length);
                finite &= (in[1] & 0x7c) != 0x7c;
                out[2 * r] = in[0];
                out[2 * r + 1] = in[1];
                nibbleWords(in, 2, q, r, out, 2 * R);
            }
            MemorySegment.copy(out, 0, dst, java.lang.foreign.ValueLayout.JAVA_BYTE, dstOff + (long) b * BLOCK, BLOCK);
        }
        return finite;
    }

    /**
     * Row {@code r}'s 32 nibbles {@code q} (element order) as this layout's words from {@code out[base]}: for slice group
     * {@code sl} a 32-bit word per row, its low 16 bits the four even elements {@code 2(4sl+k)} and its high 16 bits the
     * odd ones, nibble k at bit 4k, so that a shift by 4k and a mask give slice {@code 4sl + k}: one element pair per row.
     */
    static void words(int[] q, int r, byte[] out, int base) {
        words(q, r, out, base, 4);
    }

    /**
     * {@link #words} for fields of {@code bits} (4, or 2 for {@link Q2Kx4}): each word holds {@code 16 / bits} element
     * pairs, field k of each half at bit {@code bits·k}, so a shift by {@code bits·k} and a mask give pair k.
     */
    static void words(int[] q, int r, byte[] out, int base, int bits) {
        int per = 16 / bits;
        for (int sl = 0; sl < 16 / per; sl++) {
            int even = 0, odd = 0;
            for (int k = 0; k < per; k++) {
                even |= q[2 * (per * sl + k)] << (bits * k);
                odd |= q[2 * (per * sl + k) + 1] << (bits * k);
            }
            int lane = base + 4 * R * sl + 4 * r;
            out[lane] = (byte) even;
            out[lane + 1] = (byte) (even >> 8);
            out[lane + 2] = (byte) odd;
            out[lane + 3] = (byte) (odd >> 8);
        }
    }

    /**
     * {@link #words} of the 16 bytes of nibbles at {@code b[at]} in ggml's order (Q4_0, IQ4_NL, an IQ4_XS sub-block:
     * element j the low nibble of byte j, element j + 16 its high nibble); {@code q} 32 ints of scratch.
     */
    static void nibbleWords(byte[] b, int at, int[] q, int r, byte[] out, int base) {
        for (int i = 0; i < 16; i++) {
            q[i] = b[at + i] & 0xF;
            q[i + 16] = (b[at + i] >> 4) & 0xF;
        }
        words(q, r, out, base);
    }

    /**
     * Activations for these kernels: quantized 8-bit values of one token in natural order, packed two
     * per int (the pair one 32-bit broadcast gives every row), and {@code 8·Σq} per block.
     */
    public static void pack(short[] q, int qOff, int cols, int[] qi, int qiOff, int[] s8, int sOff) {
        // little-endian: two shorts read as one int are exactly the pair (lo | hi << 16)
        MemorySegment qs = MemorySegment.ofArray(qi);
        for (int k = 0; k < cols; k += S16.length()) {
            ((IntVector) ShortVector.fromArray(S16, q, qOff + k).reinterpretShape(I32, 0)).intoMemorySegment(qs, (long) (qiOff + k / 2) * Integer.BYTES, NATIVE);
        }
        for (int b = 0; b < cols / QuantKernels.QK; b++) {
            ShortVector v = ShortVector.zero(S16);
            for (int i = 0; i < QuantKernels.QK; i += S16.length()) v = v.lanewise(VectorOperators.ADD, ShortVector.fromArray(S16, q, qOff + b * QuantKernels.QK + i));
            s8[sOff + b] = 8 * v.reduceLanes(VectorOperators.ADD); // |Σq| <= 32·127 fits a short
        }
    }

    /**
     * Spreads {@code pairs} activation pairs ({@link #pack}) over R lanes each, for {@link #gemv}: a plain
     * vector load then feeds the multiply (as broadcasts from the packed pairs, half of them took three
     * instructions). R times the memory, affordable for one token (144 KB for 8960 columns).
     */
    public static void spread(int[] qi, int qiOff, int pairs, int[] qv, int qvOff) {
        // the vector broadcast AVX2 machines always ran (SPREAD's default there); at 512 bits, where this form
        // boxed beside the 256-bit kernels, decoding broadcasts from the packed pairs instead
        for (int k = 0; k < pairs; k++) IntVector.broadcast(I32, qi[qiOff + k]).intoArray(qv, qvOff + k * R);
    }

    /**
     * One group of R rows (at {@code off}) · one token: {@code out[o .. o+R)}. {@code qv} the token's
     * activation pairs as {@link #spread}, {@code s8} as {@link #pack}, {@code d} the activation block scales.
     */
    public static void gemv(MemorySegment w, long off, int blocks, int[] qv, int qiOff, float[] d, int[] s8, int dOff,
                            float[] out, int o) {
        // Every call below goes to a method the concrete vector class overrides (lanewise(op, vector),
        // reinterpretShape, convertShape), so C2 binds it from this kernel's own code. The shortcuts (add(v),
        // and(short), lanewise(op, int), fma) make their virtual call inside a method all shapes share, and
        // other shapes there made C2 box this kernel (ProfilePollutionCheck "pollute-engine": 4 608 bytes a
        // call with 512-bit float kernels, 0 in this form; decoding 4% faster at 256 bits, Zen 4). The
        // constants are locals: as static final vectors they boxed.
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F);
        IntVector C4 = IntVector.broadcast(I32, 4), C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector acc = FloatVector.zero(F32);
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * BLOCK;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            // F16Math.widen written out: in these large methods C2 may refuse to inline it, and then boxes
            FloatVector dw = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE);
            int qb = qiOff + b * 16 * (SPREAD ? R : 1);
            long wo = bo + 2L * R;
            // Unrolled by hand: as a loop, C2 split it into pre/main/post loops with bounds checks per slice.
            // Nibbles are shifted as 32-bit lanes (and masked): C2 gives those an immediate count, while a
            // 16-bit shift moved the count into a vector register every time.
            ShortVector s = ShortVector.zero(S16), u = s, v, n;
            // BEGIN gemv slices
            v = ShortVector.fromMemorySegment(S16, w, wo + 0L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 0 * R) : IntVector.broadcast(I32, qv[qb + 0])).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 1 * R) : IntVector.broadcast(I32, qv[qb + 1])).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 2 * R) : IntVector.broadcast(I32, qv[qb + 2])).reinterpretShape(S16, 0))));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 3 * R) : IntVector.broadcast(I32, qv[qb + 3])).reinterpretShape(S16, 0))));
            v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 4 * R) : IntVector.broadcast(I32, qv[qb + 4])).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 5 * R) : IntVector.broadcast(I32, qv[qb + 5])).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 6 * R) : IntVector.broadcast(I32, qv[qb + 6])).reinterpretShape(S16, 0))));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 7 * R) : IntVector.broadcast(I32, qv[qb + 7])).reinterpretShape(S16, 0))));
            v = ShortVector.fromMemorySegment(S16, w, wo + 8L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 8 * R) : IntVector.broadcast(I32, qv[qb + 8])).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 9 * R) : IntVector.broadcast(I32, qv[qb + 9])).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 10 * R) : IntVector.broadcast(I32, qv[qb + 10])).reinterpretShape(S16, 0))));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 11 * R) : IntVector.broadcast(I32, qv[qb + 11])).reinterpretShape(S16, 0))));
            v = ShortVector.fromMemorySegment(S16, w, wo + 12L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 12 * R) : IntVector.broadcast(I32, qv[qb + 12])).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 13 * R) : IntVector.broadcast(I32, qv[qb + 13])).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 14 * R) : IntVector.broadcast(I32, qv[qb + 14])).reinterpretShape(S16, 0))));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 15 * R) : IntVector.broadcast(I32, qv[qb + 15])).reinterpretShape(S16, 0))));
            s = s.lanewise(VectorOperators.ADD, u);
            // END gemv slices
            IntVector p = ((IntVector) s.reinterpretShape(I32, 0));
            IntVector isum = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                    .lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.SUB, IntVector.broadcast(I32, s8[dOff + b]));
            acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b])), acc);
        }
        acc.lanewise(VectorOperators.ADD, FloatVector.broadcast(F32, -0.0f)).intoArray(out, o);
    }

    /**
     * Two groups of R rows, {@code (w, off)} and {@code (w2, off2)}, from places far apart · one token, into
     * {@code out[o ..]} and {@code out2[o2 ..]}: each activation load serves both, and two distant streams
     * keep more weight reads in flight (measured ~8% more bandwidth than one group at a time when the
     * pair is half a matrix apart; two adjacent groups gained nothing). Per group the operations are
     * {@link #gemv}'s, in the same order, so results are bit for bit the same.
     */
    public static void gemv2(MemorySegment w, long off, MemorySegment w2, long off2, int blocks, int[] qv, int qiOff,
                             float[] d, int[] s8, int dOff, float[] out, int o, float[] out2, int o2) {
        // the same pollution-proof form as gemv
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F);
        IntVector C4 = IntVector.broadcast(I32, 4), C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector acc = FloatVector.zero(F32), acc2 = acc;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * BLOCK, bo2 = off2 + (long) b * BLOCK;
            int qb = qiOff + b * 16 * (SPREAD ? R : 1);
            long wo = bo + 2L * R, wo2 = bo2 + 2L * R;
            ShortVector s = ShortVector.zero(S16), u = s, s2 = s, u2 = s, v, v2, n, n2, a;
            v = ShortVector.fromMemorySegment(S16, w, wo + 0L * R, LE);
            v2 = ShortVector.fromMemorySegment(S16, w2, wo2 + 0L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            n2 = v2.lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 0 * R) : IntVector.broadcast(I32, qv[qb + 0])).reinterpretShape(S16, 0));
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            s2 = s2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            n2 = v2.lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 1 * R) : IntVector.broadcast(I32, qv[qb + 1])).reinterpretShape(S16, 0));
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            u2 = u2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            n2 = v2.lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 2 * R) : IntVector.broadcast(I32, qv[qb + 2])).reinterpretShape(S16, 0));
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            s2 = s2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            n2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 3 * R) : IntVector.broadcast(I32, qv[qb + 3])).reinterpretShape(S16, 0));
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            u2 = u2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R, LE);
            v2 = ShortVector.fromMemorySegment(S16, w2, wo2 + 4L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            n2 = v2.lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 4 * R) : IntVector.broadcast(I32, qv[qb + 4])).reinterpretShape(S16, 0));
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            s2 = s2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            n2 = v2.lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 5 * R) : IntVector.broadcast(I32, qv[qb + 5])).reinterpretShape(S16, 0));
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            u2 = u2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            n2 = v2.lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 6 * R) : IntVector.broadcast(I32, qv[qb + 6])).reinterpretShape(S16, 0));
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            s2 = s2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            n2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 7 * R) : IntVector.broadcast(I32, qv[qb + 7])).reinterpretShape(S16, 0));
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            u2 = u2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            v = ShortVector.fromMemorySegment(S16, w, wo + 8L * R, LE);
            v2 = ShortVector.fromMemorySegment(S16, w2, wo2 + 8L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            n2 = v2.lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 8 * R) : IntVector.broadcast(I32, qv[qb + 8])).reinterpretShape(S16, 0));
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            s2 = s2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            n2 = v2.lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 9 * R) : IntVector.broadcast(I32, qv[qb + 9])).reinterpretShape(S16, 0));
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            u2 = u2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            n2 = v2.lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 10 * R) : IntVector.broadcast(I32, qv[qb + 10])).reinterpretShape(S16, 0));
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            s2 = s2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            n2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 11 * R) : IntVector.broadcast(I32, qv[qb + 11])).reinterpretShape(S16, 0));
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            u2 = u2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            v = ShortVector.fromMemorySegment(S16, w, wo + 12L * R, LE);
            v2 = ShortVector.fromMemorySegment(S16, w2, wo2 + 12L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            n2 = v2.lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 12 * R) : IntVector.broadcast(I32, qv[qb + 12])).reinterpretShape(S16, 0));
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            s2 = s2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            n2 = v2.lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 13 * R) : IntVector.broadcast(I32, qv[qb + 13])).reinterpretShape(S16, 0));
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            u2 = u2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            n2 = v2.lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 14 * R) : IntVector.broadcast(I32, qv[qb + 14])).reinterpretShape(S16, 0));
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            s2 = s2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            n2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            a = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 15 * R) : IntVector.broadcast(I32, qv[qb + 15])).reinterpretShape(S16, 0));
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, a));
            u2 = u2.lanewise(VectorOperators.ADD, n2.lanewise(VectorOperators.MUL, a));
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            IntVector h2 = (IntVector) ShortVector.fromMemorySegment(S16, w2, bo2, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dw = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE);
            FloatVector dw2 = ((FloatVector) h2.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE);
            IntVector p = ((IntVector) s.lanewise(VectorOperators.ADD, u).reinterpretShape(I32, 0)), p2 = ((IntVector) s2.lanewise(VectorOperators.ADD, u2).reinterpretShape(I32, 0));
            int sb = s8[dOff + b];
            float db = d[dOff + b];
            acc = ((FloatVector) p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                    .lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.SUB, IntVector.broadcast(I32, sb)).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, db)), acc);
            acc2 = ((FloatVector) p2.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                    .lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.SUB, IntVector.broadcast(I32, sb)).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw2.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, db)), acc2);
        }
        acc.lanewise(VectorOperators.ADD, FloatVector.broadcast(F32, -0.0f)).intoArray(out, o);
        acc2.lanewise(VectorOperators.ADD, FloatVector.broadcast(F32, -0.0f)).intoArray(out2, o2);
    }

    /**
     * One group of R rows · two tokens (token k's activation pairs at {@code qiOff + k*qiStride} as
     * {@link #pack}, scales at {@code dOff + k*dStride}, output at {@code o + k*oStride}): each weight slice
     * is loaded and split into nibbles once for both. Per token the same operations as {@link #gemv}.
     * Two tokens, not four: unrolled for four, the method outgrew C1 ("out of virtual registers") and ran
     * interpreted; as a loop over slices it was ~15% slower than this.
     */
    public static void gemm2(MemorySegment w, long off, int blocks, int[] qi, int qiOff, int qiStride,
                             float[] d, int[] s8, int dOff, int dStride, float[] out, int o, int oStride) {
        // the pollution-proof form of gemv (see there)
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F);
        IntVector C4 = IntVector.broadcast(I32, 4), C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f), NEG0 = FloatVector.broadcast(F32, -0.0f);
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0;
        int q1 = qiOff + qiStride, d1 = dOff + dStride;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * BLOCK;
            int qb = b * 16;
            long wo = bo + 2L * R;
            ShortVector s0 = ShortVector.zero(S16), s1 = s0, u0 = s0, u1 = s0, v, n;
            v = ShortVector.fromMemorySegment(S16, w, wo + 0L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 0]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 0]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 1]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 1]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 2]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 2]).reinterpretShape(S16, 0))));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 3]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 3]).reinterpretShape(S16, 0))));
            v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 4]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 4]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 5]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 5]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 6]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 6]).reinterpretShape(S16, 0))));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 7]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 7]).reinterpretShape(S16, 0))));
            v = ShortVector.fromMemorySegment(S16, w, wo + 8L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 8]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 8]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 9]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 9]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 10]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 10]).reinterpretShape(S16, 0))));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 11]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 11]).reinterpretShape(S16, 0))));
            v = ShortVector.fromMemorySegment(S16, w, wo + 12L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 12]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 12]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 13]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 13]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 14]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 14]).reinterpretShape(S16, 0))));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 15]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 15]).reinterpretShape(S16, 0))));
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            // F16Math.widen written out: in these large methods C2 may refuse to inline it, and then boxes
            FloatVector dw = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE);
            IntVector v0 = ((IntVector) s0.lanewise(VectorOperators.ADD, u0).reinterpretShape(I32, 0)), v1 = ((IntVector) s1.lanewise(VectorOperators.ADD, u1).reinterpretShape(I32, 0));
            acc0 = ((FloatVector) v0.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v0.lanewise(VectorOperators.ASHR, C16))
                    .lanewise(VectorOperators.SUB, IntVector.broadcast(I32, s8[dOff + b])).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b])), acc0);
            acc1 = ((FloatVector) v1.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v1.lanewise(VectorOperators.ASHR, C16))
                    .lanewise(VectorOperators.SUB, IntVector.broadcast(I32, s8[d1 + b])).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[d1 + b])), acc1);
        }
        acc0.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o);
        acc1.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o + oStride);
    }

    /**
     * One group of R rows · four tokens, as {@link #gemm2} (per token the same operations as {@link #gemv}, so the
     * outputs are gemm2's bit for bit): each weight slice is loaded and split into nibbles once for four tokens
     * instead of two. 512-bit machines only ({@link #GEMM4}: 32 vector registers hold the eight 16-bit sums and four
     * accumulators).
     */
    public static void gemm4(MemorySegment w, long off, int blocks, int[] qi, int qiOff, int qiStride,
                             float[] d, int[] s8, int dOff, int dStride, float[] out, int o, int oStride) {
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F);
        IntVector C4 = IntVector.broadcast(I32, 4), C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f), NEG0 = FloatVector.broadcast(F32, -0.0f);
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int q1 = qiOff + qiStride, q2 = q1 + qiStride, q3 = q2 + qiStride, d1 = dOff + dStride, d2 = d1 + dStride, d3 = d2 + dStride;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * BLOCK;
            int qb = b * 16;
            long wo = bo + 2L * R;
            ShortVector s0 = ShortVector.zero(S16), s1 = s0, s2 = s0, s3 = s0, u0 = s0, u1 = s0, u2 = s0, u3 = s0, v, n;
            v = ShortVector.fromMemorySegment(S16, w, wo + 0L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 0]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 0]).reinterpretShape(S16, 0))));
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 0]).reinterpretShape(S16, 0))));
            s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 0]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 1]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 1]).reinterpretShape(S16, 0))));
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 1]).reinterpretShape(S16, 0))));
            u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 1]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 2]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 2]).reinterpretShape(S16, 0))));
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 2]).reinterpretShape(S16, 0))));
            s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 2]).reinterpretShape(S16, 0))));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 3]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 3]).reinterpretShape(S16, 0))));
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 3]).reinterpretShape(S16, 0))));
            u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 3]).reinterpretShape(S16, 0))));
            v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 4]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 4]).reinterpretShape(S16, 0))));
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 4]).reinterpretShape(S16, 0))));
            s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 4]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 5]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 5]).reinterpretShape(S16, 0))));
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 5]).reinterpretShape(S16, 0))));
            u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 5]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 6]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 6]).reinterpretShape(S16, 0))));
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 6]).reinterpretShape(S16, 0))));
            s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 6]).reinterpretShape(S16, 0))));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 7]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 7]).reinterpretShape(S16, 0))));
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 7]).reinterpretShape(S16, 0))));
            u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 7]).reinterpretShape(S16, 0))));
            v = ShortVector.fromMemorySegment(S16, w, wo + 8L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 8]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 8]).reinterpretShape(S16, 0))));
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 8]).reinterpretShape(S16, 0))));
            s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 8]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 9]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 9]).reinterpretShape(S16, 0))));
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 9]).reinterpretShape(S16, 0))));
            u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 9]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 10]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 10]).reinterpretShape(S16, 0))));
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 10]).reinterpretShape(S16, 0))));
            s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 10]).reinterpretShape(S16, 0))));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 11]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 11]).reinterpretShape(S16, 0))));
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 11]).reinterpretShape(S16, 0))));
            u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 11]).reinterpretShape(S16, 0))));
            v = ShortVector.fromMemorySegment(S16, w, wo + 12L * R, LE);
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 12]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 12]).reinterpretShape(S16, 0))));
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 12]).reinterpretShape(S16, 0))));
            s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 12]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 13]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 13]).reinterpretShape(S16, 0))));
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 13]).reinterpretShape(S16, 0))));
            u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 13]).reinterpretShape(S16, 0))));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 14]).reinterpretShape(S16, 0))));
            s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 14]).reinterpretShape(S16, 0))));
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 14]).reinterpretShape(S16, 0))));
            s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 14]).reinterpretShape(S16, 0))));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qiOff + qb + 15]).reinterpretShape(S16, 0))));
            u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + qb + 15]).reinterpretShape(S16, 0))));
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + qb + 15]).reinterpretShape(S16, 0))));
            u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + qb + 15]).reinterpretShape(S16, 0))));
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dw = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE);
            IntVector v0 = (IntVector) s0.lanewise(VectorOperators.ADD, u0).reinterpretShape(I32, 0);
            acc0 = ((FloatVector) v0.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v0.lanewise(VectorOperators.ASHR, C16))
                    .lanewise(VectorOperators.SUB, IntVector.broadcast(I32, s8[dOff + b])).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b])), acc0);
            IntVector v1 = (IntVector) s1.lanewise(VectorOperators.ADD, u1).reinterpretShape(I32, 0);
            acc1 = ((FloatVector) v1.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v1.lanewise(VectorOperators.ASHR, C16))
                    .lanewise(VectorOperators.SUB, IntVector.broadcast(I32, s8[d1 + b])).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[d1 + b])), acc1);
            IntVector v2 = (IntVector) s2.lanewise(VectorOperators.ADD, u2).reinterpretShape(I32, 0);
            acc2 = ((FloatVector) v2.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v2.lanewise(VectorOperators.ASHR, C16))
                    .lanewise(VectorOperators.SUB, IntVector.broadcast(I32, s8[d2 + b])).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[d2 + b])), acc2);
            IntVector v3 = (IntVector) s3.lanewise(VectorOperators.ADD, u3).reinterpretShape(I32, 0);
            acc3 = ((FloatVector) v3.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v3.lanewise(VectorOperators.ASHR, C16))
                    .lanewise(VectorOperators.SUB, IntVector.broadcast(I32, s8[d3 + b])).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[d3 + b])), acc3);
        }
        acc0.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o);
        acc1.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o + 1 * oStride);
        acc2.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o + 2 * oStride);
        acc3.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o + 3 * oStride);
    }

}

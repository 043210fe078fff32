package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tensor.IQ4_NLType;
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
 * The 32-element block types other than Q4_0 — Q8_0, Q5_0, Q4_1, Q5_1, IQ4_NL — repacked at load time with a
 * byte per value, {@code R} rows side by side ({@code R} = float lanes of {@link VectorWidths#REPACK}: 8 on
 * AVX2, 16 on AVX-512), each in the float operations llama.cpp runs for it, exactly. Their row-major kernels
 * ({@link QuantKernels#dotQ8_0}, {@link LegacyQuants}) run at 256 bits and end every row with a horizontal
 * sum; on Zen 4 they decoded a 1.5B file at 0.25-0.76x llama.cpp's speed (docs/BENCHMARKS.md, session 18).
 *
 * <p>Layout, per group of R rows and per block of 32: the R f16 scales {@code d}; for Q4_1 / Q5_1 the R f16
 * offsets {@code m}; then for each of the 16 element pairs {@code p} the pair of every row, {@code [p][row][2]},
 * int8 values: Q8_0's own, Q5_0's {@code q - 16}, Q4_1's and Q5_1's unsigned {@code q}, IQ4_NL's levels. A
 * pair's 2·R bytes widen into one 16-bit vector whose lanes {@code 2r, 2r+1} are row r's two values, so one
 * 32-bit broadcast of the activations' pair multiplies every row. Q8_0 keeps its size (34 bytes a block per
 * row); the others grow by 1.5x (Q5_0: 22 -> 34 bytes, Q5_1: 24 -> 36) to 1.9x (IQ4_NL: 18 -> 34, except at 256 and
 * 512 bits, where it keeps its 4 bits: {@link #NL_SHUFFLE}, {@link #NL_NIBBLES}; Q4_1: 36, except where it keeps its 4
 * bits, {@link #Q41_NIBBLES}, the default): a byte a
 * value streams at the machine's bandwidth with a fifth of the operations that unpacking 4- and 5-bit fields
 * for R rows takes, and llama.cpp's own kernels for these types are compute-bound (measured: docs/BENCHMARKS.md).
 *
 * <p>Per row, ggml's AVX2 {@code vec_dot_q8_0_q8_0} / {@code q5_0_q8_0} ({@link #gemv}) and {@code q4_1_q8_1} /
 * {@code q5_1_q8_1} ({@link #gemvMin}): eight integer lanes per block, lane k the exact sum of the products of
 * elements {@code 4k .. 4k+3}; each lane {@code acc_k = fma(d_w·d_a, (float) lane, acc_k)} over the blocks in
 * order; {@code hsum_float_8}; plus, with offsets, {@code Σ m·s} as a separate fma chain. IQ4_NL
 * ({@link #gemvSum}) as ggml's repacked {@code iq4_nl_8x8}: the exact block sum, {@code acc = fma((float) sum,
 * d_w·d_a, acc)}. Here lane k of every row is one vector of R ints (two pairs' 16-bit products, |each| <=
 * 2·128·127, widened and added) and acc_k one vector of R floats: the same float operations per row, so the
 * logits are llama.cpp's bit for bit (its {@code haswell} library).
 */
public final class Q8x8 {
    private Q8x8() {}

    // the repacked kernels' width, as Q4x8: every vector call goes to a method the concrete vector class
    // overrides, so the 256-bit kernels' type profiles cannot unbind these (see Q4x8.gemv)
    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Integer> I32 = IntVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Float> F32 = FloatVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    /** One element pair of each of the R rows: the bytes that widen into one {@link #S16} vector. */
    static final VectorSpecies<Byte> B8 = VectorSpecies.of(byte.class, VectorShape.forBitSize(VectorWidths.REPACK.vectorBitSize() / 2));
    /** Rows per group: one per float lane, as {@link Q4x8#R} (the kernels read Q4x8's activation pairs). */
    public static final int R = F32.length();
    private static final int QK = QuantKernels.QK;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** {@code -Dr1.cpu.q8repack=false} keeps these types row-major (the kernels these are checked against). */
    public static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("r1.cpu.q8repack", "true"));

    /**
     * IQ4_NL kept in 4 bits ({@link Q4x8}'s layout, the file's 18 bytes a block per row) and looked up in the kernel
     * ({@link #gemvNibbles}) rather than widened to a byte per value at load: on 512-bit machines, where a 16-entry
     * table lookup over 32 short lanes is one instruction ({@code vpermw}). {@code -Dr1.cpu.iq4nlnibbles=false}: bytes.
     */
    public static final boolean NL_NIBBLES = R == 16 && R == Q4x8.R && Q4x8.BLOCK == R * 18
            && Boolean.parseBoolean(System.getProperty("r1.cpu.iq4nlnibbles", "true"));
    /**
     * IQ4_NL kept in 4 bits on 256-bit machines (AVX2), where {@link #NL_NIBBLES}' 16-bit lookup has no one instruction:
     * per group and block the R f16 scales, then for each t in 0..7 the row's raw bytes 2t, 2t+1 ({@code [t][row][2]}),
     * whose low nibbles are element pair t and high nibbles pair t + 8; {@link #gemvShuffle} looks 16 of them up at once
     * with a byte shuffle ({@code vpshufb}). The file's 18 bytes a block per row, where a byte a value took 34 and
     * decoded at 0.56x llama.cpp's speed under AVX2 code (docs/BENCHMARKS.md, session 35). {@code
     * -Dr1.cpu.iq4nlshuffle=false}: bytes.
     */
    public static final boolean NL_SHUFFLE = R == 8 && R == Q4x8.R && B8.length() == 16
            && Boolean.parseBoolean(System.getProperty("r1.cpu.iq4nlshuffle", "true"));
    /**
     * Whether decoding's one token reaches {@link #NL_SHUFFLE}'s kernel with its activation pairs spread over R lanes
     * each ({@link #gemvShuffleSpread}, a plain load per pair) rather than broadcast from the packed pairs: C2 built
     * half those broadcasts through a general register (three instructions) and the kernel, ~240 instructions a
     * block, streamed 3.2 GB/s from memory; spread, 1.5B IQ4_NL decode under AVX2 code 7.8 -> 9.6 tok/s
     * (docs/BENCHMARKS.md, session 40), 0.69x -> 0.93x llama.cpp's. {@code -Dr1.cpu.iq4nlspread=false} broadcasts.
     */
    public static final boolean NL_SPREAD = Boolean.parseBoolean(System.getProperty("r1.cpu.iq4nlspread", "true"));
    /**
     * Whether decoding's one token reaches {@link #gemv} (Q8_0, Q5_0) and {@link #gemvMin} (Q5_1) with its activation
     * pairs spread over R lanes each ({@link #gemvSpread}, {@link #gemvMinSpread}: a plain load per pair) rather than
     * broadcast from the packed pairs: by default at 256 bits (AVX2), where C2 built every one of those broadcasts
     * through a general register, reloading the array from the stack (four instructions, eleven per 16 bytes of
     * weights with the load and its range check). Under AVX2 code (Sapphire Rapids, session 40) {@code MatvecBench 2
     * Q8_0 268800} 11.1 -> 16.3-17.0 GMAC/s, 1.5B Q8_0 decode 7.6 -> 10.5 tok/s (0.84x -> 1.20x llama.cpp's {@code
     * haswell}). At 512 bits even (22-23 GMAC/s either way), so broadcast there. {@code -Dr1.cpu.q8spread}.
     */
    public static final boolean SPREAD_ONE = Boolean.parseBoolean(System.getProperty("r1.cpu.q8spread", String.valueOf(R == 8)));
    /**
     * {@link #SPREAD_ONE} for Q4_1's {@link #gemvMinNibbles} ({@link #gemvMinNibblesSpread}, its {@link #pairs41}
     * spread): under AVX2 code {@code MatvecBench 2 Q4_1 268800} 14.8 -> 22.4-23.3 GMAC/s, 1.5B Q4_1 decode 10.1 ->
     * 13.7 tok/s; at 512 bits +2-3 % in {@code MatvecBench} but the whole model's decode 18.2-18.5 against 12.8-17.9
     * tok/s, so broadcast there. {@code -Dr1.cpu.q41spread}.
     */
    public static final boolean SPREAD41 = Boolean.parseBoolean(System.getProperty("r1.cpu.q41spread", String.valueOf(R == 8)));
    /** Ints of {@link #B8}'s shape: the nibble bytes shifted four bits at once ({@link #gemvShuffle}). */
    static final VectorSpecies<Integer> I8 = VectorSpecies.of(int.class, B8.vectorShape());
    /** The 16 IQ4_NL levels as bytes, the table {@link #gemvShuffle}'s byte shuffle reads (sized for any {@link #B8}). */
    static final byte[] NL_BYTES = new byte[32];
    /** Bytes per group per block of IQ4_NL in 4 bits ({@link #NL_NIBBLES}, {@link #NL_SHUFFLE}): the file's 18 a row. */
    static final int NL_BLOCK = R * 18;

    /**
     * Q4_1 kept in 4 bits (20 bytes a block per row, the file's size, where a byte a value took 36) and read by {@link
     * #gemvMinNibbles}: after the R f16 scales and R f16 offsets, four words a row ({@code [v][row]}, {@link
     * #words41}), word v the row's elements {@code 8v .. 8v+7}, element {@code 8v+t} at bit {@code 4t}, so a shift by
     * 4t and a mask give elements {@code 8v+t} and {@code 8v+4+t}, one in each 16-bit half: ggml's lanes 2v and 2v+1.
     * Any width (the values need no lookup). {@code -Dr1.cpu.q41nibbles=false}: bytes.
     */
    public static final boolean Q41_NIBBLES = R >= 8 && R == Q4x8.R && Boolean.parseBoolean(System.getProperty("r1.cpu.q41nibbles", "true"));
    /** Bytes per group per block of Q4_1 in 4 bits: R f16 scales, R f16 offsets, 16 bytes of nibbles a row. */
    static final int Q41_BLOCK = R * 20;

    /** The 16 IQ4_NL levels in the first 16 of 32 short lanes: the table {@code selectFrom} reads (IQ4_NL, IQ4_XS). */
    static final short[] NL_TABLE = new short[32];
    static {
        for (int i = 0; i < 16; i++) {
            NL_TABLE[i] = (short) IQ4_NLType.value(i);
            NL_BYTES[i] = (byte) IQ4_NLType.value(i);
        }
    }

    /** Whether {@code type} is one of this layout's. */
    public static boolean serves(GgmlType type) {
        return switch (type) {
            case Q8_0, Q5_0, Q4_1, Q5_1, IQ4_NL -> true;
            default -> false;
        };
    }

    /** Whether the type's blocks carry an offset {@code m} (read with Q8_1 activations, {@link #gemvMin}). */
    public static boolean hasMin(GgmlType type) { return type == GgmlType.Q4_1 || type == GgmlType.Q5_1; }

    /** Bytes per group per block. */
    public static int block(GgmlType type) {
        return type == GgmlType.IQ4_NL && (NL_NIBBLES || NL_SHUFFLE) ? NL_BLOCK : type == GgmlType.Q4_1 && Q41_NIBBLES ? Q41_BLOCK : byteBlock(type);
    }

    /** Bytes per group per block a byte a value: the R scales (and offsets), then 32 values a row. */
    static int byteBlock(GgmlType type) { return R * ((hasMin(type) ? 4 : 2) + QK); }

    /** Bytes of a repacked matrix. */
    public static long bytes(GgmlType type, int rows, int cols) { return (long) rows / R * (cols / QK) * block(type); }

    /** Whether a matrix of this shape can be repacked (whole groups of rows, Q4x8's activation pairs). */
    public static boolean fits(int rows, int cols) {
        return rows % R == 0 && cols % QK == 0 && R == Q4x8.R && R * 2 == S16.length() && B8.length() == S16.length();
    }

    /**
     * Repacks a matrix of one of {@link #serves}'s types into {@code arena}, groups of rows spread over
     * {@code pool}; null when one of its scales or offsets is infinite or NaN (the f16 widening here handles
     * finite values only; such a matrix keeps the row-major kernel, which propagates the value as llama.cpp does).
     */
    public static MemorySegment repack(MemorySegment src, GgmlType type, int rows, int cols, Arena arena, Parallel pool) {
        if (!serves(type)) throw new IllegalArgumentException(type + " is not repacked by Q8x8");
        // an IQ4_NL block is a Q4_0 block (f16 scale, 16 bytes of nibbles, element j low, j + 16 high): Q4x8's layout
        if (type == GgmlType.IQ4_NL && NL_NIBBLES) return Q4x8.repack(src, rows, cols, arena, pool);
        int blocks = cols / QK, groups = rows / R, in = (int) type.typeSize(), head = hasMin(type) ? 4 : 2, blk = block(type);
        boolean nibbles = type == GgmlType.Q4_1 && Q41_NIBBLES;
        long rowBytes = (long) blocks * in;
        MemorySegment dst = arena.allocate((long) groups * blocks * blk, 64);
        boolean[] bad = new boolean[1];
        pool.forRange(groups, 1, (g0, g1) -> {
            // byte arrays, not per-byte segment accesses: repacking runs once per load
            byte[] b = new byte[in], out = new byte[blk], v = new byte[QK];
            int[] q = new int[QK];
            for (int g = g0; g < g1; g++) {
                for (int k = 0; k < blocks; k++) {
                    for (int r = 0; r < R; r++) {
                        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, ((long) g * R + r) * rowBytes + (long) k * in, b, 0, in);
                        if ((b[1] & 0x7c) == 0x7c || head == 4 && (b[3] & 0x7c) == 0x7c) bad[0] = true;
                        for (int i = 0; i < head; i += 2) {
                            out[i * R + 2 * r] = b[i];
                            out[i * R + 2 * r + 1] = b[i + 1];
                        }
                        if (type == GgmlType.IQ4_NL && NL_SHUFFLE) { // the raw bytes 2t, 2t+1 as slice t
                            for (int t = 0; t < QK / 4; t++) {
                                out[2 * R + 2 * (t * R + r)] = b[2 + 2 * t];
                                out[2 * R + 2 * (t * R + r) + 1] = b[2 + 2 * t + 1];
                            }
                            continue;
                        }
                        if (nibbles) { // Q4_1: its nibbles (at byte 4, element j low, j + 16 high) as gemvMinNibbles' words
                            words41(b, 4, q, r, out, 4 * R);
                            continue;
                        }
                        values(type, b, v);
                        for (int p = 0; p < QK / 2; p++) {
                            out[head * R + 2 * (p * R + r)] = v[2 * p];
                            out[head * R + 2 * (p * R + r) + 1] = v[2 * p + 1];
                        }
                    }
                    MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, ((long) g * blocks + k) * blk, blk);
                }
            }
        });
        return bad[0] ? null : dst;
    }

    /** The 32 values of one block {@code b} in element order, as the kernels multiply them (ggml's layouts). */
    static void values(GgmlType type, byte[] b, byte[] v) {
        switch (type) {
            case Q8_0 -> System.arraycopy(b, 2, v, 0, QK);
            case Q4_1 -> {
                for (int j = 0; j < 16; j++) {
                    v[j] = (byte) (b[4 + j] & 0xF);
                    v[j + 16] = (byte) ((b[4 + j] >> 4) & 0xF);
                }
            }
            case IQ4_NL -> {
                for (int j = 0; j < 16; j++) {
                    v[j] = (byte) IQ4_NLType.value(b[2 + j] & 0xF);
                    v[j + 16] = (byte) IQ4_NLType.value((b[2 + j] >> 4) & 0xF);
                }
            }
            case Q5_0, Q5_1 -> { // d, (m,) 32 high bits, 16 bytes of nibbles; Q5_0's values less 16
                int o = type == GgmlType.Q5_0 ? 2 : 4, off = type == GgmlType.Q5_0 ? 16 : 0;
                int qh = (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
                for (int j = 0; j < 16; j++) {
                    v[j] = (byte) (((b[o + 4 + j] & 0xF) | ((qh >>> j) & 1) << 4) - off);
                    v[j + 16] = (byte) ((((b[o + 4 + j] >> 4) & 0xF) | ((qh >>> (j + 16)) & 1) << 4) - off);
                }
            }
            default -> throw new IllegalArgumentException(type.toString());
        }
    }

    /**
     * Q8_0 / Q5_0: one group of R rows (at {@code off}) · one token, {@code out[o .. o+R)}. {@code qi} the
     * token's activation pairs from {@code qiOff} as {@link Q4x8#pack}, {@code d} its block scales from
     * {@code dOff}. Each pair is broadcast from {@code qi}. At 256 bits on a 512-bit machine (32 registers)
     * pairs spread over R lanes decoded Q8_0 at 26 GMAC/s against 36 broadcast ({@code MatvecBench 2 Q8_0 53760}, Zen
     * 4); under AVX2 code (16 registers) C2 builds these broadcasts through general registers, and one token takes
     * {@link #gemvSpread} there ({@link #SPREAD_ONE}).
     */
    public static void gemv(MemorySegment w, long off, int blocks, int[] qi, int qiOff, float[] d, int dOff, float[] out, int o) {
        // the pollution-proof form of Q4x8.gemv: lanewise(op, vector), convertShape, reinterpretShape, constants
        // as locals. The eight lanes written out, no helper returning a vector (C2 boxes those it does not inline).
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0;
        int blk = R * (2 + QK);
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * blk;
            // the R f16 scales: the first half of a 16-bit load (see Q4x8), widened as F16Math.widen does
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dv = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b]));
            long vo = bo + 2L * R;
            int qb = qiOff + b * (QK / 2);
            IntVector v;
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l0 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l0);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l1 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l1);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l2 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l2);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l3 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l3);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 16L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 8]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 18L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l4 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l4);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 20L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 10]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 22L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l5 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l5);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 24L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 12]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 26L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l6 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l6);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 28L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 14]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 30L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l7 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l7);
        }
        // hsum_float_8: ((0+4) + (2+6)) + ((1+5) + (3+7)); + -0.0 (no value changes) gives C2 the stored class
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        NEG0.lanewise(VectorOperators.ADD, l0.lanewise(VectorOperators.ADD, l4).lanewise(VectorOperators.ADD, l2.lanewise(VectorOperators.ADD, l6))
                        .lanewise(VectorOperators.ADD, l1.lanewise(VectorOperators.ADD, l5).lanewise(VectorOperators.ADD, l3.lanewise(VectorOperators.ADD, l7))))
                .intoArray(out, o);
    }

    /**
     * {@link #gemv} for decoding's one token with its pairs spread over R lanes each ({@code qv} as {@link Q4x8#spread}):
     * each multiply takes its pairs from a plain load ({@link #SPREAD_ONE}). The same operations otherwise, so the same floats.
     */
    static void gemvSpread(MemorySegment w, long off, int blocks, int[] qv, float[] d, int dOff, float[] out, int o) {
        // the pollution-proof form of Q4x8.gemv: lanewise(op, vector), convertShape, reinterpretShape, constants
        // as locals. The eight lanes written out, no helper returning a vector (C2 boxes those it does not inline).
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0;
        int blk = R * (2 + QK);
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * blk;
            // the R f16 scales: the first half of a 16-bit load (see Q4x8), widened as F16Math.widen does
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dv = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b]));
            long vo = bo + 2L * R;
            int qb = b * (QK / 2) * R;
            IntVector v;
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 0 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 1 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l0 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l0);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 2 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 3 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l1 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l1);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 4 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 5 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l2 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l2);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 6 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 7 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l3 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l3);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 16L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 8 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 18L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 9 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l4 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l4);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 20L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 10 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 22L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 11 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l5 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l5);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 24L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 12 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 26L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 13 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l6 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l6);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 28L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 14 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 30L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 15 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l7 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l7);
        }
        // hsum_float_8: ((0+4) + (2+6)) + ((1+5) + (3+7)); + -0.0 (no value changes) gives C2 the stored class
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        NEG0.lanewise(VectorOperators.ADD, l0.lanewise(VectorOperators.ADD, l4).lanewise(VectorOperators.ADD, l2.lanewise(VectorOperators.ADD, l6))
                        .lanewise(VectorOperators.ADD, l1.lanewise(VectorOperators.ADD, l5).lanewise(VectorOperators.ADD, l3.lanewise(VectorOperators.ADD, l7))))
                .intoArray(out, o);
    }

    /**
     * Q4_1 / Q5_1: as {@link #gemv}, with the blocks' offsets: {@code s} the activations' {@code f16(d·Σq)}
     * per block (Q8_1, {@link LegacyQuants#quantizeQ8_1}), {@code Σ m·s} a chain of fmas per row added last.
     */
    public static void gemvMin(MemorySegment w, long off, int blocks, int[] qi, int qiOff, float[] d, float[] s, int dOff,
                               float[] out, int o) {
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0, sm = l0;
        int blk = R * (4 + QK);
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * blk;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dv = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b]));
            IntVector hm = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + 2L * R, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector mv = ((FloatVector) hm.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE);
            sm = mv.lanewise(VectorOperators.FMA, FloatVector.broadcast(F32, s[dOff + b]), sm);
            long vo = bo + 4L * R;
            int qb = qiOff + b * (QK / 2);
            IntVector v;
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l0 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l0);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l1 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l1);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l2 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l2);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l3 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l3);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 16L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 8]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 18L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l4 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l4);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 20L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 10]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 22L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l5 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l5);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 24L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 12]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 26L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l6 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l6);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 28L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 14]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 30L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l7 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l7);
        }
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        NEG0.lanewise(VectorOperators.ADD, l0.lanewise(VectorOperators.ADD, l4).lanewise(VectorOperators.ADD, l2.lanewise(VectorOperators.ADD, l6))
                        .lanewise(VectorOperators.ADD, l1.lanewise(VectorOperators.ADD, l5).lanewise(VectorOperators.ADD, l3.lanewise(VectorOperators.ADD, l7))).lanewise(VectorOperators.ADD, sm))
                .intoArray(out, o);
    }

    /**
     * {@link #gemvMin} for decoding's one token with its pairs spread over R lanes each ({@code qv} as {@link
     * Q4x8#spread}): each multiply takes its pairs from a plain load ({@link #SPREAD_ONE}). The same floats.
     */
    static void gemvMinSpread(MemorySegment w, long off, int blocks, int[] qv, float[] d, float[] s, int dOff,
                               float[] out, int o) {
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0, sm = l0;
        int blk = R * (4 + QK);
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * blk;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dv = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b]));
            IntVector hm = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + 2L * R, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector mv = ((FloatVector) hm.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE);
            sm = mv.lanewise(VectorOperators.FMA, FloatVector.broadcast(F32, s[dOff + b]), sm);
            long vo = bo + 4L * R;
            int qb = b * (QK / 2) * R;
            IntVector v;
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 0 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 1 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l0 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l0);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 2 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 3 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l1 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l1);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 4 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 5 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l2 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l2);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 6 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 7 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l3 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l3);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 16L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 8 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 18L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 9 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l4 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l4);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 20L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 10 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 22L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 11 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l5 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l5);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 24L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 12 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 26L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 13 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l6 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l6);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 28L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 14 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 30L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 15 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l7 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l7);
        }
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        NEG0.lanewise(VectorOperators.ADD, l0.lanewise(VectorOperators.ADD, l4).lanewise(VectorOperators.ADD, l2.lanewise(VectorOperators.ADD, l6))
                        .lanewise(VectorOperators.ADD, l1.lanewise(VectorOperators.ADD, l5).lanewise(VectorOperators.ADD, l3.lanewise(VectorOperators.ADD, l7))).lanewise(VectorOperators.ADD, sm))
                .intoArray(out, o);
    }

    /**
     * Row {@code r}'s 16 bytes of Q4_1 nibbles at {@code b[at]} (ggml's order: element j the low nibble of byte j,
     * element j + 16 its high nibble) as {@link #gemvMinNibbles}' four words from {@code out[base]}: word v (at {@code
     * base + 4R·v + 4r}, little-endian) holds elements {@code 8v .. 8v+7}, element {@code 8v+t} at bit {@code 4t};
     * {@code q} 32 ints of scratch.
     */
    static void words41(byte[] b, int at, int[] q, int r, byte[] out, int base) {
        for (int i = 0; i < 16; i++) {
            q[i] = b[at + i] & 0xF;
            q[i + 16] = (b[at + i] >> 4) & 0xF;
        }
        for (int v = 0; v < 4; v++) {
            int word = 0;
            for (int t = 0; t < 8; t++) word |= q[8 * v + t] << (4 * t);
            int lane = base + 4 * R * v + 4 * r;
            for (int k = 0; k < 4; k++) out[lane + k] = (byte) (word >> (8 * k));
        }
    }

    /**
     * {@link #gemvMinNibbles}' activations: per block of 32 values {@code q} (natural order) 16 ints, int {@code 4v+t}
     * the pair {@code q[8v+t] | q[8v+4+t] << 16}, the two values that word v's nibbles at bit 4t (its low half) and
     * 16+4t (its high half) multiply.
     */
    static void pairs41(short[] q, int qOff, int cols, int[] qa, int qaOff) {
        for (int b = 0; b < cols / QK; b++)
            for (int v = 0; v < 4; v++)
                for (int t = 0; t < 4; t++) {
                    int e = qOff + b * QK + 8 * v + t;
                    qa[qaOff + b * (QK / 2) + 4 * v + t] = (q[e] & 0xFFFF) | q[e + 4] << 16;
                }
    }

    /**
     * {@link #gemvMin} on Q4_1 kept in 4 bits ({@link #Q41_NIBBLES}), activations as {@link #pairs41}: word v's four
     * nibble positions, masked, times their activation pairs and added in 16 bits give ggml's lane 2v in each 32-bit
     * lane's low half and lane 2v+1 in its high half (|each| <= 4·15·127, exact). The halves become floats without a
     * sign extension: {@code lane << 16} and {@code lane & 0xFFFF0000} are the two sums times 2^16, exact in float, and
     * the block's {@code d_w·d_a} is formed times 2^-16 (its f16 widened with 2^96 for 2^112), also exact (no product
     * of two nonzero f16 comes near float's subnormals), so each fma rounds the same real number as ggml's: the same
     * floats as {@code gemvMin}.
     */
    static void gemvMinNibbles(MemorySegment w, long off, int blocks, int[] qa, int qiOff, float[] d, float[] s, int dOff,
                               float[] out, int o) {
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f), HSCALE16 = FloatVector.broadcast(F32, 0x1p96f);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0, sm = l0;
        IntVector LOW4 = IntVector.broadcast(I32, 0x000F000F), HIGH = IntVector.broadcast(I32, 0xFFFF0000);
        IntVector C4 = IntVector.broadcast(I32, 4), C8 = IntVector.broadcast(I32, 8), C12 = IntVector.broadcast(I32, 12);
        int blk = Q41_BLOCK;
        IntVector x, p;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * blk;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dv = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE16).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b]));
            IntVector hm = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + 2L * R, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector mv = ((FloatVector) hm.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE);
            sm = mv.lanewise(VectorOperators.FMA, FloatVector.broadcast(F32, s[dOff + b]), sm);
            long vo = bo + 4L * R;
            int qb = qiOff + b * (QK / 2);
            x = IntVector.fromMemorySegment(I32, w, vo + 0L * R, LE);
            p = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 0]).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 1]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 2]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 3]).reinterpretShape(S16, 0)))
                    .reinterpretShape(I32, 0);
            l0 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.LSHL, C16).convertShape(VectorOperators.I2F, F32, 0), l0);
            l1 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.AND, HIGH).convertShape(VectorOperators.I2F, F32, 0), l1);
            x = IntVector.fromMemorySegment(I32, w, vo + 4L * R, LE);
            p = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 4]).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 5]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 6]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 7]).reinterpretShape(S16, 0)))
                    .reinterpretShape(I32, 0);
            l2 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.LSHL, C16).convertShape(VectorOperators.I2F, F32, 0), l2);
            l3 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.AND, HIGH).convertShape(VectorOperators.I2F, F32, 0), l3);
            x = IntVector.fromMemorySegment(I32, w, vo + 8L * R, LE);
            p = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 8]).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 9]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 10]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 11]).reinterpretShape(S16, 0)))
                    .reinterpretShape(I32, 0);
            l4 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.LSHL, C16).convertShape(VectorOperators.I2F, F32, 0), l4);
            l5 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.AND, HIGH).convertShape(VectorOperators.I2F, F32, 0), l5);
            x = IntVector.fromMemorySegment(I32, w, vo + 12L * R, LE);
            p = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 12]).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 13]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 14]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 15]).reinterpretShape(S16, 0)))
                    .reinterpretShape(I32, 0);
            l6 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.LSHL, C16).convertShape(VectorOperators.I2F, F32, 0), l6);
            l7 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.AND, HIGH).convertShape(VectorOperators.I2F, F32, 0), l7);
        }
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        NEG0.lanewise(VectorOperators.ADD, l0.lanewise(VectorOperators.ADD, l4).lanewise(VectorOperators.ADD, l2.lanewise(VectorOperators.ADD, l6))
                        .lanewise(VectorOperators.ADD, l1.lanewise(VectorOperators.ADD, l5).lanewise(VectorOperators.ADD, l3.lanewise(VectorOperators.ADD, l7))).lanewise(VectorOperators.ADD, sm))
                .intoArray(out, o);
    }

    /**
     * Q8_0 in ggml's AMX order, as {@link #Q41_AMX} for Q4_1: llama.cpp's {@code sapphirerapids} library adds a block's 32
     * products as one exact integer per row (VNNI for one token, AMX tiles for prompts) and {@code acc = fma(sum,
     * d_w·d_a, acc)} block after block. {@link #gemvAmx}, {@link #gemvAmx4}; Q5_0, which shares this layout, stays in
     * ggml's vec_dot order (no AMX kernel of ggml's takes it). {@code -Dr1.cpu.q8amx=true|false} overrides the machine's pick.
     */
    public static final boolean Q8_AMX = Boolean.parseBoolean(System.getProperty("r1.cpu.q8amx", String.valueOf(GgmlVariant.AMX)));

    /**
     * {@link #gemv} (Q8_0's layout, its activation pairs {@code qi}) in ggml's AMX order ({@link #Q8_AMX}): per two pairs
     * one 16-bit vector of two products a half (|each half| <= 2·128·127 < 2^15), its halves widened and added into the
     * block's exact sum per row, then one fma.
     */
    static void gemvAmx(MemorySegment w, long off, int blocks, int[] qi, int qiOff, float[] d, int dOff, float[] out, int o) {
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16), HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f), acc = FloatVector.zero(F32);
        IntVector v, h, sum;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * (R * (2 + QK));
            int qb = qiOff + b * (QK / 2);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0))).reinterpretShape(I32, 0);
            sum = v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16));
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0))).reinterpretShape(I32, 0);
            sum = sum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0))).reinterpretShape(I32, 0);
            sum = sum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 16L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0))).reinterpretShape(I32, 0);
            sum = sum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 18L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 8]).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 20L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 9]).reinterpretShape(S16, 0))).reinterpretShape(I32, 0);
            sum = sum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 22L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 10]).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 24L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 11]).reinterpretShape(S16, 0))).reinterpretShape(I32, 0);
            sum = sum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 26L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 12]).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 28L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 13]).reinterpretShape(S16, 0))).reinterpretShape(I32, 0);
            sum = sum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 30L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 14]).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 32L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qi[qb + 15]).reinterpretShape(S16, 0))).reinterpretShape(I32, 0);
            sum = sum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            acc = ((FloatVector) sum.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, ((FloatVector) h.lanewise(VectorOperators.LSHL, C13)
                    .lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b])), acc);
        }
        acc.intoArray(out, o);
    }

    /**
     * Four groups of {@link #gemvAmx}, {@code stride} bytes apart, against one token (from 0), each activation broadcast
     * shared by the four, as {@link #gemvMinNibblesAmx4}; group c's rows to {@code out[o + c·ostride ..]}.
     */
    static void gemvAmx4(MemorySegment w, long off, long stride, int blocks, int[] qi, float[] d, int[] sc, float[] out, int o, int ostride) {
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16), HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        IntVector v, h;
        ShortVector a0, a1;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * (R * (2 + QK));
            int qb = b * (QK / 2);
            // the block's eight pairs of pairs: the first written out, the rest in a loop whose four sums live in sc, not
            // in vectors carried around it. Written out whole, C1 ran out of virtual registers on this method ("COMPILE
            // SKIPPED", and it stayed boxed in C1's code); with the sums carried as vectors, C2 boxed them in about one
            // process of four (ForwardAllocationTest, 725 KB a decode step).
            a0 = (ShortVector) IntVector.broadcast(I32, qi[qb]).reinterpretShape(S16, 0);
            a1 = (ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a0)
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 2L * R + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a1)).reinterpretShape(I32, 0);
            v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).intoArray(sc, 0 * R);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + stride + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a0)
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + stride + 2L * R + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a1)).reinterpretShape(I32, 0);
            v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).intoArray(sc, 1 * R);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 2 * stride + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a0)
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 2 * stride + 2L * R + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a1)).reinterpretShape(I32, 0);
            v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).intoArray(sc, 2 * R);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 3 * stride + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a0)
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 3 * stride + 2L * R + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a1)).reinterpretShape(I32, 0);
            v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).intoArray(sc, 3 * R);
            for (int k = 2; k < QK / 2; k += 2) {
                long po = 2L * R * (k + 1);
                a0 = (ShortVector) IntVector.broadcast(I32, qi[qb + k]).reinterpretShape(S16, 0);
                a1 = (ShortVector) IntVector.broadcast(I32, qi[qb + k + 1]).reinterpretShape(S16, 0);
                v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + po, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a0)
                        .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + po + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a1)).reinterpretShape(I32, 0);
                IntVector.fromArray(I32, sc, 0 * R).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16))).intoArray(sc, 0 * R);
                v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + stride + po, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a0)
                        .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + stride + po + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a1)).reinterpretShape(I32, 0);
                IntVector.fromArray(I32, sc, 1 * R).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16))).intoArray(sc, 1 * R);
                v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 2 * stride + po, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a0)
                        .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 2 * stride + po + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a1)).reinterpretShape(I32, 0);
                IntVector.fromArray(I32, sc, 2 * R).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16))).intoArray(sc, 2 * R);
                v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 3 * stride + po, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a0)
                        .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, bo + 3 * stride + po + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, a1)).reinterpretShape(I32, 0);
                IntVector.fromArray(I32, sc, 3 * R).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16))).intoArray(sc, 3 * R);
            }
            FloatVector dA = FloatVector.broadcast(F32, d[b]);
            h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            acc0 = ((FloatVector) IntVector.fromArray(I32, sc, 0 * R).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, ((FloatVector) h.lanewise(VectorOperators.LSHL, C13)
                    .lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, dA), acc0);
            h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + stride, LE).convertShape(VectorOperators.S2I, I32, 0);
            acc1 = ((FloatVector) IntVector.fromArray(I32, sc, 1 * R).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, ((FloatVector) h.lanewise(VectorOperators.LSHL, C13)
                    .lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, dA), acc1);
            h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + 2 * stride, LE).convertShape(VectorOperators.S2I, I32, 0);
            acc2 = ((FloatVector) IntVector.fromArray(I32, sc, 2 * R).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, ((FloatVector) h.lanewise(VectorOperators.LSHL, C13)
                    .lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, dA), acc2);
            h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + 3 * stride, LE).convertShape(VectorOperators.S2I, I32, 0);
            acc3 = ((FloatVector) IntVector.fromArray(I32, sc, 3 * R).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, ((FloatVector) h.lanewise(VectorOperators.LSHL, C13)
                    .lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, dA), acc3);
        }
        acc0.intoArray(out, o);
        acc1.intoArray(out, o + ostride);
        acc2.intoArray(out, o + 2 * ostride);
        acc3.intoArray(out, o + 3 * ostride);
    }

    /**
     * Q4_1 in ggml's AMX order ({@link GgmlVariant}): llama.cpp's {@code sapphirerapids} library multiplies Q4_1 by
     * AVX512-VNNI for one token and by AMX tiles for prompts, both as one exact integer per block and row, {@code
     * acc = fma((float) Σ q_w·q_a, d_w·d_a, acc)} then {@code acc = fma(m_w, s_a, acc)}, block after block, one float
     * per row. Where that library runs, so do these kernels ({@link #gemvMinNibblesAmx}, {@link #gemvMinNibblesAmx4}),
     * so both engines give the same floats; elsewhere ggml keeps eight float lanes per row ({@link #gemvMinNibbles}).
     * One float per row leaves the registers for four groups at a time, sharing each activation broadcast, four
     * weight streams a thread: {@code MatvecBench}-shaped scratch measure on Sapphire Rapids 19 -> 26 GB/s
     * (docs/BENCHMARKS.md, session 42). {@code -Dr1.cpu.q41amx=true|false} overrides the machine's pick.
     */
    public static final boolean Q41_AMX = Q41_NIBBLES
            && Boolean.parseBoolean(System.getProperty("r1.cpu.q41amx", String.valueOf(GgmlVariant.AMX)));

    /**
     * {@link #gemvMinNibbles} in ggml's AMX order ({@link #Q41_AMX}): word v's nibble positions times their pairs, all
     * sixteen added in 16-bit halves (|each half| <= 16·15·127 < 2^15, exact), the halves added as ints: the block's exact
     * sum per row, then the two fmas.
     */
    static void gemvMinNibblesAmx(MemorySegment w, long off, int blocks, int[] qa, int qiOff, float[] d, float[] s, int dOff,
                                  float[] out, int o) {
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16), HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f), acc = FloatVector.zero(F32);
        IntVector LOW4 = IntVector.broadcast(I32, 0x000F000F);
        IntVector C4 = IntVector.broadcast(I32, 4), C8 = IntVector.broadcast(I32, 8), C12 = IntVector.broadcast(I32, 12);
        IntVector x, v, h, hm;
        ShortVector p;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * Q41_BLOCK;
            int qb = qiOff + b * (QK / 2);
            x = IntVector.fromMemorySegment(I32, w, bo + 4L * R, LE);
            p = ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 0]).reinterpretShape(S16, 0));
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 1]).reinterpretShape(S16, 0)));
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 2]).reinterpretShape(S16, 0)));
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 3]).reinterpretShape(S16, 0)));
            x = IntVector.fromMemorySegment(I32, w, bo + 8L * R, LE);
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 4]).reinterpretShape(S16, 0)));
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 5]).reinterpretShape(S16, 0)));
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 6]).reinterpretShape(S16, 0)));
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 7]).reinterpretShape(S16, 0)));
            x = IntVector.fromMemorySegment(I32, w, bo + 12L * R, LE);
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 8]).reinterpretShape(S16, 0)));
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 9]).reinterpretShape(S16, 0)));
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 10]).reinterpretShape(S16, 0)));
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 11]).reinterpretShape(S16, 0)));
            x = IntVector.fromMemorySegment(I32, w, bo + 16L * R, LE);
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 12]).reinterpretShape(S16, 0)));
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 13]).reinterpretShape(S16, 0)));
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 14]).reinterpretShape(S16, 0)));
            p = p.lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.broadcast(I32, qa[qb + 15]).reinterpretShape(S16, 0)));
            v = (IntVector) p.reinterpretShape(I32, 0);
            h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            hm = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + 2L * R, LE).convertShape(VectorOperators.S2I, I32, 0);
            acc = ((FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16))
                    .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, ((FloatVector) h.lanewise(VectorOperators.LSHL, C13)
                    .lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b])), acc);
            acc = ((FloatVector) hm.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.FMA, FloatVector.broadcast(F32, s[dOff + b]), acc);
        }
        acc.intoArray(out, o);
    }

    /**
     * Four groups of {@link #gemvMinNibblesAmx}, {@code stride} bytes apart, against one token ({@code qa}, {@code d},
     * {@code s} from 0), each activation broadcast shared by the four: decoding's four streams a thread ({@code
     * Matmul.decodePacked}); group c's rows to {@code out[o + c·ostride ..]}, each its one-group kernel's floats. One
     * segment and one stride, not four of each: with four (groups of different matrices) C2 spilled vectors and
     * general registers alike, and the kernel streamed 22 GB/s where this one streams 26-28 (session 42).
     */
    static void gemvMinNibblesAmx4(MemorySegment w, long off, long stride, int blocks, int[] qa, float[] d, float[] s,
                                   float[] out, int o, int ostride) {
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16), HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        IntVector LOW4 = IntVector.broadcast(I32, 0x000F000F);
        IntVector C4 = IntVector.broadcast(I32, 4), C8 = IntVector.broadcast(I32, 8), C12 = IntVector.broadcast(I32, 12);
        IntVector x0, x1, x2, x3, v, h, hm;
        ShortVector a, p0, p1, p2, p3;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * Q41_BLOCK;
            int qb = b * (QK / 2);
            x0 = IntVector.fromMemorySegment(I32, w, bo + 4L * R, LE);
            x1 = IntVector.fromMemorySegment(I32, w, bo + stride + 4L * R, LE);
            x2 = IntVector.fromMemorySegment(I32, w, bo + 2 * stride + 4L * R, LE);
            x3 = IntVector.fromMemorySegment(I32, w, bo + 3 * stride + 4L * R, LE);
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 0]).reinterpretShape(S16, 0);
            p0 = ((ShortVector) x0.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a);
            p1 = ((ShortVector) x1.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a);
            p2 = ((ShortVector) x2.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a);
            p3 = ((ShortVector) x3.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a);
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 1]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 2]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 3]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            x0 = IntVector.fromMemorySegment(I32, w, bo + 8L * R, LE);
            x1 = IntVector.fromMemorySegment(I32, w, bo + stride + 8L * R, LE);
            x2 = IntVector.fromMemorySegment(I32, w, bo + 2 * stride + 8L * R, LE);
            x3 = IntVector.fromMemorySegment(I32, w, bo + 3 * stride + 8L * R, LE);
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 4]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 5]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 6]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 7]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            x0 = IntVector.fromMemorySegment(I32, w, bo + 12L * R, LE);
            x1 = IntVector.fromMemorySegment(I32, w, bo + stride + 12L * R, LE);
            x2 = IntVector.fromMemorySegment(I32, w, bo + 2 * stride + 12L * R, LE);
            x3 = IntVector.fromMemorySegment(I32, w, bo + 3 * stride + 12L * R, LE);
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 8]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 9]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 10]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 11]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            x0 = IntVector.fromMemorySegment(I32, w, bo + 16L * R, LE);
            x1 = IntVector.fromMemorySegment(I32, w, bo + stride + 16L * R, LE);
            x2 = IntVector.fromMemorySegment(I32, w, bo + 2 * stride + 16L * R, LE);
            x3 = IntVector.fromMemorySegment(I32, w, bo + 3 * stride + 16L * R, LE);
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 12]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 13]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 14]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            a = (ShortVector) IntVector.broadcast(I32, qa[qb + 15]).reinterpretShape(S16, 0);
            p0 = p0.lanewise(VectorOperators.ADD, ((ShortVector) x0.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p1 = p1.lanewise(VectorOperators.ADD, ((ShortVector) x1.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) x2.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            p3 = p3.lanewise(VectorOperators.ADD, ((ShortVector) x3.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, a));
            FloatVector dA = FloatVector.broadcast(F32, d[b]), sA = FloatVector.broadcast(F32, s[b]);
            v = (IntVector) p0.reinterpretShape(I32, 0);
            h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            hm = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + 2L * R, LE).convertShape(VectorOperators.S2I, I32, 0);
            acc0 = ((FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16))
                    .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, ((FloatVector) h.lanewise(VectorOperators.LSHL, C13)
                    .lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, dA), acc0);
            acc0 = ((FloatVector) hm.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.FMA, sA, acc0);
            v = (IntVector) p1.reinterpretShape(I32, 0);
            h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + stride, LE).convertShape(VectorOperators.S2I, I32, 0);
            hm = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + stride + 2L * R, LE).convertShape(VectorOperators.S2I, I32, 0);
            acc1 = ((FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16))
                    .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, ((FloatVector) h.lanewise(VectorOperators.LSHL, C13)
                    .lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, dA), acc1);
            acc1 = ((FloatVector) hm.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.FMA, sA, acc1);
            v = (IntVector) p2.reinterpretShape(I32, 0);
            h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + 2 * stride, LE).convertShape(VectorOperators.S2I, I32, 0);
            hm = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + 2 * stride + 2L * R, LE).convertShape(VectorOperators.S2I, I32, 0);
            acc2 = ((FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16))
                    .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, ((FloatVector) h.lanewise(VectorOperators.LSHL, C13)
                    .lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, dA), acc2);
            acc2 = ((FloatVector) hm.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.FMA, sA, acc2);
            v = (IntVector) p3.reinterpretShape(I32, 0);
            h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + 3 * stride, LE).convertShape(VectorOperators.S2I, I32, 0);
            hm = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + 3 * stride + 2L * R, LE).convertShape(VectorOperators.S2I, I32, 0);
            acc3 = ((FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16))
                    .convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, ((FloatVector) h.lanewise(VectorOperators.LSHL, C13)
                    .lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, dA), acc3);
            acc3 = ((FloatVector) hm.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.FMA, sA, acc3);
        }
        acc0.intoArray(out, o);
        acc1.intoArray(out, o + ostride);
        acc2.intoArray(out, o + 2 * ostride);
        acc3.intoArray(out, o + 3 * ostride);
    }

    /**
     * {@link #gemvMinNibbles} for decoding's one token with its {@link #pairs41} spread over R lanes each ({@code qv} as
     * {@link Q4x8#spread}): each multiply takes its pairs from a plain load ({@link #SPREAD41}). The same floats.
     */
    static void gemvMinNibblesSpread(MemorySegment w, long off, int blocks, int[] qv, float[] d, float[] s, int dOff,
                               float[] out, int o) {
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f), HSCALE16 = FloatVector.broadcast(F32, 0x1p96f);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0, sm = l0;
        IntVector LOW4 = IntVector.broadcast(I32, 0x000F000F), HIGH = IntVector.broadcast(I32, 0xFFFF0000);
        IntVector C4 = IntVector.broadcast(I32, 4), C8 = IntVector.broadcast(I32, 8), C12 = IntVector.broadcast(I32, 12);
        int blk = Q41_BLOCK;
        IntVector x, p;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * blk;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dv = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE16).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b]));
            IntVector hm = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + 2L * R, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector mv = ((FloatVector) hm.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE);
            sm = mv.lanewise(VectorOperators.FMA, FloatVector.broadcast(F32, s[dOff + b]), sm);
            long vo = bo + 4L * R;
            int qb = b * (QK / 2) * R;
            x = IntVector.fromMemorySegment(I32, w, vo + 0L * R, LE);
            p = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 0 * R).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 1 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 2 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 3 * R).reinterpretShape(S16, 0)))
                    .reinterpretShape(I32, 0);
            l0 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.LSHL, C16).convertShape(VectorOperators.I2F, F32, 0), l0);
            l1 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.AND, HIGH).convertShape(VectorOperators.I2F, F32, 0), l1);
            x = IntVector.fromMemorySegment(I32, w, vo + 4L * R, LE);
            p = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 4 * R).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 5 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 6 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 7 * R).reinterpretShape(S16, 0)))
                    .reinterpretShape(I32, 0);
            l2 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.LSHL, C16).convertShape(VectorOperators.I2F, F32, 0), l2);
            l3 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.AND, HIGH).convertShape(VectorOperators.I2F, F32, 0), l3);
            x = IntVector.fromMemorySegment(I32, w, vo + 8L * R, LE);
            p = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 8 * R).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 9 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 10 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 11 * R).reinterpretShape(S16, 0)))
                    .reinterpretShape(I32, 0);
            l4 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.LSHL, C16).convertShape(VectorOperators.I2F, F32, 0), l4);
            l5 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.AND, HIGH).convertShape(VectorOperators.I2F, F32, 0), l5);
            x = IntVector.fromMemorySegment(I32, w, vo + 12L * R, LE);
            p = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 12 * R).reinterpretShape(S16, 0))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C4).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 13 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C8).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 14 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) x.lanewise(VectorOperators.LSHR, C12).lanewise(VectorOperators.AND, LOW4).reinterpretShape(S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) IntVector.fromArray(I32, qv, qb + 15 * R).reinterpretShape(S16, 0)))
                    .reinterpretShape(I32, 0);
            l6 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.LSHL, C16).convertShape(VectorOperators.I2F, F32, 0), l6);
            l7 = dv.lanewise(VectorOperators.FMA, (FloatVector) p.lanewise(VectorOperators.AND, HIGH).convertShape(VectorOperators.I2F, F32, 0), l7);
        }
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        NEG0.lanewise(VectorOperators.ADD, l0.lanewise(VectorOperators.ADD, l4).lanewise(VectorOperators.ADD, l2.lanewise(VectorOperators.ADD, l6))
                        .lanewise(VectorOperators.ADD, l1.lanewise(VectorOperators.ADD, l5).lanewise(VectorOperators.ADD, l3.lanewise(VectorOperators.ADD, l7))).lanewise(VectorOperators.ADD, sm))
                .intoArray(out, o);
    }

    /** IQ4_NL: as {@link #gemv}, in the repacked {@code iq4_nl_8x8}'s order: one exact sum and one fma per block. */
    public static void gemvSum(MemorySegment w, long off, int blocks, int[] qi, int qiOff, float[] d, int dOff, float[] out, int o) {
        if (NL_NIBBLES) {
            gemvNibbles(w, off, blocks, qi, qiOff, d, dOff, out, o);
            return;
        }
        if (NL_SHUFFLE) {
            gemvShuffle(w, off, blocks, qi, qiOff, d, dOff, out, o);
            return;
        }
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector acc = FloatVector.zero(F32);
        int blk = R * (2 + QK);
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * blk;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dv = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b]));
            long vo = bo + 2L * R;
            int qb = qiOff + b * (QK / 2);
            IntVector v, isum;
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16));
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 16L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 8]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 18L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 20L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 10]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 22L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 24L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 12]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 26L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 28L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 14]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 30L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dv, acc);
        }
        acc.lanewise(VectorOperators.ADD, FloatVector.broadcast(F32, -0.0f)).intoArray(out, o);
    }

    /**
     * {@link #gemvSum} on IQ4_NL kept in 4 bits at 256 bits ({@link #NL_SHUFFLE}): per slice t the 16 bytes of the R rows'
     * element pairs t (low nibbles) and t + 8 (high), masked, looked up in the 16 levels by a byte shuffle ({@code
     * selectFrom} on 16 bytes: one {@code vpshufb}), widened to 16 bits, multiplied by the broadcast activation pairs and
     * the two products (|each| <= 127·127) summed, then widened into the exact block sum; one fma per block, as
     * {@code gemvSum} and ggml's repacked {@code iq4_nl_8x8}, so the same floats.
     */
    static void gemvShuffle(MemorySegment w, long off, int blocks, int[] qi, int qiOff, float[] d, int dOff, float[] out, int o) {
        ByteVector LOW4 = ByteVector.broadcast(B8, (byte) 0x0F), LUT = ByteVector.fromArray(B8, NL_BYTES, 0);
        IntVector C4 = IntVector.broadcast(I8, 4);
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector acc = FloatVector.zero(F32);
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * NL_BLOCK;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dv = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b]));
            long vo = bo + 2L * R;
            int qb = qiOff + b * (QK / 2);
            ByteVector x;
            IntVector v, isum;
            x = ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 8]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16));
            x = ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 10]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 12]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 14]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dv, acc);
        }
        acc.lanewise(VectorOperators.ADD, FloatVector.broadcast(F32, -0.0f)).intoArray(out, o);
    }

    /**
     * {@link #gemvShuffle} for decoding's one token with its pairs spread over R lanes each ({@code qv} as {@link
     * Q4x8#spread}, from pair 0): each multiply takes its pairs from a plain load ({@link #NL_SPREAD}). The same
     * operations otherwise, so the same floats.
     */
    static void gemvShuffleSpread(MemorySegment w, long off, int blocks, int[] qv, float[] d, int dOff, float[] out, int o) {
        ByteVector LOW4 = ByteVector.broadcast(B8, (byte) 0x0F), LUT = ByteVector.fromArray(B8, NL_BYTES, 0);
        IntVector C4 = IntVector.broadcast(I8, 4);
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector acc = FloatVector.zero(F32);
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * NL_BLOCK;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dv = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b]));
            long vo = bo + 2L * R;
            int qb = b * (QK / 2) * R;
            ByteVector x;
            IntVector v, isum;
            x = ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 0 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 8 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16));
            x = ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 1 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 9 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 2 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 10 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 3 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 11 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 4 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 12 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 5 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 13 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 6 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 14 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE);
            v = (IntVector) ((ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 7 * R).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.fromArray(I32, qv, qb + 15 * R).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dv, acc);
        }
        acc.lanewise(VectorOperators.ADD, FloatVector.broadcast(F32, -0.0f)).intoArray(out, o);
    }

    /**
     * {@link #gemvShuffle} for two tokens (the second's pairs at {@code qiOff + qiStride}, its block scales at {@code dOff +
     * dStride}, its R outputs at {@code out[o + oStride ..)}): each slice looked up once for both, per token the same exact
     * block sum and the same fma, so the same floats as two calls of {@code gemvShuffle}.
     */
    static void gemmShuffle2(MemorySegment w, long off, int blocks, int[] qi, int qiOff, int qiStride, float[] d, int dOff, int dStride,
                             float[] out, int o, int oStride) {
        ByteVector LOW4 = ByteVector.broadcast(B8, (byte) 0x0F), LUT = ByteVector.fromArray(B8, NL_BYTES, 0);
        IntVector C4 = IntVector.broadcast(I8, 4);
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * NL_BLOCK;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dw = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE);
            long vo = bo + 2L * R;
            int qb = qiOff + b * (QK / 2), qb2 = qb + qiStride;
            ByteVector x;
            ShortVector lo, hi;
            IntVector v, s0, s1;
            x = ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE);
            lo = (ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            hi = (ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 8]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s0 = v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16));
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 0]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 8]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s1 = v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16));
            x = ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE);
            lo = (ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            hi = (ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s0 = s0.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 1]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s1 = s1.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE);
            lo = (ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            hi = (ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 10]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s0 = s0.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 2]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 10]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s1 = s1.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE);
            lo = (ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            hi = (ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s0 = s0.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 3]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s1 = s1.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE);
            lo = (ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            hi = (ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 12]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s0 = s0.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 4]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 12]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s1 = s1.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE);
            lo = (ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            hi = (ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s0 = s0.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 5]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s1 = s1.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE);
            lo = (ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            hi = (ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 14]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s0 = s0.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 6]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 14]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s1 = s1.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            x = ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE);
            lo = (ShortVector) x.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            hi = (ShortVector) ((ByteVector) ((IntVector) x.reinterpretShape(I8, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(B8, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).convertShape(VectorOperators.B2S, S16, 0);
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s0 = s0.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            v = (IntVector) lo.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 7]).reinterpretShape(S16, 0))).lanewise(VectorOperators.ADD, hi.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb2 + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            s1 = s1.lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)));
            acc0 = ((FloatVector) s0.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b])), acc0);
            acc1 = ((FloatVector) s1.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + dStride + b])), acc1);
        }
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        acc0.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o);
        acc1.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o + oStride);
    }

    /**
     * {@link #gemvSum} on IQ4_NL kept in {@link Q4x8}'s 4-bit layout ({@link #NL_NIBBLES}): per slice of element
     * pairs the nibbles masked out (as {@link Q4x8#gemv}), looked up in the 16 levels ({@code selectFrom}), multiplied
     * by the broadcast activation pair; two slices' 16-bit products (|each| <= 127·127) summed, then widened into the
     * exact block sum; one fma per block, as {@code gemvSum} and ggml's repacked {@code iq4_nl_8x8}.
     */
    static void gemvNibbles(MemorySegment w, long off, int blocks, int[] qi, int qiOff, float[] d, int dOff, float[] out, int o) {
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F), LUT = ShortVector.fromArray(S16, NL_TABLE, 0);
        IntVector C4 = IntVector.broadcast(I32, 4), C8 = IntVector.broadcast(I32, 8), C12 = IntVector.broadcast(I32, 12);
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector acc = FloatVector.zero(F32);
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * Q4x8.BLOCK;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dv = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b]));
            long wo = bo + 2L * R;
            int qb = qiOff + b * (QK / 2);
            ShortVector v, t;
            IntVector p, isum = IntVector.zero(I32);
            v = ShortVector.fromMemorySegment(S16, w, wo + 0L * R, LE);
            t = v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0)));
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            t = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0)));
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R, LE);
            t = v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0)));
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            t = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0)));
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            v = ShortVector.fromMemorySegment(S16, w, wo + 8L * R, LE);
            t = v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 8]).reinterpretShape(S16, 0)));
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            t = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 10]).reinterpretShape(S16, 0)));
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            v = ShortVector.fromMemorySegment(S16, w, wo + 12L * R, LE);
            t = v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 12]).reinterpretShape(S16, 0)));
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            t = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 14]).reinterpretShape(S16, 0)));
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dv, acc);
        }
        acc.lanewise(VectorOperators.ADD, FloatVector.broadcast(F32, -0.0f)).intoArray(out, o);
    }

    /**
     * {@link #gemvNibbles} for four tokens (token k's pairs at {@code qiOff + k·qiStride}, its block scales at {@code dOff +
     * k·dStride}, its R outputs at {@code out[o + k·oStride ..)}): each weight vector's levels looked up once for the four,
     * per token the same exact block sum and the same fma, so the same floats as four calls of {@link #gemvNibbles}.
     */
    // written out, not a loop over the four weight vectors: the loop form streamed 86-90 against 89-105 GMAC/s (session 30)
    static void gemvNibbles4(MemorySegment w, long off, int blocks, int[] qi, int qiOff, int qiStride, float[] d, int dOff, int dStride,
                             float[] out, int o, int oStride) {
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F), LUT = ShortVector.fromArray(S16, NL_TABLE, 0);
        IntVector C4 = IntVector.broadcast(I32, 4), C8 = IntVector.broadcast(I32, 8), C12 = IntVector.broadcast(I32, 12);
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * Q4x8.BLOCK;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dw = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE);
            long wo = bo + 2L * R;
            int q0 = qiOff + b * (QK / 2), q1 = q0 + qiStride, q2 = q1 + qiStride, q3 = q2 + qiStride;
            ShortVector v, e0, e1, e2, e3;
            IntVector p, i0 = IntVector.zero(I32), i1 = i0, i2 = i0, i3 = i0;
            v = ShortVector.fromMemorySegment(S16, w, wo + 0L * R, LE);
            e0 = v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            e1 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            e2 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            e3 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 0]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i0 = i0.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 2]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i0 = i0.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 0]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i1 = i1.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 2]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i1 = i1.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 0]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i2 = i2.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 2]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i2 = i2.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 0]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i3 = i3.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 2]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i3 = i3.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R, LE);
            e0 = v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            e1 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            e2 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            e3 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 4]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i0 = i0.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 6]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i0 = i0.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 4]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i1 = i1.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 6]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i1 = i1.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 4]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i2 = i2.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 6]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i2 = i2.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 4]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i3 = i3.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 6]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i3 = i3.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            v = ShortVector.fromMemorySegment(S16, w, wo + 8L * R, LE);
            e0 = v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            e1 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            e2 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            e3 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 8]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i0 = i0.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 10]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i0 = i0.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 8]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i1 = i1.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 10]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i1 = i1.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 8]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i2 = i2.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 10]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i2 = i2.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 8]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i3 = i3.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 10]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i3 = i3.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            v = ShortVector.fromMemorySegment(S16, w, wo + 12L * R, LE);
            e0 = v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            e1 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            e2 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            e3 = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT);
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 12]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i0 = i0.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 14]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q0 + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i0 = i0.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 12]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i1 = i1.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 14]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q1 + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i1 = i1.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 12]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i2 = i2.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 14]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q2 + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i2 = i2.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e0.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 12]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e1.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i3 = i3.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p = (IntVector) e2.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 14]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, e3.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[q3 + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            i3 = i3.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            acc0 = ((FloatVector) i0.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b])), acc0);
            acc1 = ((FloatVector) i1.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + dStride + b])), acc1);
            acc2 = ((FloatVector) i2.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + 2 * dStride + b])), acc2);
            acc3 = ((FloatVector) i3.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + 3 * dStride + b])), acc3);
        }
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        acc0.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o);
        acc1.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o + oStride);
        acc2.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o + 2 * oStride);
        acc3.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o + 3 * oStride);
    }

    /**
     * {@link #gemvNibbles} on two groups at once (two weight streams per thread, one broadcast of each activation pair
     * for both), as {@link Q4x8#gemv2} decodes Q4_0: each group's rows get the same operations as alone.
     */
    public static void gemvNibbles2(MemorySegment w, long off, MemorySegment w2, long off2, int blocks, int[] qi, int qiOff,
                                    float[] d, int dOff, float[] out, int o, float[] out2, int o2) {
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F), LUT = ShortVector.fromArray(S16, NL_TABLE, 0);
        IntVector C4 = IntVector.broadcast(I32, 4), C8 = IntVector.broadcast(I32, 8), C12 = IntVector.broadcast(I32, 12);
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector acc = FloatVector.zero(F32), acc2 = acc;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * Q4x8.BLOCK, bo2 = off2 + (long) b * Q4x8.BLOCK;
            FloatVector da = FloatVector.broadcast(F32, d[dOff + b]);
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dv = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, da);
            IntVector h2 = (IntVector) ShortVector.fromMemorySegment(S16, w2, bo2, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dv2 = ((FloatVector) h2.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, da);
            long wo = bo + 2L * R, wo2 = bo2 + 2L * R;
            int qb = qiOff + b * (QK / 2);
            ShortVector v, v2, t, t2, a;
            IntVector p, p2, isum = IntVector.zero(I32), isum2 = isum;
            v = ShortVector.fromMemorySegment(S16, w, wo + 0L * R, LE);
            v2 = ShortVector.fromMemorySegment(S16, w2, wo2 + 0L * R, LE);
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0);
            t = v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            t2 = v2.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0);
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p2 = (IntVector) t2.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum2 = isum2.lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.ASHR, C16)));
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0);
            t = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            t2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0);
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p2 = (IntVector) t2.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum2 = isum2.lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.ASHR, C16)));
            v = ShortVector.fromMemorySegment(S16, w, wo + 4L * R, LE);
            v2 = ShortVector.fromMemorySegment(S16, w2, wo2 + 4L * R, LE);
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0);
            t = v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            t2 = v2.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0);
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p2 = (IntVector) t2.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum2 = isum2.lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.ASHR, C16)));
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0);
            t = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            t2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0);
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p2 = (IntVector) t2.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum2 = isum2.lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.ASHR, C16)));
            v = ShortVector.fromMemorySegment(S16, w, wo + 8L * R, LE);
            v2 = ShortVector.fromMemorySegment(S16, w2, wo2 + 8L * R, LE);
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 8]).reinterpretShape(S16, 0);
            t = v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            t2 = v2.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 9]).reinterpretShape(S16, 0);
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p2 = (IntVector) t2.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum2 = isum2.lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.ASHR, C16)));
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 10]).reinterpretShape(S16, 0);
            t = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            t2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 11]).reinterpretShape(S16, 0);
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p2 = (IntVector) t2.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum2 = isum2.lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.ASHR, C16)));
            v = ShortVector.fromMemorySegment(S16, w, wo + 12L * R, LE);
            v2 = ShortVector.fromMemorySegment(S16, w2, wo2 + 12L * R, LE);
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 12]).reinterpretShape(S16, 0);
            t = v.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            t2 = v2.lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 13]).reinterpretShape(S16, 0);
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p2 = (IntVector) t2.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum2 = isum2.lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.ASHR, C16)));
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 14]).reinterpretShape(S16, 0);
            t = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            t2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C8).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a);
            a = (ShortVector) IntVector.broadcast(I32, qi[qb + 15]).reinterpretShape(S16, 0);
            p = (IntVector) t.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum = isum.lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)));
            p2 = (IntVector) t2.lanewise(VectorOperators.ADD, ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C12).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4).selectFrom(LUT).lanewise(VectorOperators.MUL, a)).reinterpretShape(I32, 0);
            isum2 = isum2.lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.ASHR, C16)));
            acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dv, acc);
            acc2 = ((FloatVector) isum2.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dv2, acc2);
        }
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        acc.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o);
        acc2.lanewise(VectorOperators.ADD, NEG0).intoArray(out2, o2);
    }
}

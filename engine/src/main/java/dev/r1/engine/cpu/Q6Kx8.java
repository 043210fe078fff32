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
 * Q6_K weights repacked at load time, {@code R} rows side by side as {@link Q4x8} does for Q4_0: the
 * output head of the Q4_0 distills is Q6_K (151936 rows for Qwen), and its row-major kernel, which
 * unpacks 6-bit values from three places and sums lanes per row, took ~40% of a decoding step.
 *
 * <p>Layout, per group of R rows and per super-block of 256 (2208 bytes for R = 8, where the R blocks
 * take 1680): the R scales {@code d} as f32; the 16 sub-block scales as {@code [sub-block][row]} int8;
 * the values {@code q - 32} as int8, {@code [pair][row][2]} for the 128 element pairs. The values are
 * stored a byte each rather than in 6 bits: one sign-extending load per pair instead of shifts and ors
 * from two arrays, for 31% more bytes on a matrix read once per token. The layout {@link #gemvGgml} reads (every
 * matrix but the head) puts each super-block's odd sub-blocks after the group's last super-block ({@link #SPLIT}).
 *
 * <p>Per row and super-block the integer sum is exact (16-bit lanes sum 8 products of at most 32·127
 * before widening), then {@code acc += (d_a·d_w)·isum} in super-block order: the same float operations
 * as {@link KQuants#dotQ6_K} and ggml's AVX2 {@code vec_dot_q6_K_q8_K}.
 */
public final class Q6Kx8 {
    private Q6Kx8() {}

    // the repacked kernels' own width (VectorWidths.REPACK): 512 bits on AVX-512, as Q4x8. Every vector call
    // below goes to a method the concrete vector class overrides (see Q4x8.gemv), so the 256-bit kernels'
    // type profiles cannot unbind these.
    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Integer> I32 = IntVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Float> F32 = FloatVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    /** Two values of each of the R rows: the bytes that widen into one {@link #S16} vector. */
    static final VectorSpecies<Byte> B8 = VectorSpecies.of(byte.class, VectorShape.forBitSize(VectorWidths.REPACK.vectorBitSize() / 2));
    /** The R sub-block scales of one sub-block: the bytes that widen into one {@link #I32} vector. */
    static final VectorSpecies<Byte> SCALES = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F32.length() * 8)));
    /** Rows per group: one per float lane of {@link VectorWidths#REPACK} (8 on AVX2, 16 on AVX-512). */
    public static final int R = F32.length();
    /**
     * Whether {@link #spread} spreads each activation pair over R lanes (a plain load per pair in the kernels)
     * or packs them (a broadcast per pair, the default at every width, as {@link Q4x8#SPREAD}: the head at 256
     * bits 31.6 against 29.4 GMAC/s; at 512 bits 64 bytes a pair, 560 KB for ffn_down's 8960 columns, fall out of
     * the caches); {@code -Dr1.cpu.q6kspread=true} spreads.
     */
    public static final boolean SPREAD = Boolean.getBoolean("r1.cpu.q6kspread");
    /**
     * Whether one token takes four groups a call ({@link #gemv4}, a quarter of each worker's share apart) rather than
     * two ({@link #gemv2}), at 512 bits; {@code -Dr1.cpu.q6k4=false} takes two.
     */
    public static final boolean FOUR = R == 16 && Boolean.parseBoolean(System.getProperty("r1.cpu.q6k4", "true"));
    /** Ints per activation pair in what {@link #spread} makes. */
    public static final int STRIDE = SPREAD ? R : 1;
    static final int QK = KQuants.QK;
    /** Bytes per group per super-block. */
    public static final int BLOCK = R * (4 + 16 + QK);
    private static final int SC = 4 * R, VALUES = SC + 16 * R;
    /**
     * {@link #gemvGgml}'s layout (unsigned Q6_K, and Q3_K) splits each group's values by {@link #ggmlHalf}'s passes:
     * per super-block its header ({@code d}, scales) and even sub-blocks ({@code SPLIT} bytes), then the odd
     * sub-blocks of every super-block ({@code HALF} bytes each). Each pass then reads one stream from memory (the
     * second reads the headers again from cache) and {@link #gemv2Ggml} two. With both halves in every block and one
     * group a call, {@code MatvecBench 1 Q6_K 107520 ffn_down} ran 12-14 GMAC/s from memory, 25 from L3; split, with
     * two groups a call, 13-18 and 30 (two threads from memory 29-34 against 24-30; alone, split was slower).
     */
    private static final int HALF = 8 * 16 * R, SPLIT = VALUES + HALF;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    public static boolean fits(int rows, int cols) {
        return rows % R == 0 && cols % QK == 0 && R * 8 == SCALES.vectorBitSize();
    }

    /**
     * Whether a matrix takes {@link #gemvGgml} (ggml's float lanes, bit-identical to llama.cpp) rather than
     * {@link #gemv} (one float sum per super-block, ~1.3-1.5x faster per call): every Q6_K matrix but the
     * output head, whose last-bit differences end in the logits (mean KL ~1e-13 at 1.5B) instead of feeding
     * 28 more layers (KL 0.004 on Q4_K_M, where attn_v / ffn_down are Q6_K).
     */
    public static boolean ggmlLanes(String name) {
        return !(name.equals("output.weight") || name.equals("token_embd.weight"));
    }

    /**
     * Repacks a Q6_K matrix into {@code arena}, groups of rows spread over {@code pool}: values {@code q - 32}
     * for {@link #gemv}, or {@code q} (0..63, the offset taken through the activations' sums, as ggml does) for
     * {@link #gemvGgml} when {@code unsigned}.
     */
    public static MemorySegment repack(MemorySegment src, int rows, int cols, Arena arena, Parallel pool, boolean unsigned) {
        int sbs = cols / QK, groups = rows / R;
        long rowBytes = (long) sbs * KQuants.Q6_K_BYTES;
        MemorySegment dst = arena.allocate((long) groups * sbs * BLOCK, 64);
        pool.forRange(groups, 1, (g0, g1) -> {
            // byte arrays, not per-byte segment accesses: repacking runs once per load
            byte[] in = new byte[KQuants.Q6_K_BYTES], out = new byte[BLOCK], q = new byte[QK];
            for (int g = g0; g < g1; g++) {
                for (int s = 0; s < sbs; s++) {
                    for (int r = 0; r < R; r++) {
                        long b = ((long) g * R + r) * rowBytes + (long) s * KQuants.Q6_K_BYTES;
                        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, b, in, 0, in.length);
                        int d = Float.floatToRawIntBits(Float.float16ToFloat((short) ((in[208] & 0xFF) | in[209] << 8)));
                        for (int k = 0; k < 4; k++) out[4 * r + k] = (byte) (d >> 8 * k);
                        for (int j = 0; j < 16; j++) out[SC + j * R + r] = in[192 + j];
                        values(in, q, unsigned ? 0 : 32);
                        for (int p = 0; p < QK / 2; p++) {
                            out[VALUES + 2 * (p * R + r)] = q[2 * p];
                            out[VALUES + 2 * (p * R + r) + 1] = q[2 * p + 1];
                        }
                    }
                    if (unsigned) QuantLayouts.storeSplit(out, VALUES, 32 * R, dst, (long) g * sbs * BLOCK, sbs, s); // sub-blocks 2i, 2i+1 a unit
                    else MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, ((long) g * sbs + s) * BLOCK, BLOCK);
                }
            }
        });
        return dst;
    }

    /** {@code -Dr1.cpu.q3krepack=false} keeps Q3_K row-major ({@link KQuants2#dotQ3_K}, the kernel this layout is checked against). */
    public static final boolean Q3K_ENABLED = Boolean.parseBoolean(System.getProperty("r1.cpu.q3krepack", "true"));

    /**
     * Repacks a Q3_K matrix into this layout, for {@link #gemvGgml} with sums of zero: its scales {@code s - 32}
     * (-32..31) and values {@code q - 4} (-4..3, signed) a byte each, {@code d} as f32. A Q3_K row is
     * {@code d · Σ_sub scale · Σ q·a} over 16 sub-blocks of 16, as Q6_K's is; ggml's AVX2 {@code
     * vec_dot_q3_K_q8_K} sums it in the same eight integer lanes (element e in lane {@code (e % 32) / 4}, its scale
     * multiplied in), exact, then {@code fma(d_a·d_w, lane, acc_k)} per super-block and {@code hsum_float_8}: the
     * operations {@link #gemvGgml} runs. Q3_K subtracts its offset 4 pair by pair in the lanes the products go to,
     * so signed values give the same integers (Q6_K subtracts 32 from other lanes: hence its unsigned values and
     * sums). A byte a value is 2.5x the 110 bytes of a row's block; the row-major kernel ran at 0.25x ggml's speed.
     */
    public static MemorySegment repackQ3K(MemorySegment src, int rows, int cols, Arena arena, Parallel pool) {
        int sbs = cols / QK, groups = rows / R, in = dev.r1.models.tensor.Q3_KType.TYPE_SIZE;
        long rowBytes = (long) sbs * in;
        MemorySegment dst = arena.allocate((long) groups * sbs * BLOCK, 64);
        pool.forRange(groups, 1, (g0, g1) -> {
            byte[] b = new byte[in], out = new byte[BLOCK], q = new byte[QK];
            MemorySegment bs = MemorySegment.ofArray(b);
            for (int g = g0; g < g1; g++) {
                for (int s = 0; s < sbs; s++) {
                    for (int r = 0; r < R; r++) {
                        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, ((long) g * R + r) * rowBytes + (long) s * in, b, 0, in);
                        int od = dev.r1.models.tensor.Q3_KType.OFF_D;
                        int d = Float.floatToRawIntBits(Float.float16ToFloat((short) ((b[od] & 0xFF) | b[od + 1] << 8)));
                        for (int k = 0; k < 4; k++) out[4 * r + k] = (byte) (d >> 8 * k);
                        for (int j = 0; j < 16; j++) {
                            out[SC + j * R + r] = (byte) (dev.r1.models.tensor.Q3_KType.scale(bs, dev.r1.models.tensor.Q3_KType.OFF_SCALES, j) - 32);
                        }
                        valuesQ3K(b, q);
                        for (int p = 0; p < QK / 2; p++) {
                            out[VALUES + 2 * (p * R + r)] = q[2 * p];
                            out[VALUES + 2 * (p * R + r) + 1] = q[2 * p + 1];
                        }
                    }
                    QuantLayouts.storeSplit(out, VALUES, 32 * R, dst, (long) g * sbs * BLOCK, sbs, s);
                }
            }
        });
        return dst;
    }

    /**
     * Repacks an IQ4_XS matrix into this layout (the one {@link #repackQ3K} fills), where IQ4_XS takes no 4-bit layout
     * ({@link IQ4XSx8#NIBBLES}: AVX2 machines, whose 16-level lookup costs more than a byte a value saves): the levels
     * {@code kvalues_iq4nl[q]} signed, and sub-block j's scale {@code ls - 32} as the scale of Q6_K's 16-value
     * sub-blocks 2j and 2j+1. ggml's AVX2 {@code vec_dot_iq4_xs_q8_K} puts elements {@code 16h + 4k .. 16h + 4k + 3} of every
     * sub-block in integer lane {@code 4h + k}, times its scale, exact, then {@code fma(d_w·d_a, lane, acc)} and
     * {@code hsum_float_8}: the lanes {@link #gemvGgml} sums sub-block J's pairs into (lane {@code 4·(J % 2) + m/2}), so
     * with sums of zero it runs IQ4_XS bit for bit, its two-stream form reading 1.7x the one-stream bytes kernel's
     * GMAC/s from memory on Zen 4 under AVX2 code. Null when a scale is infinite or NaN (the matrix then stays row-major,
     * which propagates it as llama.cpp does).
     */
    public static MemorySegment repackIQ4XS(MemorySegment src, int rows, int cols, Arena arena, Parallel pool) {
        int sbs = cols / QK, groups = rows / R, in = dev.r1.models.tensor.IQ4_XSType.TYPE_SIZE;
        long rowBytes = (long) sbs * in;
        MemorySegment dst = arena.allocate((long) groups * sbs * BLOCK, 64);
        boolean[] bad = new boolean[1];
        pool.forRange(groups, 1, (g0, g1) -> {
            byte[] b = new byte[in], out = new byte[BLOCK];
            for (int g = g0; g < g1; g++) {
                for (int s = 0; s < sbs; s++) {
                    for (int r = 0; r < R; r++) {
                        long o = ((long) g * R + r) * rowBytes + (long) s * in;
                        if (!IQ4XSx8.readBlock(src, o, b, out, r)) bad[0] = true; // d at out[4r..], as this layout keeps it
                        for (int j = 0; j < 8; j++) {
                            byte ls = (byte) (dev.r1.models.tensor.IQ4_XSType.scale(src, o, j) - 32);
                            out[SC + 2 * j * R + r] = ls;
                            out[SC + (2 * j + 1) * R + r] = ls;
                            for (int i = 0; i < 16; i++) {
                                int q = b[dev.r1.models.tensor.IQ4_XSType.OFF_QS + 16 * j + i] & 0xFF, e = 32 * j + i;
                                // element e of the row: pair e/2, its (e % 2)th byte
                                out[VALUES + 2 * ((e >> 1) * R + r) + (e & 1)] = (byte) dev.r1.models.tensor.IQ4_NLType.value(q & 0xF);
                                out[VALUES + 2 * (((e + 16) >> 1) * R + r) + (e & 1)] = (byte) dev.r1.models.tensor.IQ4_NLType.value(q >> 4);
                            }
                        }
                    }
                    QuantLayouts.storeSplit(out, VALUES, 32 * R, dst, (long) g * sbs * BLOCK, sbs, s);
                }
            }
        });
        return bad[0] ? null : dst;
    }

    /**
     * One group of the signed layout ({@link #repackIQ4XS}) · one token in llama.cpp's IQ panel order (8+ tokens,
     * {@link IQuants#dotPanel}): per row and super-block one exact integer sum of {@code scale·level·activation}, then
     * {@code acc = fma(d_w·d_a, sum, acc)}. {@code qi}: the token's Q8_K values as pairs ({@link Q4Kx8#pairs}).
     */
    public static void panel(MemorySegment w, long off, int sbs, int[] qi, int qiOff, float[] d, int dOff, float[] out, int o) {
        IntVector C16 = IntVector.broadcast(I32, 16);
        FloatVector l0 = FloatVector.zero(F32);
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * SPLIT;
            FloatVector dv = FloatVector.fromMemorySegment(F32, w, bo, LE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + s]));
            IntVector a0 = IntVector.zero(I32), a1 = a0, a2 = a0, a3 = a0;
            // sub-blocks of 16: the even ones after the header, the odd ones after the last super-block; a pass each
            for (int k = 0; k < 16; k++) {
                int j = k < 8 ? 2 * k : 2 * k - 15;
                long vo = (k < 8 ? bo + VALUES + 16L * R * k : off + (long) sbs * SPLIT + (long) s * HALF + 16L * R * (k - 8));
                int a = qiOff + s * (QK / 2) + 8 * j;
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * j, LE).convertShape(VectorOperators.B2I, I32, 0);
                IntVector v;
                v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a + 0]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a0 = v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a0);
                v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a + 2]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a1 = v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a1);
                v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a + 4]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a2 = v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a2);
                v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a + 6]).reinterpretShape(S16, 0)))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
                a3 = v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a3);
            }
            IntVector t = a0.lanewise(VectorOperators.ADD, a1).lanewise(VectorOperators.ADD, a2.lanewise(VectorOperators.ADD, a3));
            l0 = dv.lanewise(VectorOperators.FMA, (FloatVector) t.convertShape(VectorOperators.I2F, F32, 0), l0);
        }
        l0.lanewise(VectorOperators.ADD, FloatVector.broadcast(F32, -0.0f)).intoArray(out, o);
    }

    /** The 256 values {@code q - 4·(no high bit)} of a Q3_K block in element order (ggml's layout, as {@code Q3_KType}). */
    static void valuesQ3K(byte[] b, byte[] q) {
        int qs = dev.r1.models.tensor.Q3_KType.OFF_QS, hm = dev.r1.models.tensor.Q3_KType.OFF_HMASK;
        for (int sub = 0; sub < 16; sub++) {
            int half = sub / 8, k = (sub % 8) / 2, l0 = (sub % 2) * 16, bit = 4 * half + k;
            for (int l = 0; l < 16; l++) {
                int v = (b[qs + 32 * half + l0 + l] >>> (2 * k)) & 3;
                int h = (b[hm + l0 + l] >>> bit) & 1;
                q[16 * sub + l] = (byte) (v - (h != 0 ? 0 : 4));
            }
        }
    }

    /** The 256 values {@code q - offset} of a Q6_K block, in element order (ggml's layout). */
    static void values(byte[] in, byte[] q, int offset) {
        for (int h = 0; h < 2; h++) {
            int ql = 64 * h, qh = 128 + 32 * h;
            for (int l = 0; l < 32; l++) {
                int lo0 = in[ql + l] & 0xFF, lo1 = in[ql + 32 + l] & 0xFF, hi = in[qh + l] & 0xFF;
                int e = 128 * h + l;
                q[e] = (byte) (((lo0 & 0xF) | (hi & 3) << 4) - offset);
                q[e + 32] = (byte) (((lo1 & 0xF) | (hi >> 2 & 3) << 4) - offset);
                q[e + 64] = (byte) (((lo0 >> 4) | (hi >> 4 & 3) << 4) - offset);
                q[e + 96] = (byte) (((lo1 >> 4) | (hi >> 6 & 3) << 4) - offset);
            }
        }
    }

    /**
     * One token's Q8_K values, two per int (the pair one 32-bit broadcast gives every row), into {@code qv}:
     * each pair spread over R lanes when {@link #SPREAD}, else packed ({@link #STRIDE} ints per pair).
     */
    public static void spread(short[] q, int qOff, int cols, int[] qv) {
        if (!SPREAD) {
            Q4Kx8.pairs(q, qOff, cols, qv, 0);
            return;
        }
        for (int p = 0; p < cols / 2; p++) {
            IntVector.broadcast(I32, (q[qOff + 2 * p] & 0xFFFF) | (q[qOff + 2 * p + 1] << 16)).intoArray(qv, p * R);
        }
    }

    /** One group of R rows (at {@code off}) · one token ({@code qv} as {@link #spread}, {@code d} its Q8_K scales). */
    public static void gemv(MemorySegment w, long off, int sbs, int[] qv, float[] d, int dOff, float[] out, int o) {
        // pollution-proof (see Q4x8.gemv): lanewise(op, vector), convertShape, reinterpretShape; constants as locals
        IntVector C16 = IntVector.broadcast(I32, 16);
        FloatVector acc = FloatVector.zero(F32);
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * BLOCK;
            IntVector isum = IntVector.zero(I32);
            for (int j = 0; j < 16; j++) {
                long vo = bo + VALUES + 16L * R * j;
                int a = (s * (QK / 2) + 8 * j) * STRIDE;
                // eight pairs of a sub-block, unrolled: a loop here became pre/main/post loops with checks
                ShortVector p, u;
                p = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 0 * R) : IntVector.broadcast(I32, qv[a + 0])).reinterpretShape(S16, 0));
                u = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 1 * R) : IntVector.broadcast(I32, qv[a + 1])).reinterpretShape(S16, 0));
                p = p.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 2 * R) : IntVector.broadcast(I32, qv[a + 2])).reinterpretShape(S16, 0)));
                u = u.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 3 * R) : IntVector.broadcast(I32, qv[a + 3])).reinterpretShape(S16, 0)));
                p = p.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 4 * R) : IntVector.broadcast(I32, qv[a + 4])).reinterpretShape(S16, 0)));
                u = u.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 5 * R) : IntVector.broadcast(I32, qv[a + 5])).reinterpretShape(S16, 0)));
                p = p.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 6 * R) : IntVector.broadcast(I32, qv[a + 6])).reinterpretShape(S16, 0)));
                u = u.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 7 * R) : IntVector.broadcast(I32, qv[a + 7])).reinterpretShape(S16, 0)));
                IntVector v = ((IntVector) p.lanewise(VectorOperators.ADD, u).reinterpretShape(I32, 0));
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * j, LE).convertShape(VectorOperators.B2I, I32, 0);
                isum = v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                        .lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, isum);
            }
            FloatVector dw = FloatVector.fromMemorySegment(F32, w, bo, LE);
            acc = dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + s])).lanewise(VectorOperators.MUL, (FloatVector) isum.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.ADD, acc);
        }
        FloatVector.broadcast(F32, -0.0f).lanewise(VectorOperators.ADD, acc).intoArray(out, o);
    }

    /**
     * Two groups, {@code off} and {@code off2} (far apart), · one token, as {@link Q4x8#gemv2}: each
     * activation load serves both; per group {@link #gemv}'s operations in the same order.
     */
    public static void gemv2(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, int[] qv, float[] d, int dOff,
                             float[] out, int o, float[] out2, int o2) {
        // the pollution-proof form of Q4x8.gemv: only methods the concrete vector class overrides
        IntVector C16 = IntVector.broadcast(I32, 16);
        FloatVector acc = FloatVector.zero(F32), acc2 = acc;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * BLOCK, bo2 = off2 + (long) s * BLOCK;
            IntVector isum = IntVector.zero(I32), isum2 = isum;
            for (int j = 0; j < 16; j++) {
                long vo = bo + VALUES + 16L * R * j, vo2 = bo2 + VALUES + 16L * R * j;
                int a = (s * (QK / 2) + 8 * j) * STRIDE;
                ShortVector x, p, u, p2, u2;
                x = (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 0 * R) : IntVector.broadcast(I32, qv[a + 0])).reinterpretShape(S16, 0);
                p = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x);
                p2 = ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x);
                x = (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 1 * R) : IntVector.broadcast(I32, qv[a + 1])).reinterpretShape(S16, 0);
                u = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x);
                u2 = ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x);
                x = (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 2 * R) : IntVector.broadcast(I32, qv[a + 2])).reinterpretShape(S16, 0);
                p = p.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                x = (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 3 * R) : IntVector.broadcast(I32, qv[a + 3])).reinterpretShape(S16, 0);
                u = u.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                u2 = u2.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                x = (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 4 * R) : IntVector.broadcast(I32, qv[a + 4])).reinterpretShape(S16, 0);
                p = p.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                x = (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 5 * R) : IntVector.broadcast(I32, qv[a + 5])).reinterpretShape(S16, 0);
                u = u.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                u2 = u2.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                x = (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 6 * R) : IntVector.broadcast(I32, qv[a + 6])).reinterpretShape(S16, 0);
                p = p.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                x = (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 7 * R) : IntVector.broadcast(I32, qv[a + 7])).reinterpretShape(S16, 0);
                u = u.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                u2 = u2.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                IntVector v = ((IntVector) p.lanewise(VectorOperators.ADD, u).reinterpretShape(I32, 0)), v2 = ((IntVector) p2.lanewise(VectorOperators.ADD, u2).reinterpretShape(I32, 0));
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * j, LE).convertShape(VectorOperators.B2I, I32, 0);
                IntVector sc2 = (IntVector) ByteVector.fromMemorySegment(SCALES, w2, bo2 + SC + (long) R * j, LE).convertShape(VectorOperators.B2I, I32, 0);
                isum = v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                        .lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, isum);
                isum2 = v2.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                        .lanewise(VectorOperators.ADD, v2.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, isum2);
            }
            float da = d[dOff + s];
            acc = FloatVector.fromMemorySegment(F32, w, bo, LE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, da)).lanewise(VectorOperators.MUL, (FloatVector) isum.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.ADD, acc);
            acc2 = FloatVector.fromMemorySegment(F32, w2, bo2, LE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, da)).lanewise(VectorOperators.MUL, (FloatVector) isum2.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.ADD, acc2);
        }
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        NEG0.lanewise(VectorOperators.ADD, acc).intoArray(out, o);
        NEG0.lanewise(VectorOperators.ADD, acc2).intoArray(out2, o2);
    }

    /**
     * Four groups of {@link #gemv}, {@code stride} bytes apart (a quarter of a worker's share, as {@link Q8x8#gemvAmx4}),
     * · one token (activations packed, not {@link #SPREAD}): each activation broadcast serves the four, four weight
     * streams a thread; per group {@link #gemv}'s operations in the same order (the super-block's integer sums kept in
     * {@code sc}, 4·R ints, not carried round the loop as vectors), so the same floats. Group c's rows to {@code
     * out[o + c·ostride ..]}.
     */
    public static void gemv4(MemorySegment w, long off, long stride, int sbs, int[] qv, float[] d, int[] sc, float[] out, int o, int ostride) {
        IntVector C16 = IntVector.broadcast(I32, 16), Z = IntVector.zero(I32);
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        IntVector v;
        ShortVector p, u;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * BLOCK;
            Z.intoArray(sc, 0);
            Z.intoArray(sc, R);
            Z.intoArray(sc, 2 * R);
            Z.intoArray(sc, 3 * R);
            for (int j = 0; j < 16; j++) {
                long vo = bo + VALUES + 16L * R * j;
                int a = s * (QK / 2) + 8 * j;
                ShortVector x0 = (ShortVector) IntVector.broadcast(I32, qv[a + 0]).reinterpretShape(S16, 0);
                ShortVector x1 = (ShortVector) IntVector.broadcast(I32, qv[a + 1]).reinterpretShape(S16, 0);
                ShortVector x2 = (ShortVector) IntVector.broadcast(I32, qv[a + 2]).reinterpretShape(S16, 0);
                ShortVector x3 = (ShortVector) IntVector.broadcast(I32, qv[a + 3]).reinterpretShape(S16, 0);
                ShortVector x4 = (ShortVector) IntVector.broadcast(I32, qv[a + 4]).reinterpretShape(S16, 0);
                ShortVector x5 = (ShortVector) IntVector.broadcast(I32, qv[a + 5]).reinterpretShape(S16, 0);
                ShortVector x6 = (ShortVector) IntVector.broadcast(I32, qv[a + 6]).reinterpretShape(S16, 0);
                ShortVector x7 = (ShortVector) IntVector.broadcast(I32, qv[a + 7]).reinterpretShape(S16, 0);
                // the four groups in a loop: written out, C1 ran out of virtual registers on this method (as on Q8x8.gemvAmx4)
                for (int c = 0; c < 4; c++) {
                    long go = vo + c * stride;
                    p = ((ShortVector) ByteVector.fromMemorySegment(B8, w, go + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x0);
                    u = ((ShortVector) ByteVector.fromMemorySegment(B8, w, go + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x1);
                    p = p.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, go + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x2));
                    u = u.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, go + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x3));
                    p = p.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, go + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x4));
                    u = u.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, go + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x5));
                    p = p.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, go + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x6));
                    u = u.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, go + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x7));
                    v = (IntVector) p.lanewise(VectorOperators.ADD, u).reinterpretShape(I32, 0);
                    IntVector.fromArray(I32, sc, c * R).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16))
                            .lanewise(VectorOperators.MUL, (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + c * stride + SC + (long) R * j, LE).convertShape(VectorOperators.B2I, I32, 0))).intoArray(sc, c * R);
                }
            }
            FloatVector dA = FloatVector.broadcast(F32, d[s]);
            acc0 = FloatVector.fromMemorySegment(F32, w, bo, LE).lanewise(VectorOperators.MUL, dA).lanewise(VectorOperators.MUL, (FloatVector) IntVector.fromArray(I32, sc, 0 * R).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.ADD, acc0);
            acc1 = FloatVector.fromMemorySegment(F32, w, bo + stride, LE).lanewise(VectorOperators.MUL, dA).lanewise(VectorOperators.MUL, (FloatVector) IntVector.fromArray(I32, sc, 1 * R).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.ADD, acc1);
            acc2 = FloatVector.fromMemorySegment(F32, w, bo + 2 * stride, LE).lanewise(VectorOperators.MUL, dA).lanewise(VectorOperators.MUL, (FloatVector) IntVector.fromArray(I32, sc, 2 * R).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.ADD, acc2);
            acc3 = FloatVector.fromMemorySegment(F32, w, bo + 3 * stride, LE).lanewise(VectorOperators.MUL, dA).lanewise(VectorOperators.MUL, (FloatVector) IntVector.fromArray(I32, sc, 3 * R).convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.ADD, acc3);
        }
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        NEG0.lanewise(VectorOperators.ADD, acc0).intoArray(out, o);
        NEG0.lanewise(VectorOperators.ADD, acc1).intoArray(out, o + ostride);
        NEG0.lanewise(VectorOperators.ADD, acc2).intoArray(out, o + 2 * ostride);
        NEG0.lanewise(VectorOperators.ADD, acc3).intoArray(out, o + 3 * ostride);
    }

    /**
     * One group · two tokens (each with its own activations {@code qv0}/{@code qv1} as {@link #spread}, Q8_K
     * scales at {@code dOff0}/{@code dOff1}, outputs at {@code o0}/{@code o1}), for several sequences decoded in
     * one step and for prefill: each weight vector is loaded and widened once for both. Per token {@link #gemv}'s
     * operations in the same order, so each token's outputs are the same bit for bit.
     */
    public static void gemm2(MemorySegment w, long off, int sbs, int[] qv0, int[] qv1, float[] d, int dOff0, int dOff1,
                             float[] out, int o0, int o1) {
        // the pollution-proof form (see gemv)
        IntVector C16 = IntVector.broadcast(I32, 16);
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * BLOCK;
            IntVector isum0 = IntVector.zero(I32), isum1 = isum0;
            for (int j = 0; j < 16; j++) {
                long vo = bo + VALUES + 16L * R * j;
                int a = (s * (QK / 2) + 8 * j) * STRIDE;
                ShortVector x, p0, u0, p1, u1;
                x = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0));
                p0 = x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv0, a + 0 * R) : IntVector.broadcast(I32, qv0[a + 0])).reinterpretShape(S16, 0));
                p1 = x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv1, a + 0 * R) : IntVector.broadcast(I32, qv1[a + 0])).reinterpretShape(S16, 0));
                x = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0));
                u0 = x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv0, a + 1 * R) : IntVector.broadcast(I32, qv0[a + 1])).reinterpretShape(S16, 0));
                u1 = x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv1, a + 1 * R) : IntVector.broadcast(I32, qv1[a + 1])).reinterpretShape(S16, 0));
                x = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0));
                p0 = p0.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv0, a + 2 * R) : IntVector.broadcast(I32, qv0[a + 2])).reinterpretShape(S16, 0)));
                p1 = p1.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv1, a + 2 * R) : IntVector.broadcast(I32, qv1[a + 2])).reinterpretShape(S16, 0)));
                x = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0));
                u0 = u0.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv0, a + 3 * R) : IntVector.broadcast(I32, qv0[a + 3])).reinterpretShape(S16, 0)));
                u1 = u1.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv1, a + 3 * R) : IntVector.broadcast(I32, qv1[a + 3])).reinterpretShape(S16, 0)));
                x = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0));
                p0 = p0.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv0, a + 4 * R) : IntVector.broadcast(I32, qv0[a + 4])).reinterpretShape(S16, 0)));
                p1 = p1.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv1, a + 4 * R) : IntVector.broadcast(I32, qv1[a + 4])).reinterpretShape(S16, 0)));
                x = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0));
                u0 = u0.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv0, a + 5 * R) : IntVector.broadcast(I32, qv0[a + 5])).reinterpretShape(S16, 0)));
                u1 = u1.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv1, a + 5 * R) : IntVector.broadcast(I32, qv1[a + 5])).reinterpretShape(S16, 0)));
                x = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0));
                p0 = p0.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv0, a + 6 * R) : IntVector.broadcast(I32, qv0[a + 6])).reinterpretShape(S16, 0)));
                p1 = p1.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv1, a + 6 * R) : IntVector.broadcast(I32, qv1[a + 6])).reinterpretShape(S16, 0)));
                x = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0));
                u0 = u0.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv0, a + 7 * R) : IntVector.broadcast(I32, qv0[a + 7])).reinterpretShape(S16, 0)));
                u1 = u1.lanewise(VectorOperators.ADD, x.lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv1, a + 7 * R) : IntVector.broadcast(I32, qv1[a + 7])).reinterpretShape(S16, 0)));
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * j, LE).convertShape(VectorOperators.B2I, I32, 0);
                IntVector v0 = ((IntVector) p0.lanewise(VectorOperators.ADD, u0).reinterpretShape(I32, 0));
                isum0 = v0.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                        .lanewise(VectorOperators.ADD, v0.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, isum0);
                IntVector v1 = ((IntVector) p1.lanewise(VectorOperators.ADD, u1).reinterpretShape(I32, 0));
                isum1 = v1.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                        .lanewise(VectorOperators.ADD, v1.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, isum1);
            }
            FloatVector dw = FloatVector.fromMemorySegment(F32, w, bo, LE);
            acc0 = dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff0 + s])).lanewise(VectorOperators.MUL, (FloatVector) isum0.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.ADD, acc0);
            acc1 = dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff1 + s])).lanewise(VectorOperators.MUL, (FloatVector) isum1.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.ADD, acc1);
        }
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        NEG0.lanewise(VectorOperators.ADD, acc0).intoArray(out, o0);
        NEG0.lanewise(VectorOperators.ADD, acc1).intoArray(out, o1);
    }

    /**
     * One group of R rows (at {@code off}) · one token ({@code qv} as {@link #spread}, {@code d} its Q8_K scales,
     * {@code bs} its sums of 16), in the float operations of ggml's AVX2 {@code vec_dot_q6_K_q8_K}: per
     * super-block eight integer lanes, lane k the products of the elements with {@code (e % 32) / 4 == k} (q
     * unsigned, scaled per 16) minus {@code 32·(bsum·scale)} of the 16-groups 2k and 2k+1; each lane then
     * {@code acc_k = fma(d, lane, acc_k)} across super-blocks, and the eight added in {@code hsum_float_8}'s
     * order. Sub-block j feeds lanes {@code 4·(j % 2) + m/2} through its pairs m. {@code lanes}: 4·R floats of
     * scratch.
     */
    public static void gemvGgml(MemorySegment w, long off, int sbs, int[] qv, float[] d, int dOff, int[] bs, int bOff,
                                float[] lanes, float[] out, int o) {
        // the pollution-proof form (see gemv); ggml's eight float lanes, each across the R rows, come back in lanes
        // even sub-blocks feed lanes 0..3, odd ones 4..7, in two passes (a method each, handing its lanes over
        // in memory): written out in one method, the explicit forms made it 2 391 bytes of bytecode, and at 256 bits
        // it never left the interpreter. Each lane still adds its super-blocks in order, so the sums are the same.
        ggmlHalf(w, off, sbs, qv, d, dOff, bs, bOff, lanes, 0, out, o);
        // the second half also adds the eight lanes and stores the rows: C2 inlines this small method into the
        // large loops that call it, and vector operations left here were then boxed (Q5Kx8 measured ~1 MB a token)
        ggmlHalf(w, off, sbs, qv, d, dOff, bs, bOff, lanes, 1, out, o);
    }

    /**
     * {@link #gemvGgml}'s sub-blocks {@code h, h+2, ..} of every super-block, lanes {@code 4h .. 4h+3}: half 0
     * leaves them in {@code lanes}, half 1 adds all eight in {@code hsum_float_8}'s order into {@code out[o .. o+R)}.
     */
    private static void ggmlHalf(MemorySegment w, long off, int sbs, int[] qv, float[] d, int dOff, int[] bs, int bOff,
                                 float[] lanes, int h, float[] out, int o) {
        IntVector C16 = IntVector.broadcast(I32, 16), C5 = IntVector.broadcast(I32, 5);
        // the half's four float lanes stay in registers across super-blocks, stored once at the end: a store
        // inside the loop was sometimes left to the Vector API's Java fallback (~25 % of a Q4_K_M prefill)
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0;
        long vBase = h == 0 ? VALUES : (long) sbs * SPLIT, vStep = h == 0 ? SPLIT : HALF;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * SPLIT, vb = off + vBase + s * vStep;
            FloatVector dv = FloatVector.fromMemorySegment(F32, w, bo, LE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + s]));
            int b = bOff + 16 * s;
            IntVector a0 = IntVector.zero(I32), a1 = a0, a2 = a0, a3 = a0;
            for (int j = h; j < 16; j += 2) {
                long vo = vb + 16L * R * (j >> 1);
                int a = (s * (QK / 2) + 8 * j) * STRIDE;
                // written out, no helpers returning vectors: C2 boxes those when it does not inline them.
                // An int lane holds two 16-bit sums, each widened apart: IQ4_XS in this layout (repackIQ4XS) reaches
                // 2·127·127 in each, so their sum would not fit the high half (Q6_K's 2·63·127 would).
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * j, LE)
                        .convertShape(VectorOperators.B2I, I32, 0);
                IntVector v0 = ((IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 0 * R) : IntVector.broadcast(I32, qv[a + 0])).reinterpretShape(S16, 0))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 1 * R) : IntVector.broadcast(I32, qv[a + 1])).reinterpretShape(S16, 0))).reinterpretShape(I32, 0));
                IntVector v1 = ((IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 2 * R) : IntVector.broadcast(I32, qv[a + 2])).reinterpretShape(S16, 0))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 3 * R) : IntVector.broadcast(I32, qv[a + 3])).reinterpretShape(S16, 0))).reinterpretShape(I32, 0));
                IntVector v2 = ((IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 4 * R) : IntVector.broadcast(I32, qv[a + 4])).reinterpretShape(S16, 0))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 5 * R) : IntVector.broadcast(I32, qv[a + 5])).reinterpretShape(S16, 0))).reinterpretShape(I32, 0));
                IntVector v3 = ((IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 6 * R) : IntVector.broadcast(I32, qv[a + 6])).reinterpretShape(S16, 0))
                        .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, (ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, a + 7 * R) : IntVector.broadcast(I32, qv[a + 7])).reinterpretShape(S16, 0))).reinterpretShape(I32, 0));
                a0 = v0.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v0.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a0);
                a1 = v1.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v1.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a1);
                a2 = v2.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v2.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a2);
                a3 = v3.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, v3.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a3);
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
        int L = R; // floats
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        if (h == 0) {
            // stored through a last lanewise (+ -0.0 changes no value), which gives C2 the vectors' exact class
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
            NEG0.lanewise(VectorOperators.ADD, s0.lanewise(VectorOperators.ADD, s2).lanewise(VectorOperators.ADD, s1.lanewise(VectorOperators.ADD, s3)))
                    .intoArray(out, o);
        }
    }

    /**
     * Two groups, {@code (w, off)} into {@code out[o ..)} and {@code (w2, off2)} into {@code out2[o2 ..)}, · one token
     * ({@code qv} packed, {@link #STRIDE} 1): {@link #gemvGgml} for each, bit for bit, in the same two passes
     * ({@link #ggmlHalf2}). Two weight streams per thread, each activation broadcast serving both.
     * {@code lanes}: 8·R floats; {@code corr}: 8·R ints.
     */
    public static void gemv2Ggml(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, int[] qv, float[] d, int dOff,
                                 int[] bs, int bOff, float[] lanes, int[] corr, float[] out, int o, float[] out2, int o2) {
        ggmlHalf2(w, off, w2, off2, sbs, qv, d, dOff, bs, bOff, lanes, corr, 0, out, o, out2, o2);
        ggmlHalf2(w, off, w2, off2, sbs, qv, d, dOff, bs, bOff, lanes, corr, 1, out, o, out2, o2);
    }

    /** {@link #ggmlHalf} for two groups: per group its operations in its order; {@code lanes} as {@link Q5Kx8}'s half2. */
    private static void ggmlHalf2(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, int[] qv, float[] d, int dOff,
                                  int[] bs, int bOff, float[] lanes, int[] corr, int h, float[] out, int o, float[] out2, int o2) {
        IntVector C16 = IntVector.broadcast(I32, 16);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, m0 = l0, m1 = l0, m2 = l0, m3 = l0;
        long vBase = h == 0 ? VALUES : (long) sbs * SPLIT, vStep = h == 0 ? SPLIT : HALF;
        for (int s = 0; s < sbs; s++) {
            long bo = off + (long) s * SPLIT, bo2 = off2 + (long) s * SPLIT, vs = vBase + s * vStep;
            int b = bOff + 16 * s;
            // the unsigned values' offsets (as ggmlHalf), negated, start the sums (integer sums: any order, same bits).
            // Made apart (inline they took this method past what C1 compiles) but first, where C2 still inlines them
            // (native/c2-directives.json): its scratch stores then feed these loads in registers. Called instead, the
            // store and reload ran some processes' decoding 1.7x slower than others' (docs/BENCHMARKS.md session 33).
            offsets2(w, bo, w2, bo2, bs, b + 8 * h, SC + (long) R * 8 * h, corr);
            IntVector a0 = IntVector.fromArray(I32, corr, 0), a1 = IntVector.fromArray(I32, corr, R);
            IntVector a2 = IntVector.fromArray(I32, corr, 2 * R), a3 = IntVector.fromArray(I32, corr, 3 * R);
            IntVector b0 = IntVector.fromArray(I32, corr, 4 * R), b1 = IntVector.fromArray(I32, corr, 5 * R);
            IntVector b2 = IntVector.fromArray(I32, corr, 6 * R), b3 = IntVector.fromArray(I32, corr, 7 * R);
            for (int j = h; j < 16; j += 2) {
                long vo = off + vs + 16L * R * (j >> 1), vo2 = off2 + vs + 16L * R * (j >> 1);
                int a = s * (QK / 2) + 8 * j;
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + SC + (long) R * j, LE).convertShape(VectorOperators.B2I, I32, 0);
                IntVector sc2 = (IntVector) ByteVector.fromMemorySegment(SCALES, w2, bo2 + SC + (long) R * j, LE).convertShape(VectorOperators.B2I, I32, 0);
                ShortVector x, p, p2;
                IntVector t;
                x = (ShortVector) IntVector.broadcast(I32, qv[a + 0]).reinterpretShape(S16, 0);
                p = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x);
                p2 = ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x);
                x = (ShortVector) IntVector.broadcast(I32, qv[a + 1]).reinterpretShape(S16, 0);
                p = p.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                t = (IntVector) p.reinterpretShape(I32, 0);
                a0 = t.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a0);
                t = (IntVector) p2.reinterpretShape(I32, 0);
                b0 = t.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, b0);
                x = (ShortVector) IntVector.broadcast(I32, qv[a + 2]).reinterpretShape(S16, 0);
                p = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x);
                p2 = ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x);
                x = (ShortVector) IntVector.broadcast(I32, qv[a + 3]).reinterpretShape(S16, 0);
                p = p.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                t = (IntVector) p.reinterpretShape(I32, 0);
                a1 = t.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a1);
                t = (IntVector) p2.reinterpretShape(I32, 0);
                b1 = t.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, b1);
                x = (ShortVector) IntVector.broadcast(I32, qv[a + 4]).reinterpretShape(S16, 0);
                p = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x);
                p2 = ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x);
                x = (ShortVector) IntVector.broadcast(I32, qv[a + 5]).reinterpretShape(S16, 0);
                p = p.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                t = (IntVector) p.reinterpretShape(I32, 0);
                a2 = t.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a2);
                t = (IntVector) p2.reinterpretShape(I32, 0);
                b2 = t.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, b2);
                x = (ShortVector) IntVector.broadcast(I32, qv[a + 6]).reinterpretShape(S16, 0);
                p = ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x);
                p2 = ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x);
                x = (ShortVector) IntVector.broadcast(I32, qv[a + 7]).reinterpretShape(S16, 0);
                p = p.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                p2 = p2.lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w2, vo2 + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, x));
                t = (IntVector) p.reinterpretShape(I32, 0);
                a3 = t.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, a3);
                t = (IntVector) p2.reinterpretShape(I32, 0);
                b3 = t.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16).lanewise(VectorOperators.ADD, t.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, b3);
            }
            FloatVector da = FloatVector.broadcast(F32, d[dOff + s]);
            FloatVector dv = FloatVector.fromMemorySegment(F32, w, bo, LE).lanewise(VectorOperators.MUL, da);
            l0 = dv.lanewise(VectorOperators.FMA, (FloatVector) a0.convertShape(VectorOperators.I2F, F32, 0), l0);
            l1 = dv.lanewise(VectorOperators.FMA, (FloatVector) a1.convertShape(VectorOperators.I2F, F32, 0), l1);
            l2 = dv.lanewise(VectorOperators.FMA, (FloatVector) a2.convertShape(VectorOperators.I2F, F32, 0), l2);
            l3 = dv.lanewise(VectorOperators.FMA, (FloatVector) a3.convertShape(VectorOperators.I2F, F32, 0), l3);
            dv = FloatVector.fromMemorySegment(F32, w2, bo2, LE).lanewise(VectorOperators.MUL, da);
            m0 = dv.lanewise(VectorOperators.FMA, (FloatVector) b0.convertShape(VectorOperators.I2F, F32, 0), m0);
            m1 = dv.lanewise(VectorOperators.FMA, (FloatVector) b1.convertShape(VectorOperators.I2F, F32, 0), m1);
            m2 = dv.lanewise(VectorOperators.FMA, (FloatVector) b2.convertShape(VectorOperators.I2F, F32, 0), m2);
            m3 = dv.lanewise(VectorOperators.FMA, (FloatVector) b3.convertShape(VectorOperators.I2F, F32, 0), m3);
        }
        int L = R, G = 4 * L; // floats
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

    /**
     * {@link #ggmlHalf2}'s offsets of one super-block, negated: {@code -32·(bsum·scale)} (the factor on the sums: same
     * bits as negating after the shift) of the 16-groups {@code 2k, 2k+1} from
     * {@code g} (scales from {@code so}) for lanes k = 0..3 of the group at {@code bo}, then of the one at {@code bo2}.
     */
    static void offsets2(MemorySegment w, long bo, MemorySegment w2, long bo2, int[] bs, int g, long so, int[] corr) {
        ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + so + (long) R * 0, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 0]))
                .lanewise(VectorOperators.ADD, ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + so + (long) R * 1, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 1]))).intoArray(corr, 0 * R);
        ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + so + (long) R * 2, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 2]))
                .lanewise(VectorOperators.ADD, ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + so + (long) R * 3, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 3]))).intoArray(corr, 1 * R);
        ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + so + (long) R * 4, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 4]))
                .lanewise(VectorOperators.ADD, ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + so + (long) R * 5, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 5]))).intoArray(corr, 2 * R);
        ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + so + (long) R * 6, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 6]))
                .lanewise(VectorOperators.ADD, ((IntVector) ByteVector.fromMemorySegment(SCALES, w, bo + so + (long) R * 7, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 7]))).intoArray(corr, 3 * R);
        ((IntVector) ByteVector.fromMemorySegment(SCALES, w2, bo2 + so + (long) R * 0, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 0]))
                .lanewise(VectorOperators.ADD, ((IntVector) ByteVector.fromMemorySegment(SCALES, w2, bo2 + so + (long) R * 1, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 1]))).intoArray(corr, 4 * R);
        ((IntVector) ByteVector.fromMemorySegment(SCALES, w2, bo2 + so + (long) R * 2, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 2]))
                .lanewise(VectorOperators.ADD, ((IntVector) ByteVector.fromMemorySegment(SCALES, w2, bo2 + so + (long) R * 3, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 3]))).intoArray(corr, 5 * R);
        ((IntVector) ByteVector.fromMemorySegment(SCALES, w2, bo2 + so + (long) R * 4, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 4]))
                .lanewise(VectorOperators.ADD, ((IntVector) ByteVector.fromMemorySegment(SCALES, w2, bo2 + so + (long) R * 5, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 5]))).intoArray(corr, 6 * R);
        ((IntVector) ByteVector.fromMemorySegment(SCALES, w2, bo2 + so + (long) R * 6, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 6]))
                .lanewise(VectorOperators.ADD, ((IntVector) ByteVector.fromMemorySegment(SCALES, w2, bo2 + so + (long) R * 7, LE).convertShape(VectorOperators.B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, -32 * bs[g + 7]))).intoArray(corr, 7 * R);
    }
}

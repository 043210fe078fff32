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
 * Q4_K weights repacked at load time, {@code R} rows side by side as {@link Q4x8} does for Q4_0 ({@code R} =
 * float lanes of {@link VectorWidths#REPACK}: 8 on AVX2, 16 on AVX-512). Q4_K is the bulk of a Q4_K_M file,
 * the quantization most people download; read row by row it decoded at ~0.3× llama.cpp's speed, which
 * repacks it the same way ({@code block_q4_Kx8}) on AVX2.
 *
 * <p>Layout, per group of R rows and per super-block of 256 (148·R bytes, where the R blocks take
 * 144·R): the R f16 {@code d}, the R f16 {@code dmin}; the 6-bit sub-block scales as bytes
 * {@code [sub-block][row]}, then the mins the same way; then per sub-block of 32 values the nibbles in
 * {@link Q4x8}'s slice layout (16-bit lanes {@code 2r}, {@code 2r+1} hold row {@code r}'s element pairs,
 * four nibbles each), so a shift and a mask give an element pair of every row whose activations are one
 * 32-bit value. Nibbles are unsigned (0..15): a 16-bit lane sums 16 products of at most 15·128.
 *
 * <p>Per row the integer sums are exact; the float operations are those of ggml's repacked kernels, in
 * their order: {@code acc = fma((float) Σ scale·Σq·a, dw·da, acc)} and {@code accm = fma((float) Σ
 * min·bsum, dmin·da, accm)}, result {@code acc - accm}. Each row is one lane, so R changes none of them.
 * ggml's {@code gemv} (one token) folds a whole super-block into each fma ({@link #gemv}, {@link #gemm2});
 * its {@code gemm} (tokens in fours) folds two sub-blocks ({@link #gemm2Fine}), so each token gets the
 * order llama.cpp would give it. The two-group decoding kernel {@link #gemv2} calls {@link #mins} per
 * super-block, and the two-token ones leave the mins to {@link #subtractMins}: written out inside, each came
 * out too large for C1 to compile.
 *
 * <p>The kernels are written in {@link Q4x8#gemv}'s pollution-proof form (only methods the concrete vector
 * class overrides, constants as locals, outputs stored into arrays, see {@link Q4x8}): at 512 bits they run beside
 * the 256-bit kernels, whose shapes would otherwise unbind the shared methods' calls and box every vector.
 */
public final class Q4Kx8 {
    private Q4Kx8() {}

    // their own width, as Q4x8's (VectorWidths.REPACK): the other K-quant kernels stay at 256 bits
    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Integer> I32 = IntVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final VectorSpecies<Float> F32 = FloatVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    /**
     * Bytes holding the R scales (or mins) of one sub-block, widened by {@code convertShape(.., 0)} into one
     * {@link #I32} vector: R bytes, or 8 where R = 4 (no 32-bit shape; the first four are taken).
     */
    static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F32.length() * 8)));
    // The R f16 d (and dmin) are read as the first half of one S16 load, as Q4x8 reads its scales: a
    // half-width short vector would be another shape through the shared profiles.
    /** Rows per group: one per float lane. */
    public static final int R = F32.length();
    static final int QK = KQuants.QK;
    /**
     * Whether one token's activation pairs are spread over R lanes each for {@link #gemv}/{@link #gemv2}
     * (a plain load per pair, what AVX2 machines ran until session 22) or broadcast from the packed pairs
     * ({@link #pairs}, the default at every width, as {@link Q4x8#SPREAD}: at 256 bits 47.6 against 37.0 GMAC/s,
     * {@code MatvecBench 2 Q4_K 53760} under {@code -XX:UseAVX=2}); {@code -Dr1.cpu.q4kspread=true} spreads.
     */
    public static final boolean SPREAD = Boolean.getBoolean("r1.cpu.q4kspread");
    /**
     * Whether {@link #gemv2} runs nested loops (sub-blocks inside super-blocks, the fma after the inner loop)
     * or one loop over all sub-blocks with the fma under an if. At 512 bits, beside the 256-bit kernels, the
     * vectors merged under the if lost their exact class and were boxed; at 256 bits (AVX2: one shape in the
     * process) the single loop was faster. {@code -Dr1.cpu.q4knested} overrides.
     */
    static final boolean NESTED = Boolean.parseBoolean(System.getProperty("r1.cpu.q4knested", String.valueOf(R >= 16)));
    /**
     * Whether the tokens a prompt gives ggml's gemm grain go four at a time ({@link #gemm4Fine}) rather than in pairs: by
     * default where the vectors are 512 bits (32 registers hold the four tokens' sums). {@code -Dr1.cpu.q4kgemm4}.
     */
    public static final boolean GEMM4 = Boolean.parseBoolean(System.getProperty("r1.cpu.q4kgemm4", String.valueOf(R >= 16)));
    /** ggml's grain for one token (a super-block per fma) and for tokens taken in fours (two sub-blocks). */
    public static final int PER_GEMV = 8, PER_GEMM = 2;
    private static final int DM = 2 * R, SC = 4 * R, MN = 12 * R, VALUES = 20 * R;
    /** Bytes per group per super-block. */
    public static final int BLOCK = VALUES + 8 * 16 * R;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Whether a Q4_K matrix of this shape can be repacked (whole groups of R rows). */
    public static boolean fits(int rows, int cols) {
        return rows % R == 0 && cols % QK == 0 && R >= 4 && S16.length() == 2 * R && BYTES.length() >= R;
    }

    /**
     * Repacks a Q4_K matrix into {@code arena}, groups of rows spread over {@code pool}; null when a
     * {@code d} or {@code dmin} is infinite or NaN (the kernels' f16 conversion handles finite values only;
     * such a matrix keeps the row-major kernel).
     */
    public static MemorySegment repack(MemorySegment src, int rows, int cols, Arena arena, Parallel pool) {
        int sbs = cols / QK, groups = rows / R;
        long rowBytes = (long) sbs * KQuants.Q4_K_BYTES;
        MemorySegment dst = arena.allocate((long) groups * sbs * BLOCK, 64);
        boolean[] bad = new boolean[1];
        pool.forRange(groups, 1, (g0, g1) -> {
            // byte arrays, not per-byte segment accesses: repacking runs once per load
            byte[] in = new byte[KQuants.Q4_K_BYTES], out = new byte[BLOCK];
            int[] q = new int[32];
            for (int g = g0; g < g1; g++) {
                for (int s = 0; s < sbs; s++) {
                    for (int r = 0; r < R; r++) {
                        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, ((long) g * R + r) * rowBytes + (long) s * KQuants.Q4_K_BYTES,
                                in, 0, in.length);
                        if ((in[1] & 0x7c) == 0x7c || (in[3] & 0x7c) == 0x7c) bad[0] = true;
                        out[2 * r] = in[0];
                        out[2 * r + 1] = in[1];
                        out[DM + 2 * r] = in[2];
                        out[DM + 2 * r + 1] = in[3];
                        int b0 = le32(in, 4), b4 = le32(in, 8), b8 = le32(in, 12);
                        for (int j = 0; j < 8; j++) {
                            out[SC + j * R + r] = (byte) KQuants.subScale(b0, b8, j);
                            out[MN + j * R + r] = (byte) KQuants.subMin(b0, b4, b8, j);
                            // sub-block j: bytes 32·(j/2) .. +32 of qs, low nibbles for even j, high for odd
                            for (int l = 0; l < 32; l++) q[l] = (in[16 + 32 * (j / 2) + l] >> (4 * (j & 1))) & 0xF;
                            for (int sl = 0; sl < 4; sl++) {
                                int even = 0, odd = 0;
                                for (int k = 0; k < 4; k++) {
                                    even |= q[2 * (4 * sl + k)] << (4 * k);
                                    odd |= q[2 * (4 * sl + k) + 1] << (4 * k);
                                }
                                int lane = VALUES + 16 * R * j + 4 * R * sl + 4 * r;
                                out[lane] = (byte) even;
                                out[lane + 1] = (byte) (even >> 8);
                                out[lane + 2] = (byte) odd;
                                out[lane + 3] = (byte) (odd >> 8);
                            }
                        }
                    }
                    MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, ((long) g * sbs + s) * BLOCK, BLOCK);
                }
            }
        });
        return bad[0] ? null : dst;
    }

    private static int le32(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
    }

    /** Q8_K values {@code q[off .. off+len)} as pairs, two per int (the 32-bit broadcast each gives all rows). */
    public static void pairs(short[] q, int off, int len, int[] qi, int qiOff) {
        // scalar: a vector store into an int[] segment here put a second array type into the profile of the
        // kernels' heap-segment stores (their float[] outputs), and C2 then failed to intrinsify those
        for (int i = 0; i < len; i += 2) qi[qiOff + i / 2] = (q[off + i] & 0xFFFF) | q[off + i + 1] << 16;
    }

    /**
     * One token's Q8_K values, two per int, each pair spread over R lanes, for {@link #gemv}/{@link #gemv2}
     * when {@link #SPREAD}: at 256 bits the form (and the code) AVX2 machines always ran.
     */
    public static void spread(short[] q, int qOff, int cols, int[] qv) {
        for (int p = 0; p < cols / 2; p++) {
            IntVector.broadcast(I32, (q[qOff + 2 * p] & 0xFFFF) | (q[qOff + 2 * p + 1] << 16)).intoArray(qv, p * R);
        }
    }

    /**
     * One group of R rows (at {@code off}) · one token, ggml's gemv order, into {@code out[o .. o+R)}:
     * {@code qv} the token's Q8_K values as {@link #spread} (from {@code qOff} = 0) or {@link #pairs}
     * (from {@code qOff}) as {@link #SPREAD} says, {@code d} its scales, {@code bs} its sums of 16.
     */
    public static void gemv(MemorySegment w, long off, int sbs, int[] qv, int qOff, float[] d, int dOff, int[] bs, int bOff,
                            float[] out, int o) {
        // the pollution-proof form of Q4x8.gemv (see there): constants as locals, only overridden methods
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F);
        IntVector C4 = IntVector.broadcast(I32, 4), C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f), NEG0 = FloatVector.broadcast(F32, -0.0f);
        FloatVector acc = FloatVector.zero(F32), accm = acc;
        // Nested loops, the fma unconditional in the outer one: as one loop over all sub-blocks with the fma
        // under an if, the vectors merged there lost their exact class beside the 256-bit kernels, and C2 boxed
        // them (ProfilePollutionCheck "pollute-engine": 3.6 KB a call at 512 bits).
        for (int sb = 0; sb < sbs; sb++) {
            long bo = off + (long) sb * BLOCK;
            IntVector isum = IntVector.zero(I32), imin = isum;
            for (int j = 0; j < 8; j++) {
                int t = 8 * sb + j;
                long vo = bo + VALUES + 16L * R * j;
                int qb = qOff + 16 * t * (SPREAD ? R : 1);
                // sixteen element pairs, unrolled: as a loop C2 built pre/main/post loops with checks
                ShortVector s = ShortVector.zero(S16), u = s, v, n;
                v = ShortVector.fromMemorySegment(S16, w, vo + 0L * R, LE);
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
                v = ShortVector.fromMemorySegment(S16, w, vo + 4L * R, LE);
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
                v = ShortVector.fromMemorySegment(S16, w, vo + 8L * R, LE);
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
                v = ShortVector.fromMemorySegment(S16, w, vo + 12L * R, LE);
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
                IntVector p = (IntVector) s.lanewise(VectorOperators.ADD, u).reinterpretShape(I32, 0);
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + SC + (long) R * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0);
                IntVector mn = (IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + MN + (long) R * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0);
                int k = bOff + 2 * t;
                isum = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                        .lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, isum);
                imin = mn.lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[k] + bs[k + 1])).lanewise(VectorOperators.ADD, imin);
            }
            { // ggml's gemv grain: one fma per super-block
                // F16Math.widen written out: in these large methods C2 may refuse to inline it, and then boxes
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
                FloatVector dw = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE);
                h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + DM, LE).convertShape(VectorOperators.S2I, I32, 0);
                FloatVector dm = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE);
                FloatVector da = FloatVector.broadcast(F32, d[dOff + sb]);
                acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, da), acc);
                accm = ((FloatVector) imin.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dm.lanewise(VectorOperators.MUL, da), accm);
            }
        }
        acc.lanewise(VectorOperators.SUB, accm).intoArray(out, o);
    }

    /**
     * Two groups of R rows, {@code (w, off)} and {@code (w2, off2)}, far apart, · one token, as {@link Q4x8#gemv2}:
     * each activation load serves both, and two distant weight streams keep more reads in flight. Per group
     * {@link #gemv}'s operations in the same order, so the results are bit for bit {@link #gemv}'s. In the
     * nested form (512 bits) the mins' part goes through {@link #mins} once per super-block ({@code bp}: the
     * token's sums of 32 as floats, {@link #minSums}), a call so that C1, which does not inline it, stays under
     * its size limit. The 256-bit form leaves it to {@link #subtractMins} ({@code bs}) after the loop: there
     * {@link #mins}' byte and float shapes, new to the Vector API's shared methods beside the other 256-bit
     * kernels, left a whole Q4_K_M decode 8-10% slower under {@code -XX:UseAVX=2} (and twice as slow with
     * the calls after the loop), though alone in {@code MatvecBench} it was not. After the loop both groups' mins go
     * through {@link #subtractMinsPair} (one pass, each token sum broadcast once for both): 1.10x the kernel's speed
     * against two {@link #subtractMins} calls (one JVM alternating both, 12 rounds, quartiles 1.09-1.12, session 31).
     */
    public static void gemv2(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, int[] qv, int qOff, float[] d, int dOff,
                             int[] bs, int bOff, float[] bp, int bpOff, float[] out, int o, float[] out2, int o2) {
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F);
        IntVector C4 = IntVector.broadcast(I32, 4), C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f), NEG0 = FloatVector.broadcast(F32, -0.0f);
        FloatVector acc = FloatVector.zero(F32), acc2 = acc;
        IntVector isum = IntVector.zero(I32), isum2 = isum;
        // NESTED (512 bits): nested loops, as gemv. Otherwise one loop over all sub-blocks (the outer loop runs
        // once), the fma under an if: at 256 bits that decoded ~15% faster than nested loops (MatvecBench, Zen 4).
        for (int sb0 = 0; sb0 < sbs; sb0 += NESTED ? 1 : sbs) {
            for (int t = 8 * sb0, te = NESTED ? t + 8 : 8 * sbs; t < te; t++) {
            int sb = t >>> 3, j = t & 7;
            long bo = off + (long) sb * BLOCK, bo2 = off2 + (long) sb * BLOCK;
            long vo = bo + VALUES + 16L * R * j, vo2 = bo2 + VALUES + 16L * R * j;
            int qb = qOff + 16 * t * (SPREAD ? R : 1);
            ShortVector s = ShortVector.zero(S16), u = s, s2 = s, u2 = s, v, v2, n, x;
            v = ShortVector.fromMemorySegment(S16, w, vo + 0L * R, LE);
            v2 = ShortVector.fromMemorySegment(S16, w2, vo2 + 0L * R, LE);
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 0 * R) : IntVector.broadcast(I32, qv[qb + 0])).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            n = v2.lanewise(VectorOperators.AND, LOW4);
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 1 * R) : IntVector.broadcast(I32, qv[qb + 1])).reinterpretShape(S16, 0));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v2.lanewise(VectorOperators.AND, LOW4);
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 2 * R) : IntVector.broadcast(I32, qv[qb + 2])).reinterpretShape(S16, 0));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v2.lanewise(VectorOperators.AND, LOW4);
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 3 * R) : IntVector.broadcast(I32, qv[qb + 3])).reinterpretShape(S16, 0));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            n = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            v = ShortVector.fromMemorySegment(S16, w, vo + 4L * R, LE);
            v2 = ShortVector.fromMemorySegment(S16, w2, vo2 + 4L * R, LE);
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 4 * R) : IntVector.broadcast(I32, qv[qb + 4])).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            n = v2.lanewise(VectorOperators.AND, LOW4);
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 5 * R) : IntVector.broadcast(I32, qv[qb + 5])).reinterpretShape(S16, 0));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v2.lanewise(VectorOperators.AND, LOW4);
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 6 * R) : IntVector.broadcast(I32, qv[qb + 6])).reinterpretShape(S16, 0));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v2.lanewise(VectorOperators.AND, LOW4);
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 7 * R) : IntVector.broadcast(I32, qv[qb + 7])).reinterpretShape(S16, 0));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            n = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            v = ShortVector.fromMemorySegment(S16, w, vo + 8L * R, LE);
            v2 = ShortVector.fromMemorySegment(S16, w2, vo2 + 8L * R, LE);
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 8 * R) : IntVector.broadcast(I32, qv[qb + 8])).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            n = v2.lanewise(VectorOperators.AND, LOW4);
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 9 * R) : IntVector.broadcast(I32, qv[qb + 9])).reinterpretShape(S16, 0));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v2.lanewise(VectorOperators.AND, LOW4);
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 10 * R) : IntVector.broadcast(I32, qv[qb + 10])).reinterpretShape(S16, 0));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v2.lanewise(VectorOperators.AND, LOW4);
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 11 * R) : IntVector.broadcast(I32, qv[qb + 11])).reinterpretShape(S16, 0));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            n = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            v = ShortVector.fromMemorySegment(S16, w, vo + 12L * R, LE);
            v2 = ShortVector.fromMemorySegment(S16, w2, vo2 + 12L * R, LE);
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 12 * R) : IntVector.broadcast(I32, qv[qb + 12])).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            n = v2.lanewise(VectorOperators.AND, LOW4);
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 13 * R) : IntVector.broadcast(I32, qv[qb + 13])).reinterpretShape(S16, 0));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v2.lanewise(VectorOperators.AND, LOW4);
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 14 * R) : IntVector.broadcast(I32, qv[qb + 14])).reinterpretShape(S16, 0));
            v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v.lanewise(VectorOperators.AND, LOW4);
            s = s.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            v2 = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
            n = v2.lanewise(VectorOperators.AND, LOW4);
            s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            x = ((ShortVector) (SPREAD ? IntVector.fromArray(I32, qv, qb + 15 * R) : IntVector.broadcast(I32, qv[qb + 15])).reinterpretShape(S16, 0));
            n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u = u.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            n = ((ShortVector) ((IntVector) v2.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
            u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, x));
            IntVector p = (IntVector) s.lanewise(VectorOperators.ADD, u).reinterpretShape(I32, 0), p2 = (IntVector) s2.lanewise(VectorOperators.ADD, u2).reinterpretShape(I32, 0);
            IntVector sc = (IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + SC + (long) R * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0);
            IntVector sc2 = (IntVector) ByteVector.fromMemorySegment(BYTES, w2, bo2 + SC + (long) R * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0);
            isum = p.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                    .lanewise(VectorOperators.ADD, p.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, isum);
            isum2 = p2.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                    .lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc2).lanewise(VectorOperators.ADD, isum2);
            if (!NESTED && j == 7) { // ggml's gemv grain: one fma per super-block (the mins after the loop)
                FloatVector da = FloatVector.broadcast(F32, d[dOff + sb]);
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
                FloatVector dw = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE);
                acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, da), acc);
                h = (IntVector) ShortVector.fromMemorySegment(S16, w2, bo2, LE).convertShape(VectorOperators.S2I, I32, 0);
                dw = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE);
                acc2 = ((FloatVector) isum2.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, da), acc2);
                isum = IntVector.zero(I32);
                isum2 = isum;
            }
            }
            if (NESTED) { // the same after the sub-blocks' loop
                int sb = sb0;
                long bo = off + (long) sb * BLOCK, bo2 = off2 + (long) sb * BLOCK;
                FloatVector da = FloatVector.broadcast(F32, d[dOff + sb]);
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
                FloatVector dw = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE);
                acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, da), acc);
                h = (IntVector) ShortVector.fromMemorySegment(S16, w2, bo2, LE).convertShape(VectorOperators.S2I, I32, 0);
                dw = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE);
                acc2 = ((FloatVector) isum2.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, da), acc2);
                isum = IntVector.zero(I32);
                isum2 = isum;
                mins(w, bo, d[dOff + sb], bp, bpOff + 8 * sb, sb == 0, out, o);
                mins(w2, bo2, d[dOff + sb], bp, bpOff + 8 * sb, sb == 0, out2, o2);
            }
        }
        if (NESTED) { // out holds the mins' accumulator (mins): acc - accm, as gemv ends
            acc.lanewise(VectorOperators.SUB, FloatVector.fromArray(F32, out, o)).intoArray(out, o);
            acc2.lanewise(VectorOperators.SUB, FloatVector.fromArray(F32, out2, o2)).intoArray(out2, o2);
        } else {
            acc.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o);
            acc2.lanewise(VectorOperators.ADD, NEG0).intoArray(out2, o2);
            subtractMinsPair(w, off, w2, off2, sbs, d, dOff, bp, bpOff, out, o, out2, o2);
        }
    }

    /**
     * {@link #subtractMins} at ggml's gemv grain for {@link #gemv2}'s two groups at once: each token sum of 32
     * broadcast once for both, and {@code Σ min·bsum} summed in floats as {@link #mins} does (exact: integers below
     * 2^24), so the same values as two {@link #subtractMins} calls.
     */
    static void subtractMinsPair(MemorySegment w, long off, MemorySegment w2, long off2, int sbs, float[] d, int dOff,
                                 float[] bp, int bpOff, float[] out, int o, float[] out2, int o2) {
        IntVector C13 = IntVector.broadcast(I32, 13), HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector accm = FloatVector.zero(F32), accm2 = accm;
        for (int sb = 0; sb < sbs; sb++) {
            long bo = off + (long) sb * BLOCK, bo2 = off2 + (long) sb * BLOCK;
            FloatVector s = FloatVector.zero(F32), s2 = s;
            for (int j = 0; j < 8; j++) {
                FloatVector b = FloatVector.broadcast(F32, bp[bpOff + 8 * sb + j]);
                FloatVector m = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + MN + (long) R * j, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).convertShape(VectorOperators.I2F, F32, 0);
                s = m.lanewise(VectorOperators.FMA, b, s);
                m = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(BYTES, w2, bo2 + MN + (long) R * j, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).convertShape(VectorOperators.I2F, F32, 0);
                s2 = m.lanewise(VectorOperators.FMA, b, s2);
            }
            FloatVector da = FloatVector.broadcast(F32, d[dOff + sb]);
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + DM, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector f = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, da);
            accm = s.lanewise(VectorOperators.FMA, f, accm);
            h = (IntVector) ShortVector.fromMemorySegment(S16, w2, bo2 + DM, LE).convertShape(VectorOperators.S2I, I32, 0);
            f = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, da);
            accm2 = s2.lanewise(VectorOperators.FMA, f, accm2);
        }
        FloatVector.fromArray(F32, out, o).lanewise(VectorOperators.SUB, accm).intoArray(out, o);
        FloatVector.fromArray(F32, out2, o2).lanewise(VectorOperators.SUB, accm2).intoArray(out2, o2);
    }

    /**
     * The mins' part of one super-block (at {@code bo}) of one group, for {@link #gemv2}: {@code out[o .. o+R) =
     * fma((float) Σ min·bsum, dmin·da, out[o ..])} ({@code first}: from zero), {@link #gemv}'s accm chain kept in
     * {@code out} across super-blocks. {@code Σ min·bsum} is summed in floats, exactly: a min is at most 63 and
     * a sum of 32 Q8_K values at most 32·127 in magnitude, so every product and partial sum is an integer below
     * 2^24. Called once per super-block, inside gemv2's loop: as a pass of its own after the loop (the form
     * before, {@link #subtractMins}, in 32-bit integers) it took ~22% of the kernel's time, which overlaps the
     * weights' reads here (MatvecBench-style A/B in one JVM, 2 threads from memory: 1.17-1.29x).
     */
    private static void mins(MemorySegment w, long bo, float da, float[] bp, int k, boolean first, float[] out, int o) {
        IntVector C13 = IntVector.broadcast(I32, 13), HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + DM, LE).convertShape(VectorOperators.S2I, I32, 0);
        FloatVector f = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, da));
        FloatVector m = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + MN, LE)
                .convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).convertShape(VectorOperators.I2F, F32, 0);
        FloatVector sum = m.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, bp[k]));
        for (int j = 1; j < 8; j++) {
            m = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + MN + (long) R * j, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).convertShape(VectorOperators.I2F, F32, 0);
            sum = m.lanewise(VectorOperators.FMA, FloatVector.broadcast(F32, bp[k + j]), sum);
        }
        FloatVector accm = first ? FloatVector.zero(F32) : FloatVector.fromArray(F32, out, o);
        sum.lanewise(VectorOperators.FMA, f, accm).intoArray(out, o);
    }

    /** {@link #gemv2}'s {@code bp}: per 32 values the sum of the token's two Q8_K sums of 16, as a float. */
    public static void minSums(int[] bs, int bOff, int sbs, float[] bp, int bpOff) {
        for (int i = 0; i < 8 * sbs; i++) bp[bpOff + i] = bs[bOff + 2 * i] + bs[bOff + 2 * i + 1];
    }

    /**
     * {@code out[o .. o+R) -= accm}, the mins' part of one group · one token: {@code accm = fma((float) Σ
     * min·bsum, dmin·da, accm)} over {@code per} sub-blocks at a time. Kept out of the two-token kernels,
     * whose accumulators it never touches until this subtraction: with it inside, they outgrew what C1
     * compiles ("out of virtual registers"), and a kernel left at C1's lowest tier ran ~100× slower, never
     * reaching C2. {@link #gemv} is small enough to keep it inline.
     */
    public static void subtractMins(MemorySegment w, long off, int sbs, float[] d, int dOff, int[] bs, int bOff, int per,
                                    float[] out, int o) {
        IntVector C13 = IntVector.broadcast(I32, 13), HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector accm = FloatVector.zero(F32);
        for (int sb = 0; sb < sbs; sb++) {
            long bo = off + (long) sb * BLOCK;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + DM, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector f = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + sb]));
            for (int j0 = 0; j0 < 8; j0 += per) {
                IntVector imin = IntVector.zero(I32);
                for (int j = j0; j < j0 + per; j++) {
                    int k = bOff + 16 * sb + 2 * j;
                    imin = ((IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + MN + (long) R * j, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).lanewise(VectorOperators.MUL, IntVector.broadcast(I32, bs[k] + bs[k + 1]))
                            .lanewise(VectorOperators.ADD, imin);
                }
                accm = ((FloatVector) imin.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, f, accm);
            }
        }
        FloatVector.fromArray(F32, out, o).lanewise(VectorOperators.SUB, accm).intoArray(out, o);
    }

    /**
     * {@link #subtractMins} for two tokens at once, as {@link #gemm2} and {@link #gemm2Fine} need it: each mins vector
     * and the dmin loaded and widened once for both, and {@code Σ min·bsum} summed in floats ({@code bp}, the tokens'
     * sums of 32 from {@code bpOff0}/{@code bpOff1}, {@link #minSums}), exactly as in {@link #mins}; per token the
     * same float operations in the same order as {@link #subtractMins}. In a Q4_K_M prefill the two integer passes
     * took 13 % of the samples beside {@link #gemm2Fine}'s 47 % (perf, {@code -p 512}). 512 bits only (see
     * {@link #gemv2}).
     */
    static void subtractMins2(MemorySegment w, long off, int sbs, float[] d, int dOff0, int dOff1, float[] bp, int bpOff0,
                              int bpOff1, int per, float[] out, int o0, int o1) {
        IntVector C13 = IntVector.broadcast(I32, 13), HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector accm0 = FloatVector.zero(F32), accm1 = accm0;
        for (int sb = 0; sb < sbs; sb++) {
            long bo = off + (long) sb * BLOCK;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + DM, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dm = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE);
            FloatVector f0 = dm.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff0 + sb]));
            FloatVector f1 = dm.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff1 + sb]));
            for (int j0 = 0; j0 < 8; j0 += per) {
                FloatVector s0 = FloatVector.zero(F32), s1 = s0;
                for (int j = j0; j < j0 + per; j++) {
                    FloatVector m = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + MN + (long) R * j, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).convertShape(VectorOperators.I2F, F32, 0);
                    s0 = m.lanewise(VectorOperators.FMA, FloatVector.broadcast(F32, bp[bpOff0 + 8 * sb + j]), s0);
                    s1 = m.lanewise(VectorOperators.FMA, FloatVector.broadcast(F32, bp[bpOff1 + 8 * sb + j]), s1);
                }
                accm0 = s0.lanewise(VectorOperators.FMA, f0, accm0);
                accm1 = s1.lanewise(VectorOperators.FMA, f1, accm1);
            }
        }
        FloatVector.fromArray(F32, out, o0).lanewise(VectorOperators.SUB, accm0).intoArray(out, o0);
        FloatVector.fromArray(F32, out, o1).lanewise(VectorOperators.SUB, accm1).intoArray(out, o1);
    }

    /**
     * {@link #subtractMins2} for four tokens (token k's scales at {@code dOff + k·dStride}, its sums of 32 at
     * {@code bpOff + k·bpStride}, its output at {@code o + k·oStride}): each mins vector and the dmin loaded and
     * converted once for four; per token the same float operations in the same order. The mins' pass took 11 % of a
     * 512-token Q4_K_M prefill in two-token passes (perf, session 31); in one JVM alternating both forms over a
     * 8960x1536 Q4_K matrix at 64 tokens this one ran the whole multiply 1.05x as fast (16 rounds, quartiles 1.04-1.07).
     */
    static void subtractMins4(MemorySegment w, long off, int sbs, float[] d, int dOff, int dStride, float[] bp, int bpOff, int bpStride,
                              int per, float[] out, int o, int oStride) {
        IntVector C13 = IntVector.broadcast(I32, 13), HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector accm0 = FloatVector.zero(F32), accm1 = accm0, accm2 = accm0, accm3 = accm0;
        int b0 = bpOff, b1 = b0 + bpStride, b2 = b1 + bpStride, b3 = b2 + bpStride;
        for (int sb = 0; sb < sbs; sb++) {
            long bo = off + (long) sb * BLOCK;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo + DM, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dm = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE);
            FloatVector f0 = dm.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + sb]));
            FloatVector f1 = dm.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + dStride + sb]));
            FloatVector f2 = dm.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + 2 * dStride + sb]));
            FloatVector f3 = dm.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + 3 * dStride + sb]));
            for (int j0 = 0; j0 < 8; j0 += per) {
                FloatVector s0 = FloatVector.zero(F32), s1 = s0, s2 = s0, s3 = s0;
                for (int j = j0; j < j0 + per; j++) {
                    FloatVector m = (FloatVector) ((IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + MN + (long) R * j, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0)).convertShape(VectorOperators.I2F, F32, 0);
                    int k = 8 * sb + j;
                    s0 = m.lanewise(VectorOperators.FMA, FloatVector.broadcast(F32, bp[b0 + k]), s0);
                    s1 = m.lanewise(VectorOperators.FMA, FloatVector.broadcast(F32, bp[b1 + k]), s1);
                    s2 = m.lanewise(VectorOperators.FMA, FloatVector.broadcast(F32, bp[b2 + k]), s2);
                    s3 = m.lanewise(VectorOperators.FMA, FloatVector.broadcast(F32, bp[b3 + k]), s3);
                }
                accm0 = s0.lanewise(VectorOperators.FMA, f0, accm0);
                accm1 = s1.lanewise(VectorOperators.FMA, f1, accm1);
                accm2 = s2.lanewise(VectorOperators.FMA, f2, accm2);
                accm3 = s3.lanewise(VectorOperators.FMA, f3, accm3);
            }
        }
        FloatVector.fromArray(F32, out, o).lanewise(VectorOperators.SUB, accm0).intoArray(out, o);
        FloatVector.fromArray(F32, out, o + oStride).lanewise(VectorOperators.SUB, accm1).intoArray(out, o + oStride);
        FloatVector.fromArray(F32, out, o + 2 * oStride).lanewise(VectorOperators.SUB, accm2).intoArray(out, o + 2 * oStride);
        FloatVector.fromArray(F32, out, o + 3 * oStride).lanewise(VectorOperators.SUB, accm3).intoArray(out, o + 3 * oStride);
    }

    /**
     * One group · two tokens (Q8_K values as pairs, {@link #pairs}, at {@code qOff0}/{@code qOff1} of
     * {@code qi}, each pair one 32-bit broadcast; scales at {@code dOff0}/
     * {@code dOff1}, sums at {@code bOff0}/{@code bOff1}, outputs at {@code o0}/{@code o1}), each weight
     * vector loaded and unpacked once for both, in ggml's gemv grain (each token as it would come out alone:
     * several sequences decoded in one step, and the last {@code n % 4} tokens of a batch).
     */
    public static void gemm2(MemorySegment w, long off, int sbs, int[] qi, int qOff0, int qOff1, float[] d, int dOff0, int dOff1,
                             int[] bs, int bOff0, int bOff1, float[] bp, float[] out, int o0, int o1) {
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F);
        IntVector C4 = IntVector.broadcast(I32, 4), C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f), NEG0 = FloatVector.broadcast(F32, -0.0f);
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0;
        for (int sb = 0; sb < sbs; sb++) { // nested loops, as gemv
            long bo = off + (long) sb * BLOCK;
            IntVector isum0 = IntVector.zero(I32), isum1 = isum0;
            for (int j = 0; j < 8; j++) {
                int t = 8 * sb + j;
                long vo = bo + VALUES + 16L * R * j;
                int a0 = qOff0 + 16 * t, a1 = qOff1 + 16 * t;
                ShortVector s0 = ShortVector.zero(S16), u0 = s0, s1 = s0, u1 = s0, v, n;
                v = ShortVector.fromMemorySegment(S16, w, vo + 0L * R, LE);
                n = v.lanewise(VectorOperators.AND, LOW4);
                s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 0]).reinterpretShape(S16, 0))));
                s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 0]).reinterpretShape(S16, 0))));
                v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                n = v.lanewise(VectorOperators.AND, LOW4);
                u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 1]).reinterpretShape(S16, 0))));
                u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 1]).reinterpretShape(S16, 0))));
                v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                n = v.lanewise(VectorOperators.AND, LOW4);
                s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 2]).reinterpretShape(S16, 0))));
                s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 2]).reinterpretShape(S16, 0))));
                n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
                u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 3]).reinterpretShape(S16, 0))));
                u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 3]).reinterpretShape(S16, 0))));
                v = ShortVector.fromMemorySegment(S16, w, vo + 4L * R, LE);
                n = v.lanewise(VectorOperators.AND, LOW4);
                s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 4]).reinterpretShape(S16, 0))));
                s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 4]).reinterpretShape(S16, 0))));
                v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                n = v.lanewise(VectorOperators.AND, LOW4);
                u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 5]).reinterpretShape(S16, 0))));
                u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 5]).reinterpretShape(S16, 0))));
                v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                n = v.lanewise(VectorOperators.AND, LOW4);
                s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 6]).reinterpretShape(S16, 0))));
                s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 6]).reinterpretShape(S16, 0))));
                n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
                u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 7]).reinterpretShape(S16, 0))));
                u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 7]).reinterpretShape(S16, 0))));
                v = ShortVector.fromMemorySegment(S16, w, vo + 8L * R, LE);
                n = v.lanewise(VectorOperators.AND, LOW4);
                s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 8]).reinterpretShape(S16, 0))));
                s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 8]).reinterpretShape(S16, 0))));
                v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                n = v.lanewise(VectorOperators.AND, LOW4);
                u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 9]).reinterpretShape(S16, 0))));
                u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 9]).reinterpretShape(S16, 0))));
                v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                n = v.lanewise(VectorOperators.AND, LOW4);
                s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 10]).reinterpretShape(S16, 0))));
                s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 10]).reinterpretShape(S16, 0))));
                n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
                u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 11]).reinterpretShape(S16, 0))));
                u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 11]).reinterpretShape(S16, 0))));
                v = ShortVector.fromMemorySegment(S16, w, vo + 12L * R, LE);
                n = v.lanewise(VectorOperators.AND, LOW4);
                s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 12]).reinterpretShape(S16, 0))));
                s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 12]).reinterpretShape(S16, 0))));
                v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                n = v.lanewise(VectorOperators.AND, LOW4);
                u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 13]).reinterpretShape(S16, 0))));
                u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 13]).reinterpretShape(S16, 0))));
                v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                n = v.lanewise(VectorOperators.AND, LOW4);
                s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 14]).reinterpretShape(S16, 0))));
                s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 14]).reinterpretShape(S16, 0))));
                n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
                u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 15]).reinterpretShape(S16, 0))));
                u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 15]).reinterpretShape(S16, 0))));
                IntVector sc = (IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + SC + (long) R * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0);
                IntVector p0 = (IntVector) s0.lanewise(VectorOperators.ADD, u0).reinterpretShape(I32, 0), p1 = (IntVector) s1.lanewise(VectorOperators.ADD, u1).reinterpretShape(I32, 0);
                isum0 = p0.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                        .lanewise(VectorOperators.ADD, p0.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, isum0);
                isum1 = p1.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                        .lanewise(VectorOperators.ADD, p1.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, isum1);
            }
            { // ggml's gemv grain: one fma per super-block
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
                FloatVector dw = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE);
                acc0 = ((FloatVector) isum0.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff0 + sb])), acc0);
                acc1 = ((FloatVector) isum1.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff1 + sb])), acc1);
            }
        }
        acc0.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o0);
        acc1.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o1);
        if (bp != null && NESTED) {
            subtractMins2(w, off, sbs, d, dOff0, dOff1, bp, bOff0 / 2, bOff1 / 2, PER_GEMV, out, o0, o1);
        } else {
            subtractMins(w, off, sbs, d, dOff0, bs, bOff0, PER_GEMV, out, o0);
            subtractMins(w, off, sbs, d, dOff1, bs, bOff1, PER_GEMV, out, o1);
        }
    }

    /**
     * {@link #gemm2} in ggml's gemm grain (an fma per two sub-blocks), for tokens of a batch that llama.cpp
     * takes in fours. A method of its own, not a parameter: with the grain a parameter, four tokens through a
     * 4480x1536 matrix took 5.5 ms, as two methods 3.7 ms (one scratch run each, one thread: indicative).
     */
    public static void gemm2Fine(MemorySegment w, long off, int sbs, int[] qi, int qOff0, int qOff1, float[] d, int dOff0, int dOff1,
                                 int[] bs, int bOff0, int bOff1, float[] bp, float[] out, int o0, int o1) {
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F);
        IntVector C4 = IntVector.broadcast(I32, 4), C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f), NEG0 = FloatVector.broadcast(F32, -0.0f);
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0;
        // Nested loops, each fma unconditional in its own (see gemv); the 16·t of the activations' index stays
        // linear in every loop variable.
        for (int sb = 0; sb < sbs; sb++) {
            long bo = off + (long) sb * BLOCK;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dw = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE);
            FloatVector f0 = dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff0 + sb]));
            FloatVector f1 = dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff1 + sb]));
            for (int j0 = 0; j0 < 8; j0 += PER_GEMM) {
                IntVector isum0 = IntVector.zero(I32), isum1 = isum0;
                for (int j = j0; j < j0 + PER_GEMM; j++) {
                    int t = 8 * sb + j;
                    long vo = bo + VALUES + 16L * R * j;
                    int a0 = qOff0 + 16 * t, a1 = qOff1 + 16 * t;
                    ShortVector s0 = ShortVector.zero(S16), u0 = s0, s1 = s0, u1 = s0, v, n;
                    v = ShortVector.fromMemorySegment(S16, w, vo + 0L * R, LE);
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 0]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 0]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 1]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 1]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 2]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 2]).reinterpretShape(S16, 0))));
                    n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 3]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 3]).reinterpretShape(S16, 0))));
                    v = ShortVector.fromMemorySegment(S16, w, vo + 4L * R, LE);
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 4]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 4]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 5]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 5]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 6]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 6]).reinterpretShape(S16, 0))));
                    n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 7]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 7]).reinterpretShape(S16, 0))));
                    v = ShortVector.fromMemorySegment(S16, w, vo + 8L * R, LE);
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 8]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 8]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 9]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 9]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 10]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 10]).reinterpretShape(S16, 0))));
                    n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 11]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 11]).reinterpretShape(S16, 0))));
                    v = ShortVector.fromMemorySegment(S16, w, vo + 12L * R, LE);
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 12]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 12]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 13]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 13]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 14]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 14]).reinterpretShape(S16, 0))));
                    n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 15]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 15]).reinterpretShape(S16, 0))));
                    IntVector sc = (IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + SC + (long) R * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0);
                    IntVector p0 = (IntVector) s0.lanewise(VectorOperators.ADD, u0).reinterpretShape(I32, 0), p1 = (IntVector) s1.lanewise(VectorOperators.ADD, u1).reinterpretShape(I32, 0);
                    isum0 = p0.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                            .lanewise(VectorOperators.ADD, p0.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, isum0);
                    isum1 = p1.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                            .lanewise(VectorOperators.ADD, p1.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, isum1);
                }
                // ggml's gemm grain: one fma per PER_GEMM = 2 sub-blocks
                acc0 = ((FloatVector) isum0.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, f0, acc0);
                acc1 = ((FloatVector) isum1.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, f1, acc1);
            }
        }
        acc0.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o0);
        acc1.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o1);
        if (bp != null && NESTED) {
            subtractMins2(w, off, sbs, d, dOff0, dOff1, bp, bOff0 / 2, bOff1 / 2, PER_GEMM, out, o0, o1);
        } else {
            subtractMins(w, off, sbs, d, dOff0, bs, bOff0, PER_GEMM, out, o0);
            subtractMins(w, off, sbs, d, dOff1, bs, bOff1, PER_GEMM, out, o1);
        }
    }

    /**
     * {@link #gemm2Fine} for four tokens (token k's pairs at {@code qOff + k*qStride}, scales at {@code dOff + k*dStride},
     * sums at {@code bOff + k*bStride}, output at {@code o + k*oStride}): each weight slice loaded and split once for four
     * tokens; per token gemm2Fine's operations, so the same outputs bit for bit. 512-bit machines ({@link #GEMM4}).
     */
    public static void gemm4Fine(MemorySegment w, long off, int sbs, int[] qi, int qOff, int qStride, float[] d, int dOff, int dStride,
                                 int[] bs, int bOff, int bStride, float[] bp, float[] out, int o, int oStride) {
        ShortVector LOW4 = ShortVector.broadcast(S16, (short) 0x0F);
        IntVector C4 = IntVector.broadcast(I32, 4), C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f), NEG0 = FloatVector.broadcast(F32, -0.0f);
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int qOff1 = qOff + qStride, qOff2 = qOff1 + qStride, qOff3 = qOff2 + qStride;
        int dOff1 = dOff + dStride, dOff2 = dOff1 + dStride, dOff3 = dOff2 + dStride;
        for (int sb = 0; sb < sbs; sb++) {
            long bo = off + (long) sb * BLOCK;
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dw = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0)).lanewise(VectorOperators.MUL, HSCALE);
            FloatVector f0 = dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + sb]));
            FloatVector f1 = dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff1 + sb]));
            FloatVector f2 = dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff2 + sb]));
            FloatVector f3 = dw.lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff3 + sb]));
            for (int j0 = 0; j0 < 8; j0 += PER_GEMM) {
                IntVector isum0 = IntVector.zero(I32), isum1 = isum0, isum2 = isum0, isum3 = isum0;
                for (int j = j0; j < j0 + PER_GEMM; j++) {
                    int t = 8 * sb + j;
                    long vo = bo + VALUES + 16L * R * j;
                    int a0 = qOff + 16 * t, a1 = qOff1 + 16 * t, a2 = qOff2 + 16 * t, a3 = qOff3 + 16 * t;
                    ShortVector s0 = ShortVector.zero(S16), u0 = s0, s1 = s0, u1 = s0, s2 = s0, u2 = s0, s3 = s0, u3 = s0, v, n;
                    v = ShortVector.fromMemorySegment(S16, w, vo + 0L * R, LE);
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 0]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 0]).reinterpretShape(S16, 0))));
                    s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 0]).reinterpretShape(S16, 0))));
                    s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 0]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 1]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 1]).reinterpretShape(S16, 0))));
                    u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 1]).reinterpretShape(S16, 0))));
                    u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 1]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 2]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 2]).reinterpretShape(S16, 0))));
                    s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 2]).reinterpretShape(S16, 0))));
                    s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 2]).reinterpretShape(S16, 0))));
                    n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 3]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 3]).reinterpretShape(S16, 0))));
                    u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 3]).reinterpretShape(S16, 0))));
                    u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 3]).reinterpretShape(S16, 0))));
                    v = ShortVector.fromMemorySegment(S16, w, vo + 4L * R, LE);
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 4]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 4]).reinterpretShape(S16, 0))));
                    s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 4]).reinterpretShape(S16, 0))));
                    s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 4]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 5]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 5]).reinterpretShape(S16, 0))));
                    u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 5]).reinterpretShape(S16, 0))));
                    u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 5]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 6]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 6]).reinterpretShape(S16, 0))));
                    s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 6]).reinterpretShape(S16, 0))));
                    s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 6]).reinterpretShape(S16, 0))));
                    n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 7]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 7]).reinterpretShape(S16, 0))));
                    u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 7]).reinterpretShape(S16, 0))));
                    u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 7]).reinterpretShape(S16, 0))));
                    v = ShortVector.fromMemorySegment(S16, w, vo + 8L * R, LE);
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 8]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 8]).reinterpretShape(S16, 0))));
                    s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 8]).reinterpretShape(S16, 0))));
                    s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 8]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 9]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 9]).reinterpretShape(S16, 0))));
                    u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 9]).reinterpretShape(S16, 0))));
                    u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 9]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 10]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 10]).reinterpretShape(S16, 0))));
                    s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 10]).reinterpretShape(S16, 0))));
                    s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 10]).reinterpretShape(S16, 0))));
                    n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 11]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 11]).reinterpretShape(S16, 0))));
                    u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 11]).reinterpretShape(S16, 0))));
                    u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 11]).reinterpretShape(S16, 0))));
                    v = ShortVector.fromMemorySegment(S16, w, vo + 12L * R, LE);
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 12]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 12]).reinterpretShape(S16, 0))));
                    s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 12]).reinterpretShape(S16, 0))));
                    s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 12]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 13]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 13]).reinterpretShape(S16, 0))));
                    u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 13]).reinterpretShape(S16, 0))));
                    u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 13]).reinterpretShape(S16, 0))));
                    v = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0));
                    n = v.lanewise(VectorOperators.AND, LOW4);
                    s0 = s0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 14]).reinterpretShape(S16, 0))));
                    s1 = s1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 14]).reinterpretShape(S16, 0))));
                    s2 = s2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 14]).reinterpretShape(S16, 0))));
                    s3 = s3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 14]).reinterpretShape(S16, 0))));
                    n = ((ShortVector) ((IntVector) v.reinterpretShape(I32, 0)).lanewise(VectorOperators.LSHR, C4).reinterpretShape(S16, 0)).lanewise(VectorOperators.AND, LOW4);
                    u0 = u0.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a0 + 15]).reinterpretShape(S16, 0))));
                    u1 = u1.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a1 + 15]).reinterpretShape(S16, 0))));
                    u2 = u2.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a2 + 15]).reinterpretShape(S16, 0))));
                    u3 = u3.lanewise(VectorOperators.ADD, n.lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[a3 + 15]).reinterpretShape(S16, 0))));
                    IntVector sc = (IntVector) ByteVector.fromMemorySegment(BYTES, w, bo + SC + (long) R * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2I, I32, 0);
                    IntVector p0 = (IntVector) s0.lanewise(VectorOperators.ADD, u0).reinterpretShape(I32, 0);
                    isum0 = p0.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                            .lanewise(VectorOperators.ADD, p0.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, isum0);
                    IntVector p1 = (IntVector) s1.lanewise(VectorOperators.ADD, u1).reinterpretShape(I32, 0);
                    isum1 = p1.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                            .lanewise(VectorOperators.ADD, p1.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, isum1);
                    IntVector p2 = (IntVector) s2.lanewise(VectorOperators.ADD, u2).reinterpretShape(I32, 0);
                    isum2 = p2.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                            .lanewise(VectorOperators.ADD, p2.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, isum2);
                    IntVector p3 = (IntVector) s3.lanewise(VectorOperators.ADD, u3).reinterpretShape(I32, 0);
                    isum3 = p3.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                            .lanewise(VectorOperators.ADD, p3.lanewise(VectorOperators.ASHR, C16)).lanewise(VectorOperators.MUL, sc).lanewise(VectorOperators.ADD, isum3);
                }
                // ggml's gemm grain: one fma per PER_GEMM = 2 sub-blocks
                acc0 = ((FloatVector) isum0.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, f0, acc0);
                acc1 = ((FloatVector) isum1.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, f1, acc1);
                acc2 = ((FloatVector) isum2.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, f2, acc2);
                acc3 = ((FloatVector) isum3.convertShape(VectorOperators.I2F, F32, 0)).lanewise(VectorOperators.FMA, f3, acc3);
            }
        }
        acc0.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o);
        acc1.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o + 1 * oStride);
        acc2.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o + 2 * oStride);
        acc3.lanewise(VectorOperators.ADD, NEG0).intoArray(out, o + 3 * oStride);
        if (bp != null && NESTED) { // the mins of the four tokens in one pass
            subtractMins4(w, off, sbs, d, dOff, dStride, bp, bOff / 2, bStride / 2, PER_GEMM, out, o, oStride);
            return;
        }
        for (int k = 0; k < 4; k++) subtractMins(w, off, sbs, d, dOff + k * dStride, bs, bOff + k * bStride, PER_GEMM, out, o + k * oStride);
    }

}

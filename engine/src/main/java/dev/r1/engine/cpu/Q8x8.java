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
 * Q8_0 weights repacked at load time, {@code R} rows side by side ({@code R} = float lanes of
 * {@link VectorWidths#REPACK}: 8 on AVX2, 16 on AVX-512), in ggml's float operations exactly. The row-major
 * kernel ({@link QuantKernels#dotQ8_0}) runs at 256 bits and ends every row with a horizontal sum; at 512 bits
 * on Zen 4 it decoded a 1.5B Q8_0 file at 0.53-0.76x llama.cpp's speed (docs/BENCHMARKS.md, session 18).
 *
 * <p>Layout, per group of R rows and per block of 32 (34·R bytes, the size of the R blocks it replaces): the R
 * f16 scales, then for each of the 16 element pairs {@code p} the pair of every row, {@code [p][row][2]} int8.
 * A pair's 2·R bytes widen into one 16-bit vector whose lanes {@code 2r, 2r+1} are row r's two values, so one
 * 32-bit broadcast of the activations' pair multiplies every row.
 *
 * <p>Per row, ggml's AVX2 {@code vec_dot_q8_0_q8_0}: eight integer lanes per block, lane k the exact sum of
 * the products of elements {@code 4k .. 4k+3}; each lane {@code acc_k = fma(d_w·d_a, (float) lane, acc_k)} over
 * the blocks in order; then {@code hsum_float_8}. Here lane k of every row is one vector of R ints (two pairs'
 * 16-bit products, |each| <= 2·128·127, widened and added), and acc_k one vector of R floats: the same float
 * operations per row, so the logits are llama.cpp's bit for bit (its {@code haswell} library).
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
    /** Rows per group: one per float lane, as {@link Q4x8#R} (the kernels read Q4x8's activations). */
    public static final int R = F32.length();
    /** Bytes per group per block. */
    public static final int BLOCK = R * QuantKernels.Q8_0_BYTES;
    private static final int QK = QuantKernels.QK;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN, NATIVE = ByteOrder.nativeOrder();
    /** {@code -Dr1.cpu.q8repack=false} keeps Q8_0 row-major (the kernel this one is checked against). */
    public static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("r1.cpu.q8repack", "true"));

    /** Whether a Q8_0 matrix of this shape can be repacked (whole groups of rows, Q4x8's activations). */
    public static boolean fits(int rows, int cols) {
        return rows % R == 0 && cols % QK == 0 && R == Q4x8.R && R * 2 == S16.length() && B8.length() == S16.length();
    }

    /**
     * Repacks a Q8_0 matrix into {@code arena}, groups of rows spread over {@code pool}; null when one of its
     * scales is infinite or NaN (the f16 widening here handles finite values only; such a matrix keeps the
     * row-major kernel, which propagates the value as llama.cpp does).
     */
    public static MemorySegment repack(MemorySegment src, int rows, int cols, Arena arena, Parallel pool) {
        int blocks = cols / QK, groups = rows / R;
        long rowBytes = (long) blocks * QuantKernels.Q8_0_BYTES;
        MemorySegment dst = arena.allocate((long) groups * blocks * BLOCK, 64);
        boolean[] bad = new boolean[1];
        pool.forRange(groups, 1, (g0, g1) -> {
            // byte arrays, not per-byte segment accesses: repacking runs once per load
            byte[] in = new byte[QuantKernels.Q8_0_BYTES], out = new byte[BLOCK];
            for (int g = g0; g < g1; g++) {
                for (int b = 0; b < blocks; b++) {
                    for (int r = 0; r < R; r++) {
                        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, ((long) g * R + r) * rowBytes + (long) b * QuantKernels.Q8_0_BYTES, in, 0, in.length);
                        if ((in[1] & 0x7c) == 0x7c) bad[0] = true;
                        out[2 * r] = in[0];
                        out[2 * r + 1] = in[1];
                        for (int p = 0; p < QK / 2; p++) {
                            out[2 * R + 2 * (p * R + r)] = in[2 + 2 * p];
                            out[2 * R + 2 * (p * R + r) + 1] = in[3 + 2 * p];
                        }
                    }
                    MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, ((long) g * blocks + b) * BLOCK, BLOCK);
                }
            }
        });
        return bad[0] ? null : dst;
    }

    /**
     * One group of R rows (at {@code off}) · one token: {@code out[o .. o+R)}. {@code qi} the token's activation
     * pairs from {@code qiOff} as {@link Q4x8#pack}, {@code d} its block scales from {@code dOff}. Each pair is
     * broadcast from {@code qi}, at 256 bits too: there, pairs spread over R lanes ({@link Q4x8#SPREAD}'s form)
     * decoded at 26 GMAC/s against 36 broadcast ({@code MatvecBench 2 Q8_0 53760}, Zen 4 at 256 bits), and the
     * row-major kernel 28-30.
     */
    public static void gemv(MemorySegment w, long off, int blocks, int[] qi, int qiOff, float[] d, int dOff, MemorySegment out, int o) {
        // the pollution-proof form of Q4x8.gemv: lanewise(op, vector), convertShape, reinterpretShape, constants
        // as locals. The eight lanes written out, no helper returning a vector (C2 boxes those it does not inline).
        IntVector C13 = IntVector.broadcast(I32, 13), C16 = IntVector.broadcast(I32, 16);
        IntVector HMASK = IntVector.broadcast(I32, 0x8FFFFFFF);
        FloatVector HSCALE = FloatVector.broadcast(F32, 0x1p112f);
        FloatVector l0 = FloatVector.zero(F32), l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0;
        for (int b = 0; b < blocks; b++) {
            long bo = off + (long) b * BLOCK;
            // the R f16 scales: the first half of a 16-bit load (see Q4x8), widened as F16Math.widen does
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S16, w, bo, LE).convertShape(VectorOperators.S2I, I32, 0);
            FloatVector dv = ((FloatVector) h.lanewise(VectorOperators.LSHL, C13).lanewise(VectorOperators.AND, HMASK).reinterpretShape(F32, 0))
                    .lanewise(VectorOperators.MUL, HSCALE).lanewise(VectorOperators.MUL, FloatVector.broadcast(F32, d[dOff + b]));
            long vo = bo + 2L * R;
            int qb = qiOff + b * (QK / 2);
            IntVector v;
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 0L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 0]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 2L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 1]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l0 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                    .lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l0);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 4L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 2]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 6L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 3]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l1 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                    .lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l1);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 8L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 4]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 10L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 5]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l2 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                    .lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l2);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 12L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 6]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 14L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 7]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l3 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                    .lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l3);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 16L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 8]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 18L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 9]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l4 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                    .lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l4);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 20L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 10]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 22L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 11]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l5 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                    .lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l5);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 24L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 12]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 26L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 13]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l6 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                    .lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l6);
            v = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 28L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 14]).reinterpretShape(S16, 0)))
                    .lanewise(VectorOperators.ADD, ((ShortVector) ByteVector.fromMemorySegment(B8, w, vo + 30L * R, LE).convertShape(VectorOperators.B2S, S16, 0)).lanewise(VectorOperators.MUL, ((ShortVector) IntVector.broadcast(I32, qi[qb + 15]).reinterpretShape(S16, 0)))).reinterpretShape(I32, 0);
            l7 = dv.lanewise(VectorOperators.FMA, (FloatVector) v.lanewise(VectorOperators.LSHL, C16).lanewise(VectorOperators.ASHR, C16)
                    .lanewise(VectorOperators.ADD, v.lanewise(VectorOperators.ASHR, C16)).convertShape(VectorOperators.I2F, F32, 0), l7);
        }
        // hsum_float_8: ((0+4) + (2+6)) + ((1+5) + (3+7)); + -0.0 (no value changes) gives C2 the stored class
        FloatVector NEG0 = FloatVector.broadcast(F32, -0.0f);
        NEG0.lanewise(VectorOperators.ADD, l0.lanewise(VectorOperators.ADD, l4).lanewise(VectorOperators.ADD, l2.lanewise(VectorOperators.ADD, l6))
                        .lanewise(VectorOperators.ADD, l1.lanewise(VectorOperators.ADD, l5).lanewise(VectorOperators.ADD, l3.lanewise(VectorOperators.ADD, l7))))
                .intoMemorySegment(out, (long) o * Float.BYTES, NATIVE);
    }
}

package dev.r1.engine.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * F16, BF16 and F32 weights read straight from the mapping, in the float order of ggml's {@code haswell} library, so
 * the logits equal llama.cpp's there. For the halves ggml first rounds the activations to the weights' type (its
 * {@code vec_dot_type}: {@code ggml_cpu_fp32_to_fp16}, RNE; {@code ggml_compute_fp32_to_bf16}, RNE with NaNs
 * kept quiet): {@link #round} does the same into floats, and every product of two halves is then exact in
 * float, so a multiply-add is the same float whether fused or not.
 * <ul>
 * <li>One token (ggml's {@code vec_dot_f16} / {@code vec_dot_bf16} at AVX2): four 8-lane accumulators over
 * steps of 32, folded {@code (s0+s2)+(s1+s3)}, the lanes added as {@code ((0+4)+(1+5))+((2+6)+(3+7))} for
 * F16 ({@code _mm_hadd_ps}) and {@code ((0+4)+(2+6))+((1+5)+(3+7))} for BF16; leftovers past the last 32 added
 * in double, as ggml's {@code ggml_float}.</li>
 * <li>Two tokens or more ({@code llamafile_sgemm}'s tinyBLAS, which takes over when the rows are a multiple
 * of 4 and the width of 8): one 8-lane accumulator per output over the whole row, its lanes added as
 * {@code ((0+4)+(2+6))+((1+5)+(3+7))}.</li>
 * </ul>
 * These orders are the AVX2 library's (ggml's AVX-512 libraries use 16 lanes and, for BF16 on zen4,
 * {@code vdpbf16ps}; there the logits are close, not equal); where the repacked kernels run at 512 bits one token's
 * two-row kernel holds two of those 8-lane accumulators per vector ({@link #WIDE}), the same floats.
 *
 * <p>Widening: a half's bits, sign-extended to an int and shifted left (16 for BF16, which is then a float; 13 for
 * F16, the sign's copies at bits 30..28 cleared) give a float; for F16 that float is the half's value times
 * 2^-112 (subnormal halves included), and {@link #round} scales F16 activations by 2^112 instead (exact: a rounded
 * activation is at most 65504, times 2^112 below the float maximum), so every product is still the exact product of the
 * two halves. Two or three operations a vector, written out in each loop: a helper returning the vector was at times
 * left un-inlined by C2, which then boxed every vector (a whole matrix 2.5x slower, session 36). Infinite and NaN F16
 * weights come out finite (exponent 31 read as a normal one), where ggml would give inf or NaN.
 */
final class HalfKernels {
    private HalfKernels() {}

    static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    static final VectorSpecies<Short> S8 = ShortVector.SPECIES_128;
    static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** F16 activations' scale, against the weights' 2^-112 (see the class comment). */
    static final float F16_SCALE = 0x1p112f;

    /** Whether a matrix of {@code rows} × {@code cols} meets {@code tokens} through tinyBLAS in ggml (else vec_dot). */
    static boolean tiny(int rows, int cols, int tokens) {
        return tokens >= 2 && rows % 4 == 0 && cols % 8 == 0;
    }

    /** Left shift that makes a sign-extended half a float (see the class comment). */
    static int shift(boolean bf16) {
        return bf16 ? 16 : 13;
    }

    /** ... and the mask applied after it. */
    static int mask(boolean bf16) {
        return bf16 ? -1 : 0x8FFFFFFF;
    }

    /** One weight widened as the kernels widen it (F16: times 2^-112). */
    static float widened(short h, boolean bf16) {
        return Float.intBitsToFloat((h << shift(bf16)) & mask(bf16));
    }

    /**
     * ggml's activation rounding: {@code dst[d + i] = x[off + i]} rounded to BF16, or to F16 and scaled by
     * {@link #F16_SCALE}, as floats.
     */
    static void round(float[] x, int off, int n, float[] dst, int d, boolean bf16) {
        if (bf16) {
            for (int i = 0; i < n; i++) dst[d + i] = roundBF16(x[off + i]);
        } else {
            for (int i = 0; i < n; i++) dst[d + i] = Float.float16ToFloat(Float.floatToFloat16(x[off + i])) * F16_SCALE;
        }
    }

    /** {@code ggml_compute_fp32_to_bf16} (NaNs made quiet, else round to nearest even), widened back. */
    static float roundBF16(float v) {
        return Float.intBitsToFloat(dev.r1.quantize.Bits.bf16(v) << 16);
    }

    /** Row {@code w[off ..]} (n halves) · the rounded activations {@code x[xo ..]}, in ggml's vec_dot order. */
    static float dot(MemorySegment w, long off, float[] x, int xo, int n, boolean bf16) {
        FloatVector s0 = FloatVector.zero(F8), s1 = s0, s2 = s0, s3 = s0;
        int sh = shift(bf16), m = mask(bf16);
        int i = 0;
        for (; i <= n - 32; i += 32) {
            long p = off + 2L * i;
            s0 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S8, w, p, LE).convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, sh).lanewise(VectorOperators.AND, m).reinterpretShape(F8, 0))
                    .lanewise(VectorOperators.FMA, FloatVector.fromArray(F8, x, xo + i), s0);
            s1 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S8, w, p + 16, LE).convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, sh).lanewise(VectorOperators.AND, m).reinterpretShape(F8, 0))
                    .lanewise(VectorOperators.FMA, FloatVector.fromArray(F8, x, xo + i + 8), s1);
            s2 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S8, w, p + 32, LE).convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, sh).lanewise(VectorOperators.AND, m).reinterpretShape(F8, 0))
                    .lanewise(VectorOperators.FMA, FloatVector.fromArray(F8, x, xo + i + 16), s2);
            s3 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S8, w, p + 48, LE).convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, sh).lanewise(VectorOperators.AND, m).reinterpretShape(F8, 0))
                    .lanewise(VectorOperators.FMA, FloatVector.fromArray(F8, x, xo + i + 24), s3);
        }
        FloatVector v = s0.lanewise(VectorOperators.ADD, s2).lanewise(VectorOperators.ADD, s1.lanewise(VectorOperators.ADD, s3));
        // lanes read here with constant indices: a helper taking the vector may be left un-inlined, and box it
        return finish(v.lane(0) + v.lane(4), v.lane(1) + v.lane(5), v.lane(2) + v.lane(6), v.lane(3) + v.lane(7), w, off, x, xo, i, n, bf16);
    }

    /**
     * {@link #dot} of rows {@code w[off ..]} and {@code w2[off2 ..]} with the same activations, into {@code out[o]},
     * {@code out2[o2]}: two streams in flight (see {@code Matmul.decodeHalf}).
     */
    static void dot2(MemorySegment w, long off, MemorySegment w2, long off2, float[] x, int xo, int n, boolean bf16,
                     float[] out, int o, float[] out2, int o2) {
        if (WIDE) {
            dot2Wide(w, off, w2, off2, x, xo, n, bf16, out, o, out2, o2);
            return;
        }
        FloatVector s0 = FloatVector.zero(F8), s1 = s0, s2 = s0, s3 = s0, u0 = s0, u1 = s0, u2 = s0, u3 = s0;
        int sh = shift(bf16), m = mask(bf16);
        int i = 0;
        for (; i <= n - 32; i += 32) {
            long p = off + 2L * i, q = off2 + 2L * i;
            FloatVector x0 = FloatVector.fromArray(F8, x, xo + i), x1 = FloatVector.fromArray(F8, x, xo + i + 8);
            s0 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S8, w, p, LE).convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, sh).lanewise(VectorOperators.AND, m).reinterpretShape(F8, 0)).lanewise(VectorOperators.FMA, x0, s0);
            u0 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S8, w2, q, LE).convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, sh).lanewise(VectorOperators.AND, m).reinterpretShape(F8, 0)).lanewise(VectorOperators.FMA, x0, u0);
            s1 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S8, w, p + 16, LE).convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, sh).lanewise(VectorOperators.AND, m).reinterpretShape(F8, 0)).lanewise(VectorOperators.FMA, x1, s1);
            u1 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S8, w2, q + 16, LE).convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, sh).lanewise(VectorOperators.AND, m).reinterpretShape(F8, 0)).lanewise(VectorOperators.FMA, x1, u1);
            x0 = FloatVector.fromArray(F8, x, xo + i + 16);
            x1 = FloatVector.fromArray(F8, x, xo + i + 24);
            s2 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S8, w, p + 32, LE).convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, sh).lanewise(VectorOperators.AND, m).reinterpretShape(F8, 0)).lanewise(VectorOperators.FMA, x0, s2);
            u2 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S8, w2, q + 32, LE).convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, sh).lanewise(VectorOperators.AND, m).reinterpretShape(F8, 0)).lanewise(VectorOperators.FMA, x0, u2);
            s3 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S8, w, p + 48, LE).convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, sh).lanewise(VectorOperators.AND, m).reinterpretShape(F8, 0)).lanewise(VectorOperators.FMA, x1, s3);
            u3 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S8, w2, q + 48, LE).convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, sh).lanewise(VectorOperators.AND, m).reinterpretShape(F8, 0)).lanewise(VectorOperators.FMA, x1, u3);
        }
        FloatVector v = s0.lanewise(VectorOperators.ADD, s2).lanewise(VectorOperators.ADD, s1.lanewise(VectorOperators.ADD, s3));
        FloatVector u = u0.lanewise(VectorOperators.ADD, u2).lanewise(VectorOperators.ADD, u1.lanewise(VectorOperators.ADD, u3));
        out[o] = finish(v.lane(0) + v.lane(4), v.lane(1) + v.lane(5), v.lane(2) + v.lane(6), v.lane(3) + v.lane(7), w, off, x, xo, i, n, bf16);
        out2[o2] = finish(u.lane(0) + u.lane(4), u.lane(1) + u.lane(5), u.lane(2) + u.lane(6), u.lane(3) + u.lane(7), w2, off2, x, xo, i, n, bf16);
    }

    /** 512-bit vectors for {@link #dot2}'s halves: two of ggml's 8-lane accumulators side by side in one vector. */
    static final VectorSpecies<Float> F16V = FloatVector.SPECIES_512;
    static final VectorSpecies<Short> S16V = ShortVector.SPECIES_256;
    static final VectorSpecies<Integer> I16V = IntVector.SPECIES_512;
    /**
     * Whether {@link #dot2} runs at 512 bits where the repacked kernels do ({@code -Dr1.cpu.half512=false}: 256):
     * accumulators {@code [s0|s1]} and {@code [s2|s3]} hold ggml's four 8-lane ones lane for lane (a step's 32
     * halves are contiguous), so the floats are the 256-bit kernel's; half the instructions a step. On a Sapphire
     * Rapids-class machine the 1.5B F16 decode was bound by them (session 37); on Zen 4, which splits 512-bit
     * operations in two, session 36 measured no gain.
     */
    static final boolean WIDE = VectorWidths.REPACK.vectorBitSize() >= 512 && Boolean.parseBoolean(System.getProperty("r1.cpu.half512", "true"));

    /** {@link #dot2} at 512 bits ({@link #WIDE}); the same floats. */
    static void dot2Wide(MemorySegment w, long off, MemorySegment w2, long off2, float[] x, int xo, int n, boolean bf16,
                         float[] out, int o, float[] out2, int o2) {
        // counts and mask as vectors: lanewise(op, int) shares one profile with the 256-bit kernels' shifts (Q5Kx8.IMM)
        IntVector SH = IntVector.broadcast(I16V, shift(bf16)), M = IntVector.broadcast(I16V, mask(bf16));
        FloatVector s01 = FloatVector.zero(F16V), s23 = s01, u01 = s01, u23 = s01;
        int i = 0;
        for (; i <= n - 32; i += 32) {
            long p = off + 2L * i, q = off2 + 2L * i;
            FloatVector x0 = FloatVector.fromArray(F16V, x, xo + i), x1 = FloatVector.fromArray(F16V, x, xo + i + 16);
            s01 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S16V, w, p, LE).convertShape(VectorOperators.S2I, I16V, 0))
                    .lanewise(VectorOperators.LSHL, SH).lanewise(VectorOperators.AND, M).reinterpretShape(F16V, 0)).lanewise(VectorOperators.FMA, x0, s01);
            u01 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S16V, w2, q, LE).convertShape(VectorOperators.S2I, I16V, 0))
                    .lanewise(VectorOperators.LSHL, SH).lanewise(VectorOperators.AND, M).reinterpretShape(F16V, 0)).lanewise(VectorOperators.FMA, x0, u01);
            s23 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S16V, w, p + 32, LE).convertShape(VectorOperators.S2I, I16V, 0))
                    .lanewise(VectorOperators.LSHL, SH).lanewise(VectorOperators.AND, M).reinterpretShape(F16V, 0)).lanewise(VectorOperators.FMA, x1, s23);
            u23 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S16V, w2, q + 32, LE).convertShape(VectorOperators.S2I, I16V, 0))
                    .lanewise(VectorOperators.LSHL, SH).lanewise(VectorOperators.AND, M).reinterpretShape(F16V, 0)).lanewise(VectorOperators.FMA, x1, u23);
        }
        // [s0+s2 | s1+s3]: lane k of (s0+s2)+(s1+s3) is lane k plus lane k+8
        FloatVector v = s01.lanewise(VectorOperators.ADD, s23), u = u01.lanewise(VectorOperators.ADD, u23);
        float v0 = v.lane(0) + v.lane(8), v1 = v.lane(1) + v.lane(9), v2 = v.lane(2) + v.lane(10), v3 = v.lane(3) + v.lane(11);
        float v4 = v.lane(4) + v.lane(12), v5 = v.lane(5) + v.lane(13), v6 = v.lane(6) + v.lane(14), v7 = v.lane(7) + v.lane(15);
        out[o] = finish(v0 + v4, v1 + v5, v2 + v6, v3 + v7, w, off, x, xo, i, n, bf16);
        v0 = u.lane(0) + u.lane(8);
        v1 = u.lane(1) + u.lane(9);
        v2 = u.lane(2) + u.lane(10);
        v3 = u.lane(3) + u.lane(11);
        v4 = u.lane(4) + u.lane(12);
        v5 = u.lane(5) + u.lane(13);
        v6 = u.lane(6) + u.lane(14);
        v7 = u.lane(7) + u.lane(15);
        out2[o2] = finish(v0 + v4, v1 + v5, v2 + v6, v3 + v7, w2, off2, x, xo, i, n, bf16);
    }

    /**
     * Whether one token's rows at 512 bits go four at a time ({@link #dot4Wide}: four streams, each activation load
     * shared by four rows) rather than in pairs ({@link #dot2}), {@code -Dr1.cpu.half4=false}. On the Sapphire
     * Rapids-class VM the pairs streamed 22 GB/s from memory on two threads, the fours 26 ({@code MatvecBench 2 F16
     * 268800}; in cache even, so the streams, not the instructions): 1.5B F16 decode 6.7 -> 7.1 tok/s (session 41).
     * Eight at a time: 25.
     */
    static final boolean FOUR = WIDE && Boolean.parseBoolean(System.getProperty("r1.cpu.half4", "true"));

    /** {@link #dot2Wide} over four rows: each row's float is its one-row kernel's. */
    static void dot4Wide(MemorySegment w, long off, MemorySegment w2, long off2, MemorySegment w3, long off3, MemorySegment w4, long off4,
                         float[] x, int n, boolean bf16, float[] out, int o, float[] out2, int o2, float[] out3, int o3, float[] out4, int o4) {
        IntVector SH = IntVector.broadcast(I16V, shift(bf16)), M = IntVector.broadcast(I16V, mask(bf16));
        FloatVector s01 = FloatVector.zero(F16V), s23 = s01, u01 = s01, u23 = s01, a01 = s01, a23 = s01, b01 = s01, b23 = s01;
        int i = 0;
        for (; i <= n - 32; i += 32) {
            long p = off + 2L * i, q = off2 + 2L * i, p3 = off3 + 2L * i, p4 = off4 + 2L * i;
            FloatVector x0 = FloatVector.fromArray(F16V, x, i), x1 = FloatVector.fromArray(F16V, x, i + 16);
            s01 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S16V, w, p, LE).convertShape(VectorOperators.S2I, I16V, 0))
                    .lanewise(VectorOperators.LSHL, SH).lanewise(VectorOperators.AND, M).reinterpretShape(F16V, 0)).lanewise(VectorOperators.FMA, x0, s01);
            u01 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S16V, w2, q, LE).convertShape(VectorOperators.S2I, I16V, 0))
                    .lanewise(VectorOperators.LSHL, SH).lanewise(VectorOperators.AND, M).reinterpretShape(F16V, 0)).lanewise(VectorOperators.FMA, x0, u01);
            a01 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S16V, w3, p3, LE).convertShape(VectorOperators.S2I, I16V, 0))
                    .lanewise(VectorOperators.LSHL, SH).lanewise(VectorOperators.AND, M).reinterpretShape(F16V, 0)).lanewise(VectorOperators.FMA, x0, a01);
            b01 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S16V, w4, p4, LE).convertShape(VectorOperators.S2I, I16V, 0))
                    .lanewise(VectorOperators.LSHL, SH).lanewise(VectorOperators.AND, M).reinterpretShape(F16V, 0)).lanewise(VectorOperators.FMA, x0, b01);
            s23 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S16V, w, p + 32, LE).convertShape(VectorOperators.S2I, I16V, 0))
                    .lanewise(VectorOperators.LSHL, SH).lanewise(VectorOperators.AND, M).reinterpretShape(F16V, 0)).lanewise(VectorOperators.FMA, x1, s23);
            u23 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S16V, w2, q + 32, LE).convertShape(VectorOperators.S2I, I16V, 0))
                    .lanewise(VectorOperators.LSHL, SH).lanewise(VectorOperators.AND, M).reinterpretShape(F16V, 0)).lanewise(VectorOperators.FMA, x1, u23);
            a23 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S16V, w3, p3 + 32, LE).convertShape(VectorOperators.S2I, I16V, 0))
                    .lanewise(VectorOperators.LSHL, SH).lanewise(VectorOperators.AND, M).reinterpretShape(F16V, 0)).lanewise(VectorOperators.FMA, x1, a23);
            b23 = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S16V, w4, p4 + 32, LE).convertShape(VectorOperators.S2I, I16V, 0))
                    .lanewise(VectorOperators.LSHL, SH).lanewise(VectorOperators.AND, M).reinterpretShape(F16V, 0)).lanewise(VectorOperators.FMA, x1, b23);
        }
        // as dot2Wide, the lanes read here: a helper taking the vector was left un-inlined and boxed it (ForwardAllocationTest)
        FloatVector v = s01.lanewise(VectorOperators.ADD, s23);
        float v0 = v.lane(0) + v.lane(8), v1 = v.lane(1) + v.lane(9), v2 = v.lane(2) + v.lane(10), v3 = v.lane(3) + v.lane(11);
        float v4 = v.lane(4) + v.lane(12), v5 = v.lane(5) + v.lane(13), v6 = v.lane(6) + v.lane(14), v7 = v.lane(7) + v.lane(15);
        out[o] = finish(v0 + v4, v1 + v5, v2 + v6, v3 + v7, w, off, x, 0, i, n, bf16);
        v = u01.lanewise(VectorOperators.ADD, u23);
        v0 = v.lane(0) + v.lane(8);
        v1 = v.lane(1) + v.lane(9);
        v2 = v.lane(2) + v.lane(10);
        v3 = v.lane(3) + v.lane(11);
        v4 = v.lane(4) + v.lane(12);
        v5 = v.lane(5) + v.lane(13);
        v6 = v.lane(6) + v.lane(14);
        v7 = v.lane(7) + v.lane(15);
        out2[o2] = finish(v0 + v4, v1 + v5, v2 + v6, v3 + v7, w2, off2, x, 0, i, n, bf16);
        v = a01.lanewise(VectorOperators.ADD, a23);
        v0 = v.lane(0) + v.lane(8);
        v1 = v.lane(1) + v.lane(9);
        v2 = v.lane(2) + v.lane(10);
        v3 = v.lane(3) + v.lane(11);
        v4 = v.lane(4) + v.lane(12);
        v5 = v.lane(5) + v.lane(13);
        v6 = v.lane(6) + v.lane(14);
        v7 = v.lane(7) + v.lane(15);
        out3[o3] = finish(v0 + v4, v1 + v5, v2 + v6, v3 + v7, w3, off3, x, 0, i, n, bf16);
        v = b01.lanewise(VectorOperators.ADD, b23);
        v0 = v.lane(0) + v.lane(8);
        v1 = v.lane(1) + v.lane(9);
        v2 = v.lane(2) + v.lane(10);
        v3 = v.lane(3) + v.lane(11);
        v4 = v.lane(4) + v.lane(12);
        v5 = v.lane(5) + v.lane(13);
        v6 = v.lane(6) + v.lane(14);
        v7 = v.lane(7) + v.lane(15);
        out4[o4] = finish(v0 + v4, v1 + v5, v2 + v6, v3 + v7, w4, off4, x, 0, i, n, bf16);
    }

    /** vec_dot's last steps from the lanes' pair sums {@code t_l = lane l + lane l+4}: their sum, then the leftovers from {@code i} in double. */
    private static float finish(float t0, float t1, float t2, float t3, MemorySegment w, long off, float[] x, int xo, int i, int n, boolean bf16) {
        double sum = bf16 ? (t0 + t2) + (t1 + t3) : (t0 + t1) + (t2 + t3);
        for (; i < n; i++) sum += widened(w.get(QuantLayouts.I16, off + 2L * i), bf16) * x[xo + i]; // float products summed in double
        return (float) sum;
    }

    /** One tinyBLAS output alone: row {@code w[off ..]} · {@code x[xo ..]} (n a multiple of 8), as {@link #gemm4x3} sums it. */
    static float dotTiny(MemorySegment w, long off, float[] x, int xo, int n, boolean bf16) {
        FloatVector a = FloatVector.zero(F8);
        int sh = shift(bf16), m = mask(bf16);
        for (int i = 0; i < n; i += 8) {
            a = ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S8, w, off + 2L * i, LE).convertShape(VectorOperators.S2I, I8, 0))
                    .lanewise(VectorOperators.LSHL, sh).lanewise(VectorOperators.AND, m).reinterpretShape(F8, 0))
                    .lanewise(VectorOperators.FMA, FloatVector.fromArray(F8, x, xo + i), a);
        }
        return FloatKernels.hsum(a);
    }

    /** Four rows {@code w[off + j*rb ..]} widened into {@code dst[j*n ..]} (n a multiple of 8). */
    static void widen4(MemorySegment w, long off, long rb, int n, float[] dst, boolean bf16) {
        int sh = shift(bf16), m = mask(bf16);
        for (int j = 0; j < 4; j++) {
            long o = off + j * rb;
            int d = j * n;
            for (int i = 0; i < n; i += 8) {
                ((FloatVector) ((IntVector) ShortVector.fromMemorySegment(S8, w, o + 2L * i, LE).convertShape(VectorOperators.S2I, I8, 0))
                        .lanewise(VectorOperators.LSHL, sh).lanewise(VectorOperators.AND, m).reinterpretShape(F8, 0)).intoArray(dst, d + i);
            }
        }
    }

    /**
     * F32 rows, as ggml's {@code vec_dot_f32} at AVX2 adds them: {@link #dot}'s accumulators and F16's lane order
     * ({@code GGML_F32x8_REDUCE}), but the sum kept in float and the leftovers added in float. The activations are
     * used as they are (F32 is its own {@code vec_dot_type}); for prompts {@code Matmul} copies four rows for
     * {@link #gemm4x3}, tinyBLAS's F32 order.
     */
    static float dotF32(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector s0 = FloatVector.zero(F8), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i <= n - 32; i += 32) {
            long p = off + 4L * i;
            s0 = FloatVector.fromMemorySegment(F8, w, p, LE).lanewise(VectorOperators.FMA, FloatVector.fromArray(F8, x, xo + i), s0);
            s1 = FloatVector.fromMemorySegment(F8, w, p + 32, LE).lanewise(VectorOperators.FMA, FloatVector.fromArray(F8, x, xo + i + 8), s1);
            s2 = FloatVector.fromMemorySegment(F8, w, p + 64, LE).lanewise(VectorOperators.FMA, FloatVector.fromArray(F8, x, xo + i + 16), s2);
            s3 = FloatVector.fromMemorySegment(F8, w, p + 96, LE).lanewise(VectorOperators.FMA, FloatVector.fromArray(F8, x, xo + i + 24), s3);
        }
        FloatVector v = s0.lanewise(VectorOperators.ADD, s2).lanewise(VectorOperators.ADD, s1.lanewise(VectorOperators.ADD, s3));
        return finishF32(v.lane(0) + v.lane(4), v.lane(1) + v.lane(5), v.lane(2) + v.lane(6), v.lane(3) + v.lane(7), w, off, x, xo, i, n);
    }

    /** {@link #dotF32} of two rows, as {@link #dot2}. */
    static void dot2F32(MemorySegment w, long off, MemorySegment w2, long off2, float[] x, int xo, int n, float[] out, int o, float[] out2, int o2) {
        FloatVector s0 = FloatVector.zero(F8), s1 = s0, s2 = s0, s3 = s0, u0 = s0, u1 = s0, u2 = s0, u3 = s0;
        int i = 0;
        for (; i <= n - 32; i += 32) {
            long p = off + 4L * i, q = off2 + 4L * i;
            FloatVector x0 = FloatVector.fromArray(F8, x, xo + i), x1 = FloatVector.fromArray(F8, x, xo + i + 8);
            s0 = FloatVector.fromMemorySegment(F8, w, p, LE).lanewise(VectorOperators.FMA, x0, s0);
            u0 = FloatVector.fromMemorySegment(F8, w2, q, LE).lanewise(VectorOperators.FMA, x0, u0);
            s1 = FloatVector.fromMemorySegment(F8, w, p + 32, LE).lanewise(VectorOperators.FMA, x1, s1);
            u1 = FloatVector.fromMemorySegment(F8, w2, q + 32, LE).lanewise(VectorOperators.FMA, x1, u1);
            x0 = FloatVector.fromArray(F8, x, xo + i + 16);
            x1 = FloatVector.fromArray(F8, x, xo + i + 24);
            s2 = FloatVector.fromMemorySegment(F8, w, p + 64, LE).lanewise(VectorOperators.FMA, x0, s2);
            u2 = FloatVector.fromMemorySegment(F8, w2, q + 64, LE).lanewise(VectorOperators.FMA, x0, u2);
            s3 = FloatVector.fromMemorySegment(F8, w, p + 96, LE).lanewise(VectorOperators.FMA, x1, s3);
            u3 = FloatVector.fromMemorySegment(F8, w2, q + 96, LE).lanewise(VectorOperators.FMA, x1, u3);
        }
        FloatVector v = s0.lanewise(VectorOperators.ADD, s2).lanewise(VectorOperators.ADD, s1.lanewise(VectorOperators.ADD, s3));
        FloatVector u = u0.lanewise(VectorOperators.ADD, u2).lanewise(VectorOperators.ADD, u1.lanewise(VectorOperators.ADD, u3));
        out[o] = finishF32(v.lane(0) + v.lane(4), v.lane(1) + v.lane(5), v.lane(2) + v.lane(6), v.lane(3) + v.lane(7), w, off, x, xo, i, n);
        out2[o2] = finishF32(u.lane(0) + u.lane(4), u.lane(1) + u.lane(5), u.lane(2) + u.lane(6), u.lane(3) + u.lane(7), w2, off2, x, xo, i, n);
    }

    /** vec_dot_f32's last steps: {@code (t0+t1)+(t2+t3)}, then the leftovers from {@code i}, in float. */
    private static float finishF32(float t0, float t1, float t2, float t3, MemorySegment w, long off, float[] x, int xo, int i, int n) {
        float sum = (t0 + t1) + (t2 + t3);
        for (; i < n; i++) sum += w.get(QuantLayouts.F32, off + 4L * i) * x[xo + i];
        return sum;
    }

    /** One tinyBLAS F32 output alone (n a multiple of 8), as {@link #gemm4x3} sums it. */
    static float dotTinyF32(MemorySegment w, long off, float[] x, int xo, int n) {
        FloatVector a = FloatVector.zero(F8);
        for (int i = 0; i < n; i += 8) {
            a = FloatVector.fromMemorySegment(F8, w, off + 4L * i, LE).lanewise(VectorOperators.FMA, FloatVector.fromArray(F8, x, xo + i), a);
        }
        return FloatKernels.hsum(a);
    }

    /**
     * tinyBLAS's outputs for four widened rows {@code wf[j*n ..]} and three tokens {@code x[xa ..]}, {@code x[xb ..]},
     * {@code x[xc ..]} (n a multiple of 8): {@code out[oa + j]}, {@code out[ob + j]}, {@code out[oc + j]}. One
     * accumulator per output over the whole row, as tinyBLAS's {@code gemm_bloc}; a token given twice is computed
     * twice, for the last tile of a batch.
     */
    static void gemm4x3(float[] wf, int n, float[] x, int xa, int xb, int xc, float[] out, int oa, int ob, int oc) {
        FloatVector a0 = FloatVector.zero(F8), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0,
                c0 = a0, c1 = a0, c2 = a0, c3 = a0;
        int n2 = 2 * n, n3 = 3 * n;
        // the three tokens' vectors first, then each row's with its three multiply-adds: 12 accumulators + 3 + 1
        // registers, which fit the 16 of AVX2 (tinyBLAS's own order of loads for these tiles)
        for (int i = 0; i < n; i += 8) {
            FloatVector xa0 = FloatVector.fromArray(F8, x, xa + i), xb0 = FloatVector.fromArray(F8, x, xb + i),
                    xc0 = FloatVector.fromArray(F8, x, xc + i);
            FloatVector w = FloatVector.fromArray(F8, wf, i);
            a0 = w.lanewise(VectorOperators.FMA, xa0, a0);
            b0 = w.lanewise(VectorOperators.FMA, xb0, b0);
            c0 = w.lanewise(VectorOperators.FMA, xc0, c0);
            w = FloatVector.fromArray(F8, wf, n + i);
            a1 = w.lanewise(VectorOperators.FMA, xa0, a1);
            b1 = w.lanewise(VectorOperators.FMA, xb0, b1);
            c1 = w.lanewise(VectorOperators.FMA, xc0, c1);
            w = FloatVector.fromArray(F8, wf, n2 + i);
            a2 = w.lanewise(VectorOperators.FMA, xa0, a2);
            b2 = w.lanewise(VectorOperators.FMA, xb0, b2);
            c2 = w.lanewise(VectorOperators.FMA, xc0, c2);
            w = FloatVector.fromArray(F8, wf, n3 + i);
            a3 = w.lanewise(VectorOperators.FMA, xa0, a3);
            b3 = w.lanewise(VectorOperators.FMA, xb0, b3);
            c3 = w.lanewise(VectorOperators.FMA, xc0, c3);
        }
        out[oa] = FloatKernels.hsum(a0);
        out[oa + 1] = FloatKernels.hsum(a1);
        out[oa + 2] = FloatKernels.hsum(a2);
        out[oa + 3] = FloatKernels.hsum(a3);
        out[ob] = FloatKernels.hsum(b0);
        out[ob + 1] = FloatKernels.hsum(b1);
        out[ob + 2] = FloatKernels.hsum(b2);
        out[ob + 3] = FloatKernels.hsum(b3);
        out[oc] = FloatKernels.hsum(c0);
        out[oc + 1] = FloatKernels.hsum(c1);
        out[oc + 2] = FloatKernels.hsum(c2);
        out[oc + 3] = FloatKernels.hsum(c3);
    }
}

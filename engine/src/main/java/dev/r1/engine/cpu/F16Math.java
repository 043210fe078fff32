package dev.r1.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Half-precision helpers in vectors (the Vector API has no half-float conversion in JDK 25): widening by
 * bit placement and a power-of-two rescale (exact for every finite half, subnormals included), and
 * rounding a float to half precision by Veltkamp splitting (11 significant bits, round to nearest; exact
 * f16 rounding for |x| >= 2^-14, i.e. everywhere but the half-subnormal range).
 */
final class F16Math {
    private F16Math() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_MAX.withShape(VectorWidths.SHAPE);
    static final VectorSpecies<Integer> I = IntVector.SPECIES_MAX.withShape(VectorWidths.SHAPE);
    static final VectorSpecies<Short> S = ShortVector.SPECIES_MAX.withShape(
            jdk.incubator.vector.VectorShape.forBitSize(F.vectorBitSize() / 2));
    static final int L = F.length();
    private static final float TWO_112 = 0x1p112f;
    private static final float SPLIT = 8193f; // 2^13 + 1: keeps 24 - 13 = 11 significant bits

    /**
     * Finite half-float bits, sign-extended to ints, as floats. Shifted left by 13, the exponent and
     * fraction sit where a float's do, with the sign at bit 31 and three copies of it at bits 30..28,
     * which the mask clears; one exact multiply by 2^112 then rebiases the exponent (subnormal halves
     * become float subnormals scaled by 2^-112 and come out exact too). Four operations.
     */
    static FloatVector widen(IntVector h) {
        return h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFFFFF).reinterpretAsFloats().mul(TWO_112);
    }

    /** {@code dst[0..n) = (float) src[at ..]} for half-float bits. */
    static void toFloat(short[] src, int at, float[] dst, int n) {
        toFloat(src, at, dst, 0, n);
    }

    /** {@code dst[dOff..dOff+n) = (float) src[at ..]} for half-float bits. */
    static void toFloat(short[] src, int at, float[] dst, int dOff, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            widen((IntVector) ShortVector.fromArray(S, src, at + i).convertShape(VectorOperators.S2I, I, 0)).intoArray(dst, dOff + i);
        }
        for (; i < n; i++) dst[dOff + i] = Float.float16ToFloat(src[at + i]);
    }

    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> S8 = ShortVector.SPECIES_128;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;

    /** Eight half-float bits at {@code src[at ..]} widened to {@code dst[d ..]} (256-bit vectors, as every AVX2 kernel). */
    static void widen8(short[] src, int at, float[] dst, int d) {
        IntVector h = (IntVector) ShortVector.fromArray(S8, src, at).convertShape(VectorOperators.S2I, I8, 0);
        ((FloatVector) h.lanewise(VectorOperators.LSHL, 13).lanewise(VectorOperators.AND, 0x8FFFFFFF).reinterpretShape(F8, 0))
                .lanewise(VectorOperators.MUL, TWO_112).intoArray(dst, d); // widen(), at this fixed width
    }

    /**
     * Dot product of two rows holding half-precision values, summed in one fixed order (four 8-lane
     * accumulators over steps of 32, folded pairwise, lanes added as {@code ((0+4)+(1+5))+((2+6)+(3+7))},
     * as ggml's F16 dot on x86). A fixed order keeps scores identical whichever JIT tier runs and equal to
     * llama.cpp's; {@code reduceLanes} leaves the order open. {@code v} is 8 floats of scratch from the
     * caller: fetching it here (a {@code ThreadLocal}) while the accumulators are live let C2 box them.
     */
    static float dotHalfRows(float[] a, int ao, float[] b, int bo, int n, float[] v) {
        int i = 0;
        FloatVector s0 = FloatVector.zero(F8), s1 = s0, s2 = s0, s3 = s0;
        for (; i <= n - 32; i += 32) {
            s0 = FloatVector.fromArray(F8, a, ao + i).fma(FloatVector.fromArray(F8, b, bo + i), s0);
            s1 = FloatVector.fromArray(F8, a, ao + i + 8).fma(FloatVector.fromArray(F8, b, bo + i + 8), s1);
            s2 = FloatVector.fromArray(F8, a, ao + i + 16).fma(FloatVector.fromArray(F8, b, bo + i + 16), s2);
            s3 = FloatVector.fromArray(F8, a, ao + i + 24).fma(FloatVector.fromArray(F8, b, bo + i + 24), s3);
        }
        s0.add(s2).add(s1.add(s3)).intoArray(v, 0);
        float t0 = v[0] + v[4], t1 = v[1] + v[5], t2 = v[2] + v[6], t3 = v[3] + v[7];
        double sum = ((t0 + t1) + (t2 + t3));
        for (; i < n; i++) sum += a[ao + i] * b[bo + i]; // leftovers: float products summed in double, as ggml
        return (float) sum;
    }

    /**
     * Attention scores of one query against keys in blocks of eight ({@code kb[(j/8)*hd*8 + e*8 + j%8]},
     * element e of key j, {@link KvCache#keysBlocked}): {@code sc[j] = (q · k_j) * scale}, eight keys per
     * vector so no sum crosses lanes. Per key the products are summed exactly as {@link #dotHalfRows} sums
     * them (ggml's F16 dot): accumulator a, lane l holds elements {@code 32i + 8a + l} in order of i; then
     * {@code (a0+a2)+(a1+a3)}; then lanes {@code ((0+4)+(1+5))+((2+6)+(3+7))}. Here "lane l" is a whole
     * vector of 8 keys, parked in {@code part} (64 floats). {@code qs[qo ..]} is the query spread to 8 lanes
     * per element; {@code hd % 32 == 0}; {@code sc} holds {@code len} rounded up to 8.
     */
    static void scoresBlocked(float[] qs, int qo, int hd, float[] kb, int len, float scale, float[] sc, float[] part) {
        for (int j = 0; j < len; j += 8) {
            int base = j * hd; // block j/8 starts at (j/8)*hd*8
            // one loop body, no helper: a helper returning a vector that C2 leaves un-inlined gets boxed
            for (int l = 0; l < 8; l++) {
                FloatVector a0 = FloatVector.zero(F8), a1 = a0, a2 = a0, a3 = a0;
                if (hd == 128) { // every distill: the four steps written out, constant offsets (one bounds check each)
                    int k = base + 8 * l, x = qo + 8 * l;
                    a0 = FloatVector.fromArray(F8, qs, x).fma(FloatVector.fromArray(F8, kb, k), a0);
                    a1 = FloatVector.fromArray(F8, qs, x + 64).fma(FloatVector.fromArray(F8, kb, k + 64), a1);
                    a2 = FloatVector.fromArray(F8, qs, x + 128).fma(FloatVector.fromArray(F8, kb, k + 128), a2);
                    a3 = FloatVector.fromArray(F8, qs, x + 192).fma(FloatVector.fromArray(F8, kb, k + 192), a3);
                    a0 = FloatVector.fromArray(F8, qs, x + 256).fma(FloatVector.fromArray(F8, kb, k + 256), a0);
                    a1 = FloatVector.fromArray(F8, qs, x + 320).fma(FloatVector.fromArray(F8, kb, k + 320), a1);
                    a2 = FloatVector.fromArray(F8, qs, x + 384).fma(FloatVector.fromArray(F8, kb, k + 384), a2);
                    a3 = FloatVector.fromArray(F8, qs, x + 448).fma(FloatVector.fromArray(F8, kb, k + 448), a3);
                    a0 = FloatVector.fromArray(F8, qs, x + 512).fma(FloatVector.fromArray(F8, kb, k + 512), a0);
                    a1 = FloatVector.fromArray(F8, qs, x + 576).fma(FloatVector.fromArray(F8, kb, k + 576), a1);
                    a2 = FloatVector.fromArray(F8, qs, x + 640).fma(FloatVector.fromArray(F8, kb, k + 640), a2);
                    a3 = FloatVector.fromArray(F8, qs, x + 704).fma(FloatVector.fromArray(F8, kb, k + 704), a3);
                    a0 = FloatVector.fromArray(F8, qs, x + 768).fma(FloatVector.fromArray(F8, kb, k + 768), a0);
                    a1 = FloatVector.fromArray(F8, qs, x + 832).fma(FloatVector.fromArray(F8, kb, k + 832), a1);
                    a2 = FloatVector.fromArray(F8, qs, x + 896).fma(FloatVector.fromArray(F8, kb, k + 896), a2);
                    a3 = FloatVector.fromArray(F8, qs, x + 960).fma(FloatVector.fromArray(F8, kb, k + 960), a3);
                } else for (int i = l; i < hd; i += 32) {
                    a0 = FloatVector.fromArray(F8, qs, qo + 8 * i).fma(FloatVector.fromArray(F8, kb, base + 8 * i), a0);
                    a1 = FloatVector.fromArray(F8, qs, qo + 8 * i + 64).fma(FloatVector.fromArray(F8, kb, base + 8 * i + 64), a1);
                    a2 = FloatVector.fromArray(F8, qs, qo + 8 * i + 128).fma(FloatVector.fromArray(F8, kb, base + 8 * i + 128), a2);
                    a3 = FloatVector.fromArray(F8, qs, qo + 8 * i + 192).fma(FloatVector.fromArray(F8, kb, base + 8 * i + 192), a3);
                }
                a0.add(a2).add(a1.add(a3)).intoArray(part, 8 * l);
            }
            FloatVector u0 = FloatVector.fromArray(F8, part, 0).add(FloatVector.fromArray(F8, part, 32))
                    .add(FloatVector.fromArray(F8, part, 8).add(FloatVector.fromArray(F8, part, 40)));
            FloatVector u1 = FloatVector.fromArray(F8, part, 16).add(FloatVector.fromArray(F8, part, 48))
                    .add(FloatVector.fromArray(F8, part, 24).add(FloatVector.fromArray(F8, part, 56)));
            u0.add(u1).mul(scale).intoArray(sc, j);
        }
    }

    /**
     * {@link #scoresBlocked} for head size 128 at the accumulator's width when that is 16 lanes (AVX-512): keys in blocks of
     * sixteen ({@code kb[(j/16)*hd*16 + e*16 + j%16]}, {@link KvCache#keysBlocked16}), the query compact
     * ({@code q[qo ..]}, F16-rounded) and broadcast per element, each key's products summed in exactly
     * {@link #scoresBlocked}'s order. Half the instructions of the 8-lane form for the same products.
     * {@code sc} (len rounded up to 16) and {@code part} (128 floats) are stored with {@code intoArray}: through
     * heap segments (the form until session 25) C2 did not intrinsify the stores in a whole model's decode (perf:
     * ~4 % of a 1.5B Q4_K_M token at depths 8-400 in the Vector API's Java fallback), as session 21 found for the
     * matmul kernels' outputs.
     */
    static void scoresBlocked16(float[] q, int qo, float[] kb, int len, float scale, float[] sc, float[] part) {
        VectorSpecies<Float> F = FA;
        int hd = 128;
        FloatVector SC = FloatVector.broadcast(F, scale);
        for (int j = 0; j < len; j += 16) {
            int base = j * hd; // block j/16 starts at (j/16)*hd*16
            for (int l = 0; l < 8; l++) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                // written out for head size 128 (every distill), so the accumulators are never loop variables:
                // as such (a loop over the head), in about 1 of 6 compiles (no tiers, ForwardAllocationTest)
                // C2 left their adds un-intrinsified and boxed them (39 KB a decode step)
                int k = base + 16 * l, x = qo + l;
                a0 = FloatVector.broadcast(F, q[x]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k), a0);
                a1 = FloatVector.broadcast(F, q[x + 8]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 128), a1);
                a2 = FloatVector.broadcast(F, q[x + 16]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 256), a2);
                a3 = FloatVector.broadcast(F, q[x + 24]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 384), a3);
                a0 = FloatVector.broadcast(F, q[x + 32]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 512), a0);
                a1 = FloatVector.broadcast(F, q[x + 40]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 640), a1);
                a2 = FloatVector.broadcast(F, q[x + 48]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 768), a2);
                a3 = FloatVector.broadcast(F, q[x + 56]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 896), a3);
                a0 = FloatVector.broadcast(F, q[x + 64]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 1024), a0);
                a1 = FloatVector.broadcast(F, q[x + 72]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 1152), a1);
                a2 = FloatVector.broadcast(F, q[x + 80]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 1280), a2);
                a3 = FloatVector.broadcast(F, q[x + 88]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 1408), a3);
                a0 = FloatVector.broadcast(F, q[x + 96]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 1536), a0);
                a1 = FloatVector.broadcast(F, q[x + 104]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 1664), a1);
                a2 = FloatVector.broadcast(F, q[x + 112]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 1792), a2);
                a3 = FloatVector.broadcast(F, q[x + 120]).lanewise(VectorOperators.FMA, FloatVector.fromArray(F, kb, k + 1920), a3);
                a0.lanewise(VectorOperators.ADD, a2).lanewise(VectorOperators.ADD, a1.lanewise(VectorOperators.ADD, a3))
                        .intoArray(part, 16 * l);
            }
            FloatVector u0 = FloatVector.fromArray(F, part, 0).lanewise(VectorOperators.ADD, FloatVector.fromArray(F, part, 64))
                    .lanewise(VectorOperators.ADD, FloatVector.fromArray(F, part, 16).lanewise(VectorOperators.ADD, FloatVector.fromArray(F, part, 80)));
            FloatVector u1 = FloatVector.fromArray(F, part, 32).lanewise(VectorOperators.ADD, FloatVector.fromArray(F, part, 96))
                    .lanewise(VectorOperators.ADD, FloatVector.fromArray(F, part, 48).lanewise(VectorOperators.ADD, FloatVector.fromArray(F, part, 112)));
            u0.lanewise(VectorOperators.ADD, u1).lanewise(VectorOperators.MUL, SC).intoArray(sc, j);
        }
    }

    /** x rounded to half precision (as a float). */
    static float round(float x) {
        float t = x * SPLIT;
        return t - (t - x);
    }

    /**
     * The accumulator's vectors: the repacked kernels' width ({@link VectorWidths#REPACK}, 512 bits on AVX-512),
     * which this kernel may use for the same reason they do (every call a method the concrete class overrides).
     * Lanes are independent, so the width changes no
     * result; at 512 bits a decoded token's accumulation took half the time (Zen 4, 4.6 vs 9.3 ns per position
     * and head): it is bound by the instructions issued, and each carries twice the lanes.
     */
    static final VectorSpecies<Float> FA = FloatVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    static final int LA = FA.length();

    /**
     * Columns {@code c .. c+8LA} of one head's F16 accumulator ({@code acc[o ..]}, continued from its
     * value there; {@code accSeg} is {@code acc} as a heap segment, which the stores go through) over positions {@code 0..len} of {@code v}:
     * at position j, {@code acc = half(acc * ms[j])} when {@code ms[j]} is not NaN (a new maximum), then
     * {@code acc = half(fma(v[j], vs[j], acc))}, with half() = {@link #round(float)}, the eight vectors kept in
     * registers meanwhile: eight independent rounding chains per position, so the chain's latency (multiply-add,
     * then the three operations of the rounding, 13 cycles) does not set the pace as it did with four.
     */
    static void accumulateRound8(float[] v, int hd, int c, int len, float[] ms, float[] vs, float[] acc,
                                 java.lang.foreign.MemorySegment accSeg, int o) {
        // Only methods the concrete vector class overrides (lanewise(op, vector)): the shortcuts (sub, mul,
        // fma) share one type profile with every other shape in the process, and with the 512-bit Q4_0
        // kernels beside this one C2 boxed here (~470 MB/s of garbage decoding at depth 512, Zen 4).
        int L2 = LA;
        VectorSpecies<Float> F = FA;
        FloatVector SP = FloatVector.broadcast(F, SPLIT);
        FloatVector a0 = FloatVector.fromArray(F, acc, o), a1 = FloatVector.fromArray(F, acc, o + L2),
                a2 = FloatVector.fromArray(F, acc, o + 2 * L2), a3 = FloatVector.fromArray(F, acc, o + 3 * L2),
                a4 = FloatVector.fromArray(F, acc, o + 4 * L2), a5 = FloatVector.fromArray(F, acc, o + 5 * L2),
                a6 = FloatVector.fromArray(F, acc, o + 6 * L2), a7 = FloatVector.fromArray(F, acc, o + 7 * L2);
        for (int j = 0; j < len; j++) {
            float mj = ms[j];
            if (mj == mj) { // not NaN: rescale (rare once the maximum settles)
                a0 = roundHalf(SP, a0.lanewise(VectorOperators.MUL, FloatVector.broadcast(F, mj)));
                a1 = roundHalf(SP, a1.lanewise(VectorOperators.MUL, FloatVector.broadcast(F, mj)));
                a2 = roundHalf(SP, a2.lanewise(VectorOperators.MUL, FloatVector.broadcast(F, mj)));
                a3 = roundHalf(SP, a3.lanewise(VectorOperators.MUL, FloatVector.broadcast(F, mj)));
                a4 = roundHalf(SP, a4.lanewise(VectorOperators.MUL, FloatVector.broadcast(F, mj)));
                a5 = roundHalf(SP, a5.lanewise(VectorOperators.MUL, FloatVector.broadcast(F, mj)));
                a6 = roundHalf(SP, a6.lanewise(VectorOperators.MUL, FloatVector.broadcast(F, mj)));
                a7 = roundHalf(SP, a7.lanewise(VectorOperators.MUL, FloatVector.broadcast(F, mj)));
            }
            int at = j * hd + c;
            FloatVector vj = FloatVector.broadcast(F, vs[j]);
            FloatVector x0 = FloatVector.fromArray(F, v, at).lanewise(VectorOperators.FMA, vj, a0), t0 = x0.lanewise(VectorOperators.MUL, SP);
            FloatVector x1 = FloatVector.fromArray(F, v, at + L2).lanewise(VectorOperators.FMA, vj, a1), t1 = x1.lanewise(VectorOperators.MUL, SP);
            FloatVector x2 = FloatVector.fromArray(F, v, at + 2 * L2).lanewise(VectorOperators.FMA, vj, a2), t2 = x2.lanewise(VectorOperators.MUL, SP);
            FloatVector x3 = FloatVector.fromArray(F, v, at + 3 * L2).lanewise(VectorOperators.FMA, vj, a3), t3 = x3.lanewise(VectorOperators.MUL, SP);
            FloatVector x4 = FloatVector.fromArray(F, v, at + 4 * L2).lanewise(VectorOperators.FMA, vj, a4), t4 = x4.lanewise(VectorOperators.MUL, SP);
            FloatVector x5 = FloatVector.fromArray(F, v, at + 5 * L2).lanewise(VectorOperators.FMA, vj, a5), t5 = x5.lanewise(VectorOperators.MUL, SP);
            FloatVector x6 = FloatVector.fromArray(F, v, at + 6 * L2).lanewise(VectorOperators.FMA, vj, a6), t6 = x6.lanewise(VectorOperators.MUL, SP);
            FloatVector x7 = FloatVector.fromArray(F, v, at + 7 * L2).lanewise(VectorOperators.FMA, vj, a7), t7 = x7.lanewise(VectorOperators.MUL, SP);
            a0 = t0.lanewise(VectorOperators.SUB, t0.lanewise(VectorOperators.SUB, x0));
            a1 = t1.lanewise(VectorOperators.SUB, t1.lanewise(VectorOperators.SUB, x1));
            a2 = t2.lanewise(VectorOperators.SUB, t2.lanewise(VectorOperators.SUB, x2));
            a3 = t3.lanewise(VectorOperators.SUB, t3.lanewise(VectorOperators.SUB, x3));
            a4 = t4.lanewise(VectorOperators.SUB, t4.lanewise(VectorOperators.SUB, x4));
            a5 = t5.lanewise(VectorOperators.SUB, t5.lanewise(VectorOperators.SUB, x5));
            a6 = t6.lanewise(VectorOperators.SUB, t6.lanewise(VectorOperators.SUB, x6));
            a7 = t7.lanewise(VectorOperators.SUB, t7.lanewise(VectorOperators.SUB, x7));
        }
        // still through a heap segment (the scores' stores went to arrays in session 25): at 512 bits these eight
        // stores a call are ~0.4 % of a Q4_K_M token in the Java fallback, and with intoArray the default file under
        // -XX:UseAVX=2 read slower in four alternated pairs, then mixed in four more: left as it was where unclear
        long b = (long) o * Float.BYTES, step = (long) L2 * Float.BYTES;
        a0.intoMemorySegment(accSeg, b, NATIVE);
        a1.intoMemorySegment(accSeg, b + step, NATIVE);
        a2.intoMemorySegment(accSeg, b + 2 * step, NATIVE);
        a3.intoMemorySegment(accSeg, b + 3 * step, NATIVE);
        a4.intoMemorySegment(accSeg, b + 4 * step, NATIVE);
        a5.intoMemorySegment(accSeg, b + 5 * step, NATIVE);
        a6.intoMemorySegment(accSeg, b + 6 * step, NATIVE);
        a7.intoMemorySegment(accSeg, b + 7 * step, NATIVE);
    }

    private static final java.nio.ByteOrder NATIVE = java.nio.ByteOrder.nativeOrder();

    /** {@link #round(float)} on a vector (small enough for C2 to inline, so nothing is boxed). */
    private static FloatVector roundHalf(FloatVector split, FloatVector x) {
        FloatVector t = x.lanewise(VectorOperators.MUL, split);
        return t.lanewise(VectorOperators.SUB, t.lanewise(VectorOperators.SUB, x));
    }

    /** {@link #accumulateRound8} for a head size that is not a multiple of eight vectors (not a distill's). */
    static void accumulateRoundScalar(float[] v, int hd, int len, float[] ms, float[] vs, float[] acc, int o) {
        for (int i = 0; i < hd; i++) {
            float a = acc[o + i];
            for (int j = 0; j < len; j++) {
                if (ms[j] == ms[j]) a = round(a * ms[j]);
                a = round(Math.fma(v[j * hd + i], vs[j], a));
            }
            acc[o + i] = a;
        }
    }

    /**
     * Scores of one query row (F32, {@code q[qo ..]}) against {@code n8} keys (a multiple of 8) in the
     * cache's blocked layout: each an fma chain over the dimensions in order, from zero, as ggml's
     * {@code simd_gemm} computes {@code K·Q} (one lane per key). Four blocks of keys at a time so four
     * chains are in flight.
     */
    static void scoresChained(float[] q, int qo, int hd, float[] kb, int n8, float[] sc) {
        int j = 0;
        for (; j + 32 <= n8; j += 32) {
            int b0 = j * hd, b1 = b0 + 8 * hd, b2 = b1 + 8 * hd, b3 = b2 + 8 * hd;
            FloatVector a0 = FloatVector.zero(F8), a1 = a0, a2 = a0, a3 = a0;
            for (int x = 0; x < hd; x++) {
                FloatVector qx = FloatVector.broadcast(F8, q[qo + x]);
                a0 = qx.fma(FloatVector.fromArray(F8, kb, b0 + 8 * x), a0);
                a1 = qx.fma(FloatVector.fromArray(F8, kb, b1 + 8 * x), a1);
                a2 = qx.fma(FloatVector.fromArray(F8, kb, b2 + 8 * x), a2);
                a3 = qx.fma(FloatVector.fromArray(F8, kb, b3 + 8 * x), a3);
            }
            a0.intoArray(sc, j);
            a1.intoArray(sc, j + 8);
            a2.intoArray(sc, j + 16);
            a3.intoArray(sc, j + 24);
        }
        for (; j < n8; j += 8) {
            int b0 = j * hd;
            FloatVector a0 = FloatVector.zero(F8);
            for (int x = 0; x < hd; x++) a0 = FloatVector.broadcast(F8, q[qo + x]).fma(FloatVector.fromArray(F8, kb, b0 + 8 * x), a0);
            a0.intoArray(sc, j);
        }
    }

    /**
     * {@code acc[o + d] = fma(w[j], v[j*hd + d], acc[o + d])} for j = 0..n in order: ggml's {@code simd_gemm}
     * of a tile's weights and values (one fma chain per column). Four column vectors at a time.
     */
    static void accumulateChained(float[] v, int hd, int n, float[] w, float[] acc, int o) {
        int d = 0;
        for (; d + 32 <= hd; d += 32) {
            FloatVector a0 = FloatVector.fromArray(F8, acc, o + d), a1 = FloatVector.fromArray(F8, acc, o + d + 8),
                    a2 = FloatVector.fromArray(F8, acc, o + d + 16), a3 = FloatVector.fromArray(F8, acc, o + d + 24);
            for (int j = 0; j < n; j++) {
                FloatVector wj = FloatVector.broadcast(F8, w[j]);
                int at = j * hd + d;
                a0 = wj.fma(FloatVector.fromArray(F8, v, at), a0);
                a1 = wj.fma(FloatVector.fromArray(F8, v, at + 8), a1);
                a2 = wj.fma(FloatVector.fromArray(F8, v, at + 16), a2);
                a3 = wj.fma(FloatVector.fromArray(F8, v, at + 24), a3);
            }
            a0.intoArray(acc, o + d);
            a1.intoArray(acc, o + d + 8);
            a2.intoArray(acc, o + d + 16);
            a3.intoArray(acc, o + d + 24);
        }
        for (; d < hd; d += 8) {
            FloatVector a0 = FloatVector.fromArray(F8, acc, o + d);
            for (int j = 0; j < n; j++) a0 = FloatVector.broadcast(F8, w[j]).fma(FloatVector.fromArray(F8, v, j * hd + d), a0);
            a0.intoArray(acc, o + d);
        }
    }
}

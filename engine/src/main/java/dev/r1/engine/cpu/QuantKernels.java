package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Integer dot products of Q4_0 / Q8_0 weight rows with activations quantized to 8 bits per block of 32
 * (as llama.cpp does): per block, weight and activation bytes are widened to 16-bit lanes, multiplied
 * (products fit: |w| <= 15 or 127, |a| <= 127), two products summed in 16 bits (<= 32258), adjacent
 * 16-bit lanes summed into 32 bits by shifts (the Vector API has no multiply-add-pairs; for Q4_0, whose
 * pair sums fit 16 bits, the high half of {@code v + (v << 16)} does it in one op less), converted to float and accumulated with the block's scale product by one FMA.
 * The horizontal sum happens once per row, not once per block. Vector code stays inside each kernel:
 * C2 does not always inline a helper taking or returning vectors, and then boxes every vector (10x slower).
 *
 * <p>Activations are kept pre-widened to {@code short} (one conversion per activation instead of one per
 * activation per weight row). Vectors are of the preferred shape capped at 256 bits: a 16-bit lane vector
 * of 256 bits covers half a block, which matches Q4_0's split into low and high nibbles; wider shapes
 * would need cross-lane shuffles for no gain in a loop bound by loads. Narrower shapes (128-bit) run the
 * same code with two steps per half-block.
 */
public final class QuantKernels {
    private QuantKernels() {}

    // block constants from the models module's type classes (the one definition of each layout)
    public static final int QK = GgmlType.Q4_0.blockSize();
    public static final int Q4_0_BYTES = (int) GgmlType.Q4_0.typeSize();
    public static final int Q8_0_BYTES = (int) GgmlType.Q8_0.typeSize();

    static final VectorShape SHAPE = VectorWidths.QUANT;
    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_MAX.withShape(SHAPE);
    static final VectorSpecies<Integer> I32 = IntVector.SPECIES_MAX.withShape(SHAPE);
    static final VectorSpecies<Float> F32 = FloatVector.SPECIES_MAX.withShape(SHAPE);
    /**
     * -0 + v = v for every float v (±0 and NaN included): {@code NEG_ZERO.add(acc)} gives an accumulator
     * that went through a loop's phi an exact class again, so that the call after the loop ({@code intoArray},
     * {@code reduceLanes}) has an exact receiver. Without it C2 inlines that call by the JVM-wide receiver
     * profile of the Vector API's shared methods; when other code ran another shape of float vector there
     * while it was taken (ExpF's 128-bit vectors), C2 inlines both shapes, the store's species is no longer
     * a constant, its intrinsic fails, and the kernel's vectors get boxed: decoding ran ~35% slower in about
     * one process of three. Loop-carried vectors are only ever arguments inside the loops for the same reason.
     */
    static final FloatVector NEG_ZERO = FloatVector.broadcast(F32, -0.0f);
    /** Bytes that widen into one {@link #S16} vector: half its bit size. */
    static final VectorSpecies<Byte> B8 = VectorSpecies.of(byte.class, VectorShape.forBitSize(SHAPE.vectorBitSize() / 2));
    static final int SL = S16.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /**
     * Quantizes {@code cols} floats (a multiple of 32) to 8-bit blocks as ggml's {@code quantize_row_q8_0}:
     * d = amax/127, q = round-to-nearest-even(x*127/amax) as its AVX2 version; the block scale is stored rounded to f16 (as the
     * block format does) so products match llama.cpp's.
     */
    public static void quantizeQ8(float[] x, int xOff, int cols, short[] q, int qOff, float[] d, int dOff) {
        quantizeQ8(x, xOff, cols, q, qOff, d, dOff, false);
    }

    /** {@link #quantizeQ8}, storing each block in natural order or in the pair layout ({@link #quantizeQ8Pairs}). */
    static void quantizeQ8(float[] x, int xOff, int cols, short[] q, int qOff, float[] d, int dOff, boolean pairs) {
        if (!pairs) {
            quantizeQ8Vector(x, xOff, cols, q, qOff, d, dOff);
            return;
        }
        for (int b = 0; b < cols / QK; b++) {
            int o = xOff + b * QK;
            float amax = 0;
            for (int i = 0; i < QK; i++) amax = Math.max(amax, Math.abs(x[o + i]));
            float dd = amax / 127f;
            float id = amax != 0 ? 127f / amax : 0f; // as ggml's AVX2 quantize_row_q8_0
            d[dOff + b] = Float.float16ToFloat(Float.floatToFloat16(dd));
            int qo = qOff + b * QK;
            // the pair layout (natural order went vectorized); nearest-even, as _mm256_round_ps
            for (int i = 0; i < QK; i++) q[qo + (i >> 1) + (i & 1) * 16] = (short) Math.rint(x[o + i] * id);
        }
    }

    private static final VectorSpecies<Short> S16_HALF = VectorSpecies.of(short.class, VectorShape.forBitSize(F32.vectorBitSize() / 2));
    /** 1.5·2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest even integer. */
    private static final float ROUND = 0x1.8p23f;

    /**
     * {@link #quantizeQ8} in natural order, vectorized (decoding quantizes ~13.5K activations per layer on
     * one thread while the other waits): the same values — the block maximum does not depend on order,
     * and |x·id| <= 127 rounds to nearest even exactly through {@link #ROUND}.
     */
    private static void quantizeQ8Vector(float[] x, int xOff, int cols, short[] q, int qOff, float[] d, int dOff) {
        int L = F32.length();
        for (int b = 0; b < cols / QK; b++) {
            int o = xOff + b * QK;
            FloatVector m = FloatVector.zero(F32);
            for (int i = 0; i < QK; i += L) m = m.max(FloatVector.fromArray(F32, x, o + i).abs());
            float amax = m.reduceLanes(VectorOperators.MAX);
            float dd = amax / 127f;
            float id = amax != 0 ? 127f / amax : 0f;
            d[dOff + b] = Float.float16ToFloat(Float.floatToFloat16(dd));
            int qo = qOff + b * QK;
            for (int i = 0; i < QK; i += L) {
                FloatVector t = FloatVector.fromArray(F32, x, o + i).mul(id).add(ROUND).sub(ROUND);
                ((ShortVector) t.convertShape(VectorOperators.F2S, S16_HALF, 0)).intoArray(q, qo + i);
            }
        }
    }

    /**
     * One block of 256 of {@link KQuants#quantizeQ8K}, vectorized, with the scalar form's results: the signed value of
     * the first element of largest magnitude sets the scale ({@code -127/max}), each quant is {@code x·iscale} rounded
     * to nearest even through {@link #ROUND} (|x·iscale| <= 127, well below 2^22) and capped at 127, and the sums of 16
     * are sums of small integers held exactly in floats. Returns false, touching nothing, when the block's largest
     * magnitude or its scale is not finite (NaN, infinity, a subnormal maximum: the caller then takes the scalar form).
     */
    static boolean quantizeQ8KBlock(float[] x, int o, short[] q, int qo, float[] d, int di, int[] bsums, int bo) {
        int L = F32.length();
        FloatVector m = FloatVector.zero(F32);
        for (int i = 0; i < 256; i += L) m = m.max(FloatVector.fromArray(F32, x, o + i).abs());
        float amax = m.reduceLanes(VectorOperators.MAX);
        if (!Float.isFinite(amax)) return false;
        if (amax == 0) {
            d[di] = 0;
            java.util.Arrays.fill(q, qo, qo + 256, (short) 0);
            java.util.Arrays.fill(bsums, bo, bo + 16, 0);
            return true;
        }
        float max = 0;
        for (int i = 0; i < 256; i += L) {
            VectorMask<Float> at = FloatVector.fromArray(F32, x, o + i).abs().compare(VectorOperators.EQ, amax);
            if (at.anyTrue()) {
                max = x[o + i + at.firstTrue()];
                break;
            }
        }
        float iscale = -127f / max;
        if (!Float.isFinite(iscale)) return false; // a subnormal maximum: the scalar form's integer casts decide
        for (int g = 0; g < 16; g++) {
            FloatVector sum = FloatVector.zero(F32);
            for (int i = 16 * g; i < 16 * g + 16; i += L) {
                FloatVector t = FloatVector.fromArray(F32, x, o + i).mul(iscale).add(ROUND).sub(ROUND).min(127f);
                ((ShortVector) t.convertShape(VectorOperators.F2S, S16_HALF, 0)).intoArray(q, qo + i);
                sum = sum.add(t);
            }
            bsums[bo + g] = (int) sum.reduceLanes(VectorOperators.ADD);
        }
        d[di] = 1 / iscale;
        return true;
    }

    /**
     * As {@link #quantizeQ8}, but each block's quants stored in the pair layout the Q8_0 kernels read:
     * the 16 even elements, then the 16 odd ones. A Q8_0 weight block read as 16-bit lanes holds
     * elements (2j, 2j+1) in lane j, so the product pairs up lanes (2j, 2j+1) and the 32-bit pair sum of
     * that gives elements 4k..4k+3 in lane k: the lane sums ggml's integer dot produces, so the float
     * accumulation that follows is ggml's, bit for bit.
     */
    public static void quantizeQ8Pairs(float[] x, int xOff, int cols, short[] q, int qOff, float[] d, int dOff) {
        quantizeQ8(x, xOff, cols, q, qOff, d, dOff, true);
    }

    /**
     * Sums lanes {@code t[o .. o+F32.length())} of an accumulator stored with {@code intoArray}; 8 lanes in
     * the order of ggml's {@code hsum_float_8}: {@code ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7))}.
     * {@code reduceLanes} leaves the order open (it differs between the interpreter and C2), and a helper
     * taking the vector itself is not always inlined into the kernels, which then box every vector. The
     * scratch array comes from the caller: a call (such as {@code ThreadLocal.get}) made while vectors are
     * live made C2 box them, measured as ~30% slower decoding. The row-major Q4_0 kernels end with
     * {@link FloatKernels#hsum} (same order, lanes read by constant index): llama.cpp repacks Q4_0 and adds
     * in another order, so there is no order to match there, only one that does not change with the JIT tier.
     */
    static float laneSum(float[] t, int o) {
        if (F32.length() == 8) return ((t[o] + t[o + 4]) + (t[o + 2] + t[o + 6])) + ((t[o + 1] + t[o + 5]) + (t[o + 3] + t[o + 7]));
        float s = 0;
        for (int i = 0; i < F32.length(); i++) s += t[o + i];
        return s;
    }

    /** Scratch for {@link #laneSum}: two accumulators' lanes. */
    public static float[] laneScratch() { return new float[2 * F32.length()]; }

    /** {@code ds[b] = d[b] * Σ q} over each block: the activation sums weight types with offsets need. */
    public static void blockSums(short[] q, int qOff, float[] d, float[] ds, int dOff, int blocks) {
        for (int b = 0; b < blocks; b++) {
            int s = 0;
            for (int i = 0; i < QK; i++) s += q[qOff + b * QK + i];
            ds[dOff + b] = d[dOff + b] * s;
        }
    }

    private static float f16(MemorySegment w, long off) {
        return Float.float16ToFloat(w.get(QuantLayouts.I16, off));
    }

    /**
     * Q4_0 row (at {@code rowOff}, {@code blocks} blocks) · one quantized activation vector. The weights'
     * offset of 8 is not subtracted per lane: Σ(q-8)a = Σqa - 8Σa, with {@code ds[b]} = d_a·Σa per block,
     * which saves three vector ops per block in the hottest loop of decoding.
     */
    public static float dotQ4_0(MemorySegment w, long rowOff, int blocks, short[] q, int qOff, float[] d, float[] ds, int dOff) {
        FloatVector acc = FloatVector.zero(F32);
        float corr = 0;
        for (int b = 0; b < blocks; b++) {
            long off = rowOff + (long) b * Q4_0_BYTES;
            float sw = f16(w, off);
            float scale = sw * d[dOff + b];
            corr += sw * ds[dOff + b];
            int qb = qOff + b * QK;
            for (int j = 0; j < 16; j += SL) {
                ShortVector raw = (ShortVector) ByteVector.fromMemorySegment(B8, w, off + 2 + j, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                ShortVector p = raw.and((short) 0x0F).mul(ShortVector.fromArray(S16, q, qb + j))
                        .add(raw.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S16, q, qb + 16 + j)));
                acc = ((FloatVector) p.reinterpretAsInts().add(p.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16))
                        .lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F32, scale), acc);
            }
        }
        return FloatKernels.hsum(NEG_ZERO.add(acc)) - 8 * corr;
    }

    /** An unpacked row · two activation vectors (tokens at {@code qOff} and {@code qOff + qStride}). */
    public static void dotUnpacked2(short[] ws, float[] wd, int blocks, short[] q, int qOff, int qStride,
                                    float[] d, int dOff, int dStride, float[] out, int o, int oStride, float[] t) {
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0;
        for (int b = 0; b < blocks; b++) {
            float s0 = wd[b] * d[dOff + b], s1 = wd[b] * d[dOff + dStride + b];
            int wb = b * QK, qb = qOff + b * QK;
            for (int j = 0; j < 16; j += SL) {
                ShortVector wlo = ShortVector.fromArray(S16, ws, wb + j), whi = ShortVector.fromArray(S16, ws, wb + 16 + j);
                ShortVector p0 = wlo.mul(ShortVector.fromArray(S16, q, qb + j)).add(whi.mul(ShortVector.fromArray(S16, q, qb + 16 + j)));
                ShortVector p1 = wlo.mul(ShortVector.fromArray(S16, q, qb + qStride + j))
                        .add(whi.mul(ShortVector.fromArray(S16, q, qb + qStride + 16 + j)));
                acc0 = ((FloatVector) p0.reinterpretAsInts().lanewise(VectorOperators.ASHR, 16).add(p0.reinterpretAsInts()
                        .lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F32, s0), acc0);
                acc1 = ((FloatVector) p1.reinterpretAsInts().lanewise(VectorOperators.ASHR, 16).add(p1.reinterpretAsInts()
                        .lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F32, s1), acc1);
            }
        }
        NEG_ZERO.add(acc0).intoArray(t, 0);
        NEG_ZERO.add(acc1).intoArray(t, F32.length());
        out[o] = laneSum(t, 0);
        out[o + oStride] = laneSum(t, F32.length());
    }

    /**
     * An unpacked Q4_0 row ({@link #unpackQ4_0}: weights in [-8, 7]) · four activation vectors (tokens at
     * {@code qOff + k*qStride}), for prefill: each weight vector is loaded once for four tokens, and since
     * |w·a| <= 1016 the 16-bit pair sums cannot overflow, so they take the shorter form. Per token the
     * same sums in the same order as {@link #dotUnpacked}.
     */
    public static void dotUnpacked4Q4(short[] ws, float[] wd, int blocks, short[] q, int qOff, int qStride,
                                      float[] d, int dOff, int dStride, float[] out, int o, int oStride) {
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int q1 = qOff + qStride, q2 = q1 + qStride, q3 = q2 + qStride;
        int d1 = dOff + dStride, d2 = d1 + dStride, d3 = d2 + dStride;
        for (int b = 0; b < blocks; b++) {
            float sw = wd[b];
            int wb = b * QK, qb = b * QK;
            for (int j = 0; j < 16; j += SL) {
                ShortVector wlo = ShortVector.fromArray(S16, ws, wb + j), whi = ShortVector.fromArray(S16, ws, wb + 16 + j);
                IntVector p0 = wlo.mul(ShortVector.fromArray(S16, q, qOff + qb + j)).add(whi.mul(ShortVector.fromArray(S16, q, qOff + qb + 16 + j))).reinterpretAsInts();
                IntVector p1 = wlo.mul(ShortVector.fromArray(S16, q, q1 + qb + j)).add(whi.mul(ShortVector.fromArray(S16, q, q1 + qb + 16 + j))).reinterpretAsInts();
                IntVector p2 = wlo.mul(ShortVector.fromArray(S16, q, q2 + qb + j)).add(whi.mul(ShortVector.fromArray(S16, q, q2 + qb + 16 + j))).reinterpretAsInts();
                IntVector p3 = wlo.mul(ShortVector.fromArray(S16, q, q3 + qb + j)).add(whi.mul(ShortVector.fromArray(S16, q, q3 + qb + 16 + j))).reinterpretAsInts();
                acc0 = ((FloatVector) p0.add(p0.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F32, sw * d[dOff + b]), acc0);
                acc1 = ((FloatVector) p1.add(p1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F32, sw * d[d1 + b]), acc1);
                acc2 = ((FloatVector) p2.add(p2.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F32, sw * d[d2 + b]), acc2);
                acc3 = ((FloatVector) p3.add(p3.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                        .convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F32, sw * d[d3 + b]), acc3);
            }
        }
        out[o] = FloatKernels.hsum(NEG_ZERO.add(acc0));
        out[o + oStride] = FloatKernels.hsum(NEG_ZERO.add(acc1));
        out[o + 2 * oStride] = FloatKernels.hsum(NEG_ZERO.add(acc2));
        out[o + 3 * oStride] = FloatKernels.hsum(NEG_ZERO.add(acc3));
    }

    /**
     * Q8_0 row · one activation vector quantized in the pair layout ({@link #quantizeQ8Pairs}): the 16-bit
     * lanes of the weight block are split into their low (even element) and high (odd element) bytes.
     */
    public static float dotQ8_0(MemorySegment w, long rowOff, int blocks, short[] q, int qOff, float[] d, int dOff, float[] t) {
        FloatVector acc = FloatVector.zero(F32);
        for (int b = 0; b < blocks; b++) {
            long off = rowOff + (long) b * Q8_0_BYTES;
            float scale = f16(w, off) * d[dOff + b];
            int qb = qOff + b * QK;
            for (int j = 0; j < 16; j += SL) {
                ShortVector v = ShortVector.fromMemorySegment(S16, w, off + 2 + 2 * j, LE);
                ShortVector even = v.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8);
                ShortVector odd = v.lanewise(VectorOperators.ASHR, 8);
                ShortVector p = even.mul(ShortVector.fromArray(S16, q, qb + j))
                        .add(odd.mul(ShortVector.fromArray(S16, q, qb + 16 + j)));
                acc = ((FloatVector) p.reinterpretAsInts().lanewise(VectorOperators.ASHR, 16).add(p.reinterpretAsInts()
                        .lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F32, scale), acc);
            }
        }
        NEG_ZERO.add(acc).intoArray(t, 0);
        return laneSum(t, 0);
    }

    /**
     * Unpacks a Q4_0 row into 16-bit weights ({@code q - 8}) and float block scales, for batched
     * products: the unpacking is paid once per row and token tile instead of once per token.
     */
    public static void unpackQ4_0(MemorySegment w, long rowOff, int blocks, short[] ws, float[] wd) {
        for (int b = 0; b < blocks; b++) {
            long off = rowOff + (long) b * Q4_0_BYTES;
            wd[b] = f16(w, off);
            for (int j = 0; j < 16; j += SL) {
                ShortVector raw = (ShortVector) ByteVector.fromMemorySegment(B8, w, off + 2 + j, LE)
                        .convertShape(VectorOperators.B2S, S16, 0);
                raw.and((short) 0x0F).sub((short) 8).intoArray(ws, b * QK + j);
                raw.lanewise(VectorOperators.ASHR, 4).and((short) 0x0F).sub((short) 8).intoArray(ws, b * QK + 16 + j);
            }
        }
    }

    /** Unpacks a Q8_0 row into 16-bit weights in the pair layout ({@link #quantizeQ8Pairs}) and float scales. */
    public static void unpackQ8_0(MemorySegment w, long rowOff, int blocks, short[] ws, float[] wd) {
        for (int b = 0; b < blocks; b++) {
            long off = rowOff + (long) b * Q8_0_BYTES;
            wd[b] = f16(w, off);
            for (int j = 0; j < 16; j += SL) {
                ShortVector v = ShortVector.fromMemorySegment(S16, w, off + 2 + 2 * j, LE);
                v.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8).intoArray(ws, b * QK + j);
                v.lanewise(VectorOperators.ASHR, 8).intoArray(ws, b * QK + 16 + j);
            }
        }
    }

    /** An unpacked row ({@link #unpackQ4_0}) · one quantized activation vector. */
    public static float dotUnpacked(short[] ws, float[] wd, int blocks, short[] q, int qOff, float[] d, int dOff, float[] t) {
        FloatVector acc = FloatVector.zero(F32);
        for (int b = 0; b < blocks; b++) {
            float scale = wd[b] * d[dOff + b];
            int wb = b * QK, qb = qOff + b * QK;
            for (int j = 0; j < 16; j += SL) {
                ShortVector p = ShortVector.fromArray(S16, ws, wb + j).mul(ShortVector.fromArray(S16, q, qb + j))
                        .add(ShortVector.fromArray(S16, ws, wb + 16 + j).mul(ShortVector.fromArray(S16, q, qb + 16 + j)));
                acc = ((FloatVector) p.reinterpretAsInts().lanewise(VectorOperators.ASHR, 16).add(p.reinterpretAsInts()
                        .lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F32, scale), acc);
            }
        }
        NEG_ZERO.add(acc).intoArray(t, 0);
        return laneSum(t, 0);
    }
}

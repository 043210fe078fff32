package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tensor.IQ4_NLType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row · activation kernels for the other 32-element block types: Q4_1 and Q5_1 (against Q8_1
 * activations: Q8_0's quants plus {@code s = d·Σq} per block, for the weights' offset {@code m}), Q5_0
 * and IQ4_NL (against Q8_0 activations in natural order), each in the float order of the code llama.cpp
 * runs for it on AVX2, so that logits match its {@code haswell} library bit for bit.
 *
 * <p>Q4_1, Q5_0, Q5_1 ({@code ggml_vec_dot_*} in ggml's x86 quants.c; Q5_0's prefill through llamafile's
 * tinyBLAS adds in the same order): per block, 8 int32 lanes, lane k the exact sum of elements
 * 4k..4k+3 ({@code maddubs} + {@code madd}), converted and FMA'd with the block's scale product into one
 * 8-lane float accumulator; {@code hsum_float_8} at the end, plus (Q4_1/Q5_1) {@code Σ m·s} kept as a
 * scalar FMA chain. Here the elements are widened to 16-bit lanes in natural order (lane j: element j
 * from the low nibble, j+16 from the high one) and multiplied; the 4-element sums fit 16 bits (|w| <= 31,
 * |a| <= 127), so they are formed with 16-bit adds between lanes moved by 32- and 64-bit shifts, landing
 * as int lanes in the order [g0, g4, g1, g5, g2, g6, g3, g7] (at 128 bits: two accumulators of four);
 * {@link #hsum} adds them back in ggml's order.
 *
 * <p>IQ4_NL: llama.cpp repacks it on AVX2 ({@code iq4_nl_8x8}, for matrices of a multiple of 8 rows) and
 * computes each row as {@code acc = fma((float) Σ_block, dw·da, acc)} block after block: here the exact
 * block sum is reduced per block and the FMA is scalar. (A matrix whose row count is not a multiple of 8
 * stays row-major in llama.cpp, added in {@code ggml_vec_dot_iq4_nl_q8_0}'s or tinyBLAS's order: there
 * the two engines agree to float rounding only. The distills' matrices all have multiples of 8 rows.)
 */
public final class LegacyQuants {
    private LegacyQuants() {}

    public static final int QK = 32;
    public static final int Q4_1_BYTES = (int) GgmlType.Q4_1.typeSize();
    public static final int Q5_0_BYTES = (int) GgmlType.Q5_0.typeSize();
    public static final int Q5_1_BYTES = (int) GgmlType.Q5_1.typeSize();
    public static final int IQ4_NL_BYTES = (int) GgmlType.IQ4_NL.typeSize();

    static final VectorSpecies<Short> S16 = QuantKernels.S16;
    static final VectorSpecies<Integer> I32 = QuantKernels.I32;
    static final VectorSpecies<Float> F32 = QuantKernels.F32;
    static final VectorSpecies<Byte> B8 = QuantKernels.B8;
    static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    static final int SL = S16.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private static final VectorMask<Short> ODD16 = VectorMask.fromLong(S16, 0xAAAAAAAAL);
    private static final VectorMask<Integer> ODD32 = VectorMask.fromLong(I32, 0xAAAAL);
    /** Lane j: bit j of a block's high bits (element j, or j+16 after a shift by 16). */
    private static final short[] BITS = new short[16];
    private static final byte[] IQ4_VALUES = new byte[16];
    private static final ByteVector IQ4_LUT;

    static {
        for (int j = 0; j < 16; j++) BITS[j] = (short) (1 << j);
        for (int i = 0; i < 16; i++) IQ4_VALUES[i] = (byte) IQ4_NLType.value(i);
        IQ4_LUT = ByteVector.fromArray(B128, IQ4_VALUES, 0);
    }

    private static float f16(MemorySegment w, long off) {
        return Float.float16ToFloat(w.get(QuantLayouts.I16, off));
    }

    /**
     * Quantizes {@code cols} floats to Q8_1 as ggml's AVX2 {@code quantize_row_q8_1}: the quants and the
     * f16-rounded scale of {@code quantize_row_q8_0} (natural order), and {@code s = f16(d·Σq)} with the
     * unrounded {@code d = amax/127}.
     */
    public static void quantizeQ8_1(float[] x, int xOff, int cols, short[] q, int qOff, float[] d, float[] s, int dOff) {
        QuantKernels.quantizeQ8(x, xOff, cols, q, qOff, d, dOff); // Q8_0's quants and rounded scale
        for (int b = 0; b < cols / QK; b++) {
            int o = xOff + b * QK, qo = qOff + b * QK, sum = 0;
            float amax = 0;
            for (int i = 0; i < QK; i++) {
                amax = Math.max(amax, Math.abs(x[o + i]));
                sum += q[qo + i];
            }
            s[dOff + b] = Float.float16ToFloat(Float.floatToFloat16(amax / 127f * sum));
        }
    }

    /** ggml's {@code hsum_float_8} of the lanes {@code t[0..8)} stored in the kernels' [g0, g4, g1, g5, ...] order. */
    static float hsum(float[] t) {
        return ((t[0] + t[1]) + (t[4] + t[5])) + ((t[2] + t[3]) + (t[6] + t[7]));
    }

    /** Q4_1 row · Q8_1 activations ({@link #quantizeQ8_1}); {@code t} scratch of 8 floats. */
    public static float dotQ4_1(MemorySegment w, long rowOff, int blocks, short[] q, int qOff, float[] d, float[] s, int dOff, float[] t) {
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0;
        float summs = 0;
        for (int b = 0; b < blocks; b++) {
            long off = rowOff + (long) b * Q4_1_BYTES;
            FloatVector scale = FloatVector.broadcast(F32, f16(w, off) * d[dOff + b]);
            summs = Math.fma(f16(w, off + 2), s[dOff + b], summs);
            int qb = qOff + b * QK;
            for (int j = 0; j < 16; j += SL) {
                ShortVector raw = (ShortVector) ByteVector.fromMemorySegment(B8, w, off + 4 + j, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                ShortVector pl = raw.and((short) 0x0F).mul(ShortVector.fromArray(S16, q, qb + j));
                ShortVector ph = raw.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S16, q, qb + 16 + j));
                // BEGIN groups (the same in every kernel below: pl, ph -> g)
                ShortVector c = pl.blend(ph, ODD16).add(pl.reinterpretAsInts().lanewise(VectorOperators.LSHR, 16)
                        .or(ph.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16)).reinterpretAsShorts());
                ShortVector e = c.add(c.reinterpretAsLongs().lanewise(VectorOperators.LSHR, 32).reinterpretAsShorts());
                IntVector g = e.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .blend(e.reinterpretAsLongs().lanewise(VectorOperators.LSHL, 32).reinterpretAsInts().lanewise(VectorOperators.ASHR, 16), ODD32);
                // END groups
                FloatVector f = (FloatVector) g.convert(VectorOperators.I2F, 0);
                if (j == 0) acc0 = f.fma(scale, acc0);
                else acc1 = f.fma(scale, acc1);
            }
        }
        acc0.intoArray(t, 0);
        if (SL == 8) acc1.intoArray(t, 4);
        return hsum(t) + summs;
    }

    /** Q5_1 row · Q8_1 activations. */
    public static float dotQ5_1(MemorySegment w, long rowOff, int blocks, short[] q, int qOff, float[] d, float[] s, int dOff, float[] t) {
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0;
        float summs = 0;
        for (int b = 0; b < blocks; b++) {
            long off = rowOff + (long) b * Q5_1_BYTES;
            FloatVector scale = FloatVector.broadcast(F32, f16(w, off) * d[dOff + b]);
            summs = Math.fma(f16(w, off + 2), s[dOff + b], summs);
            int qh = w.get(QuantLayouts.I32, off + 4);
            ShortVector hl = ShortVector.broadcast(S16, (short) qh), hh = ShortVector.broadcast(S16, (short) (qh >>> 16));
            int qb = qOff + b * QK;
            for (int j = 0; j < 16; j += SL) {
                ShortVector raw = (ShortVector) ByteVector.fromMemorySegment(B8, w, off + 8 + j, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                ShortVector bits = ShortVector.fromArray(S16, BITS, j);
                ShortVector lo = raw.and((short) 0x0F).lanewise(VectorOperators.OR, (short) 16, hl.and(bits).compare(VectorOperators.NE, 0));
                ShortVector hi = raw.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.OR, (short) 16, hh.and(bits).compare(VectorOperators.NE, 0));
                ShortVector pl = lo.mul(ShortVector.fromArray(S16, q, qb + j));
                ShortVector ph = hi.mul(ShortVector.fromArray(S16, q, qb + 16 + j));
                ShortVector c = pl.blend(ph, ODD16).add(pl.reinterpretAsInts().lanewise(VectorOperators.LSHR, 16)
                        .or(ph.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16)).reinterpretAsShorts());
                ShortVector e = c.add(c.reinterpretAsLongs().lanewise(VectorOperators.LSHR, 32).reinterpretAsShorts());
                IntVector g = e.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .blend(e.reinterpretAsLongs().lanewise(VectorOperators.LSHL, 32).reinterpretAsInts().lanewise(VectorOperators.ASHR, 16), ODD32);
                FloatVector f = (FloatVector) g.convert(VectorOperators.I2F, 0);
                if (j == 0) acc0 = f.fma(scale, acc0);
                else acc1 = f.fma(scale, acc1);
            }
        }
        acc0.intoArray(t, 0);
        if (SL == 8) acc1.intoArray(t, 4);
        return hsum(t) + summs;
    }

    /** Q5_0 row · Q8_0 activations in natural order ({@link QuantKernels#quantizeQ8}). */
    public static float dotQ5_0(MemorySegment w, long rowOff, int blocks, short[] q, int qOff, float[] d, int dOff, float[] t) {
        FloatVector acc0 = FloatVector.zero(F32), acc1 = acc0;
        for (int b = 0; b < blocks; b++) {
            long off = rowOff + (long) b * Q5_0_BYTES;
            FloatVector scale = FloatVector.broadcast(F32, f16(w, off) * d[dOff + b]);
            int qh = w.get(QuantLayouts.I32, off + 2);
            ShortVector hl = ShortVector.broadcast(S16, (short) qh), hh = ShortVector.broadcast(S16, (short) (qh >>> 16));
            int qb = qOff + b * QK;
            for (int j = 0; j < 16; j += SL) {
                ShortVector raw = (ShortVector) ByteVector.fromMemorySegment(B8, w, off + 6 + j, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                ShortVector bits = ShortVector.fromArray(S16, BITS, j);
                // q | bit << 4, less 16
                ShortVector lo = raw.and((short) 0x0F).lanewise(VectorOperators.OR, (short) 16, hl.and(bits).compare(VectorOperators.NE, 0)).sub((short) 16);
                ShortVector hi = raw.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.OR, (short) 16, hh.and(bits).compare(VectorOperators.NE, 0)).sub((short) 16);
                ShortVector pl = lo.mul(ShortVector.fromArray(S16, q, qb + j));
                ShortVector ph = hi.mul(ShortVector.fromArray(S16, q, qb + 16 + j));
                ShortVector c = pl.blend(ph, ODD16).add(pl.reinterpretAsInts().lanewise(VectorOperators.LSHR, 16)
                        .or(ph.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16)).reinterpretAsShorts());
                ShortVector e = c.add(c.reinterpretAsLongs().lanewise(VectorOperators.LSHR, 32).reinterpretAsShorts());
                IntVector g = e.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16)
                        .blend(e.reinterpretAsLongs().lanewise(VectorOperators.LSHL, 32).reinterpretAsInts().lanewise(VectorOperators.ASHR, 16), ODD32);
                FloatVector f = (FloatVector) g.convert(VectorOperators.I2F, 0);
                if (j == 0) acc0 = f.fma(scale, acc0);
                else acc1 = f.fma(scale, acc1);
            }
        }
        acc0.intoArray(t, 0);
        if (SL == 8) acc1.intoArray(t, 4);
        return hsum(t);
    }

    /**
     * IQ4_NL row · Q8_0 activations in natural order, in the order of ggml's repacked {@code iq4_nl_8x8}
     * kernels: the exact integer sum of each block, then one scalar FMA per block. The levels come from
     * a 16-byte table lookup; a product is at most 127·127, so two of them still fit 16 bits.
     */
    public static float dotIQ4_NL(MemorySegment w, long rowOff, int blocks, short[] q, int qOff, float[] d, int dOff) {
        float acc = 0;
        for (int b = 0; b < blocks; b++) {
            long off = rowOff + (long) b * IQ4_NL_BYTES;
            float scale = f16(w, off) * d[dOff + b];
            ByteVector raw = ByteVector.fromMemorySegment(B128, w, off + 2, LE);
            ByteVector vl = raw.and((byte) 0x0F).selectFrom(IQ4_LUT);
            ByteVector vh = raw.lanewise(VectorOperators.LSHR, 4).selectFrom(IQ4_LUT);
            int qb = qOff + b * QK;
            IntVector isum = IntVector.zero(I32);
            for (int j = 0; j < 16; j += SL) {
                ShortVector lo = (ShortVector) vl.convertShape(VectorOperators.B2S, S16, j / SL);
                ShortVector hi = (ShortVector) vh.convertShape(VectorOperators.B2S, S16, j / SL);
                IntVector p = lo.mul(ShortVector.fromArray(S16, q, qb + j)).add(hi.mul(ShortVector.fromArray(S16, q, qb + 16 + j))).reinterpretAsInts();
                isum = isum.add(p.lanewise(VectorOperators.ASHR, 16)).add(p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
            }
            acc = Math.fma((float) isum.reduceLanes(VectorOperators.ADD), scale, acc);
        }
        return acc;
    }
}

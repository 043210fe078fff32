package dev.r1.engine.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Integer dot products of Q4_0 / Q8_0 weight rows with activations quantized to 8 bits per block of 32
 * (as llama.cpp does): per block, weight and activation bytes are widened to 16-bit lanes, multiplied
 * (products fit: |w| <= 8 or 127, |a| <= 127), the two halves of the block summed in 16 bits (<= 32258),
 * widened to 32 bits, converted to float and accumulated with the block's scale product by one FMA.
 * The horizontal sum happens once per row, not once per block.
 *
 * <p>Activations are kept pre-widened to {@code short} (one conversion per activation instead of one per
 * activation per weight row). Vectors are of the preferred shape capped at 256 bits: a 16-bit lane vector
 * of 256 bits covers half a block, which matches Q4_0's split into low and high nibbles; wider shapes
 * would need cross-lane shuffles for no gain in a loop bound by loads. Narrower shapes (128-bit) run the
 * same code with two steps per half-block.
 */
public final class QuantKernels {
    private QuantKernels() {}

    public static final int QK = 32;
    public static final int Q4_0_BYTES = 18;
    public static final int Q8_0_BYTES = 34;

    static final VectorShape SHAPE = VectorShape.preferredShape().vectorBitSize() > 256
            ? VectorShape.S_256_BIT : VectorShape.preferredShape();
    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_MAX.withShape(SHAPE);
    static final VectorSpecies<Integer> I32 = IntVector.SPECIES_MAX.withShape(SHAPE);
    static final VectorSpecies<Float> F32 = FloatVector.SPECIES_MAX.withShape(SHAPE);
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
        for (int b = 0; b < cols / QK; b++) {
            int o = xOff + b * QK;
            float amax = 0;
            for (int i = 0; i < QK; i++) amax = Math.max(amax, Math.abs(x[o + i]));
            float dd = amax / 127f;
            float id = amax != 0 ? 127f / amax : 0f; // as ggml's AVX2 quantize_row_q8_0
            d[dOff + b] = Float.float16ToFloat(Float.floatToFloat16(dd));
            int qo = qOff + b * QK;
            for (int i = 0; i < QK; i++) q[qo + i] = (short) Math.rint(x[o + i] * id); // nearest-even, as _mm256_round_ps
        }
    }

    private static float f16(MemorySegment w, long off) {
        return Float.float16ToFloat(w.get(QuantLayouts.I16, off));
    }

    private static FloatVector blockSum(ShortVector p) {
        IntVector s = ((IntVector) p.convertShape(VectorOperators.S2I, I32, 0))
                .add((IntVector) p.convertShape(VectorOperators.S2I, I32, 1));
        return (FloatVector) s.convertShape(VectorOperators.I2F, F32, 0);
    }

    /** Q4_0 row (at {@code rowOff}, {@code blocks} blocks) · one quantized activation vector. */
    public static float dotQ4_0(MemorySegment w, long rowOff, int blocks, short[] q, int qOff, float[] d, int dOff) {
        FloatVector acc = FloatVector.zero(F32);
        for (int b = 0; b < blocks; b++) {
            long off = rowOff + (long) b * Q4_0_BYTES;
            float scale = f16(w, off) * d[dOff + b];
            int qb = qOff + b * QK;
            for (int j = 0; j < 16; j += SL) {
                ShortVector raw = (ShortVector) ByteVector.fromMemorySegment(B8, w, off + 2 + j, LE)
                        .convertShape(VectorOperators.B2S, S16, 0);
                ShortVector lo = raw.and((short) 0x0F).sub((short) 8);
                ShortVector hi = raw.lanewise(VectorOperators.ASHR, 4).and((short) 0x0F).sub((short) 8);
                ShortVector p = lo.mul(ShortVector.fromArray(S16, q, qb + j))
                        .add(hi.mul(ShortVector.fromArray(S16, q, qb + 16 + j)));
                acc = blockSum(p).fma(FloatVector.broadcast(F32, scale), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Q4_0 row · four activation vectors (batched prefill): each weight block is loaded and unpacked once
     * and used four times. Token {@code t}'s quants start at {@code qOff + t*qStride}, scales at
     * {@code dOff + t*dStride}; results go to {@code out[outOff + t*outStride]}.
     */
    public static void dotQ4_0x4(MemorySegment w, long rowOff, int blocks, short[] q, int qOff, int qStride,
                                 float[] d, int dOff, int dStride, float[] out, int outOff, int outStride) {
        FloatVector a0 = FloatVector.zero(F32), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long off = rowOff + (long) b * Q4_0_BYTES;
            float sw = f16(w, off);
            float s0 = sw * d[dOff + b], s1 = sw * d[dOff + dStride + b];
            float s2 = sw * d[dOff + 2 * dStride + b], s3 = sw * d[dOff + 3 * dStride + b];
            int qb = qOff + b * QK;
            for (int j = 0; j < 16; j += SL) {
                ShortVector raw = (ShortVector) ByteVector.fromMemorySegment(B8, w, off + 2 + j, LE)
                        .convertShape(VectorOperators.B2S, S16, 0);
                ShortVector lo = raw.and((short) 0x0F).sub((short) 8);
                ShortVector hi = raw.lanewise(VectorOperators.ASHR, 4).and((short) 0x0F).sub((short) 8);
                int i = qb + j;
                a0 = blockSum(lo.mul(ShortVector.fromArray(S16, q, i)).add(hi.mul(ShortVector.fromArray(S16, q, i + 16)))).fma(FloatVector.broadcast(F32, s0), a0);
                i += qStride;
                a1 = blockSum(lo.mul(ShortVector.fromArray(S16, q, i)).add(hi.mul(ShortVector.fromArray(S16, q, i + 16)))).fma(FloatVector.broadcast(F32, s1), a1);
                i += qStride;
                a2 = blockSum(lo.mul(ShortVector.fromArray(S16, q, i)).add(hi.mul(ShortVector.fromArray(S16, q, i + 16)))).fma(FloatVector.broadcast(F32, s2), a2);
                i += qStride;
                a3 = blockSum(lo.mul(ShortVector.fromArray(S16, q, i)).add(hi.mul(ShortVector.fromArray(S16, q, i + 16)))).fma(FloatVector.broadcast(F32, s3), a3);
            }
        }
        out[outOff] = a0.reduceLanes(VectorOperators.ADD);
        out[outOff + outStride] = a1.reduceLanes(VectorOperators.ADD);
        out[outOff + 2 * outStride] = a2.reduceLanes(VectorOperators.ADD);
        out[outOff + 3 * outStride] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** Q8_0 row · one quantized activation vector. */
    public static float dotQ8_0(MemorySegment w, long rowOff, int blocks, short[] q, int qOff, float[] d, int dOff) {
        FloatVector acc = FloatVector.zero(F32);
        for (int b = 0; b < blocks; b++) {
            long off = rowOff + (long) b * Q8_0_BYTES;
            float scale = f16(w, off) * d[dOff + b];
            int qb = qOff + b * QK;
            for (int j = 0; j < 16; j += SL) {
                ShortVector lo = (ShortVector) ByteVector.fromMemorySegment(B8, w, off + 2 + j, LE)
                        .convertShape(VectorOperators.B2S, S16, 0);
                ShortVector hi = (ShortVector) ByteVector.fromMemorySegment(B8, w, off + 18 + j, LE)
                        .convertShape(VectorOperators.B2S, S16, 0);
                ShortVector p = lo.mul(ShortVector.fromArray(S16, q, qb + j))
                        .add(hi.mul(ShortVector.fromArray(S16, q, qb + 16 + j)));
                acc = blockSum(p).fma(FloatVector.broadcast(F32, scale), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** Q8_0 row · four activation vectors; arguments as {@link #dotQ4_0x4}. */
    public static void dotQ8_0x4(MemorySegment w, long rowOff, int blocks, short[] q, int qOff, int qStride,
                                 float[] d, int dOff, int dStride, float[] out, int outOff, int outStride) {
        FloatVector a0 = FloatVector.zero(F32), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++) {
            long off = rowOff + (long) b * Q8_0_BYTES;
            float sw = f16(w, off);
            float s0 = sw * d[dOff + b], s1 = sw * d[dOff + dStride + b];
            float s2 = sw * d[dOff + 2 * dStride + b], s3 = sw * d[dOff + 3 * dStride + b];
            int qb = qOff + b * QK;
            for (int j = 0; j < 16; j += SL) {
                ShortVector lo = (ShortVector) ByteVector.fromMemorySegment(B8, w, off + 2 + j, LE)
                        .convertShape(VectorOperators.B2S, S16, 0);
                ShortVector hi = (ShortVector) ByteVector.fromMemorySegment(B8, w, off + 18 + j, LE)
                        .convertShape(VectorOperators.B2S, S16, 0);
                int i = qb + j;
                a0 = blockSum(lo.mul(ShortVector.fromArray(S16, q, i)).add(hi.mul(ShortVector.fromArray(S16, q, i + 16)))).fma(FloatVector.broadcast(F32, s0), a0);
                i += qStride;
                a1 = blockSum(lo.mul(ShortVector.fromArray(S16, q, i)).add(hi.mul(ShortVector.fromArray(S16, q, i + 16)))).fma(FloatVector.broadcast(F32, s1), a1);
                i += qStride;
                a2 = blockSum(lo.mul(ShortVector.fromArray(S16, q, i)).add(hi.mul(ShortVector.fromArray(S16, q, i + 16)))).fma(FloatVector.broadcast(F32, s2), a2);
                i += qStride;
                a3 = blockSum(lo.mul(ShortVector.fromArray(S16, q, i)).add(hi.mul(ShortVector.fromArray(S16, q, i + 16)))).fma(FloatVector.broadcast(F32, s3), a3);
            }
        }
        out[outOff] = a0.reduceLanes(VectorOperators.ADD);
        out[outOff + outStride] = a1.reduceLanes(VectorOperators.ADD);
        out[outOff + 2 * outStride] = a2.reduceLanes(VectorOperators.ADD);
        out[outOff + 3 * outStride] = a3.reduceLanes(VectorOperators.ADD);
    }
}

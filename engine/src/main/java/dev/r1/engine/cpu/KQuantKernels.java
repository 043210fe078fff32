package dev.r1.engine.cpu;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import static dev.r1.engine.cpu.QuantKernels.B8;
import static dev.r1.engine.cpu.QuantKernels.F32;
import static dev.r1.engine.cpu.QuantKernels.S16;
import static dev.r1.engine.cpu.QuantKernels.SL;

/**
 * Q4_K and Q6_K rows against the same 8-bit activations (blocks of 32) as {@link QuantKernels}: the
 * K-quant sub-blocks (32 elements for Q4_K, 16 for Q6_K) line up inside activation blocks. Quants are
 * widened to 16-bit lanes and multiplied there; products (<= 15*127 or 32*127) summed over at most
 * four steps stay inside 16 bits. Layouts as in {@link dev.r1.models.tensor.Q4_KType} and
 * {@link dev.r1.models.tensor.Q6_KType}. (Adapted from helper #2's kernels in /work/scratch/cpu2.)
 */
public final class KQuantKernels {
    private KQuantKernels() {}

    public static final int QK_K = 256;
    public static final int Q4_K_BYTES = 144;
    public static final int Q6_K_BYTES = 210;

    private static ShortVector u8(MemorySegment w, long off) {
        return (ShortVector) ByteVector.fromMemorySegment(B8, w, off, java.nio.ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
    }

    private static FloatVector pairSumF(ShortVector p) {
        IntVector v = p.reinterpretAsInts();
        IntVector s = v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.ASHR, 16));
        return (FloatVector) s.convert(VectorOperators.I2F, 0);
    }

    private static float f16(MemorySegment w, long off) {
        return Float.float16ToFloat(w.get(QuantLayouts.I16, off));
    }

    /**
     * Q4_K: value = d*sc*q - dmin*m per 32-element sub-block, so a sub-block contributes
     * d*sc*da*Σ(q·a) - dmin*m*(da*Σa); {@code ds[b]} = da*Σa of activation block b.
     */
    public static float dotQ4_K(MemorySegment w, long rowOff, int superBlocks, short[] q, int qOff,
                                float[] d, float[] ds, int dOff) {
        FloatVector acc = FloatVector.zero(F32);
        float corr = 0;
        for (int s = 0; s < superBlocks; s++) {
            long off = rowOff + (long) s * Q4_K_BYTES;
            float dd = f16(w, off), dmin = f16(w, off + 2);
            int b0 = w.get(QuantLayouts.I32, off + 4), b4 = w.get(QuantLayouts.I32, off + 8), b8 = w.get(QuantLayouts.I32, off + 12);
            int qa = qOff + s * QK_K, da = dOff + s * 8;
            for (int g = 0; g < 4; g++) {
                long qs = off + 16 + 32L * g;
                int e0 = qa + 64 * g, e1 = e0 + 32;
                ShortVector plo = ShortVector.zero(S16), phi = plo;
                for (int j = 0; j < 32; j += SL) {
                    ShortVector w16 = u8(w, qs + j);
                    plo = plo.add(w16.and((short) 0x0F).mul(ShortVector.fromArray(S16, q, e0 + j)));
                    phi = phi.add(w16.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S16, q, e1 + j)));
                }
                int s0 = 2 * g, s1 = s0 + 1;
                int sc0 = scale(b0, b8, s0), sc1 = scale(b0, b8, s1);
                int m0 = min(b0, b4, b8, s0), m1 = min(b0, b4, b8, s1);
                acc = pairSumF(plo).fma(FloatVector.broadcast(F32, dd * sc0 * d[da + s0]), acc);
                acc = pairSumF(phi).fma(FloatVector.broadcast(F32, dd * sc1 * d[da + s1]), acc);
                corr += dmin * (m0 * ds[da + s0] + m1 * ds[da + s1]);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD) - corr;
    }

    // 6-bit scale/min j of the 12 packed bytes read as three little-endian ints b0 (bytes 0..3), b4, b8.
    private static int scale(int b0, int b8, int j) {
        if (j < 4) return (b0 >>> (8 * j)) & 63;
        int sh = 8 * (j - 4);
        return ((b8 >>> sh) & 0x0F) | ((((b0 >>> sh) & 0xFF) >>> 6) << 4);
    }

    private static int min(int b0, int b4, int b8, int j) {
        if (j < 4) return (b4 >>> (8 * j)) & 63;
        int sh = 8 * (j - 4);
        return (((b8 >>> sh) & 0xFF) >>> 4) | ((((b4 >>> sh) & 0xFF) >>> 6) << 4);
    }

    /** Q6_K: value = d*sc*(q-32) per 16-element sub-block; q rebuilt from a low nibble and two high bits. */
    public static float dotQ6_K(MemorySegment w, long rowOff, int superBlocks, short[] q, int qOff, float[] d, int dOff) {
        FloatVector acc = FloatVector.zero(F32);
        for (int s = 0; s < superBlocks; s++) {
            long off = rowOff + (long) s * Q6_K_BYTES;
            float dd = f16(w, off + 208);
            for (int h = 0; h < 2; h++) {
                long ql = off + 64L * h, qh = off + 128 + 32L * h, sc = off + 192 + 8L * h;
                int e = qOff + s * QK_K + 128 * h;
                int da = dOff + s * 8 + 4 * h;
                for (int j = 0; j < 32; j += SL) {
                    ShortVector l0 = u8(w, ql + j), l1 = u8(w, ql + 32 + j), hb = u8(w, qh + j);
                    ShortVector v0 = l0.and((short) 0x0F).or(hb.and((short) 3).lanewise(VectorOperators.LSHL, 4)).sub((short) 32);
                    ShortVector v1 = l1.and((short) 0x0F).or(hb.and((short) 0x0C).lanewise(VectorOperators.LSHL, 2)).sub((short) 32);
                    ShortVector v2 = l0.lanewise(VectorOperators.LSHR, 4).or(hb.and((short) 0x30)).sub((short) 32);
                    ShortVector v3 = l1.lanewise(VectorOperators.LSHR, 4).or(hb.and((short) 0xC0).lanewise(VectorOperators.LSHR, 2)).sub((short) 32);
                    int is = j / 16; // sub-block of 16 within the 32 (SL divides 16)
                    acc = term(acc, v0, q, e + j, dd * w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is) * d[da]);
                    acc = term(acc, v1, q, e + 32 + j, dd * w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is + 2) * d[da + 1]);
                    acc = term(acc, v2, q, e + 64 + j, dd * w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is + 4) * d[da + 2]);
                    acc = term(acc, v3, q, e + 96 + j, dd * w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, sc + is + 6) * d[da + 3]);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static FloatVector term(FloatVector acc, ShortVector v, short[] q, int at, float scale) {
        return pairSumF(v.mul(ShortVector.fromArray(S16, q, at))).fma(FloatVector.broadcast(F32, scale), acc);
    }
}

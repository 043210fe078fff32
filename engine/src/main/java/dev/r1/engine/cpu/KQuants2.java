package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tensor.IQ4_NLType;
import dev.r1.models.tensor.IQ4_XSType;
import dev.r1.models.tensor.Q3_KType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q5_K, Q3_K, Q2_K and IQ4_XS rows against Q8_K activations ({@link KQuants#quantizeQ8K}), bit-identical to
 * ggml's AVX2 {@code ggml_vec_dot_<type>_q8_K} (none of these types is repacked by ggml-cpu on AVX2).
 *
 * <p>Why the shape: ggml keeps each super-block's integer sum in eight 32-bit lanes, lane {@code k} holding
 * elements {@code 4k..4k+3} of every 32 (its {@code maddubs}/{@code madd} pairing), converts the lanes to
 * float and fma's them with the super-block scale into eight float accumulators, summed at the end by
 * {@code hsum_float_8}. The float rounding therefore depends on those lane sums, not only on the total, so
 * we rebuild ggml's integer lanes exactly. Q5_K/Q3_K/Q2_K read the weights as 16-bit lanes (positions
 * {@code 2m, 2m+1} in lane {@code m}'s bytes) against activations in the pair layout ({@link #toPairs}):
 * even and odd products add in 16 bits, and one pair sum to 32 bits gives ggml's lanes; IQ4_XS, whose
 * levels come from a byte shuffle, accumulates by position within 32 and pairs adjacent int lanes at the
 * end. Either way the lanes are exact at any vector width (the 128-bit path is bit-identical too). The
 * eight float accumulators are one 256-bit vector whatever the width (a lane-wise fma is ggml's step).
 *
 * <p>Speed: the Vector API has no {@code maddubs}/{@code madd} (8-bit products pair-summed to 16 bits, 16-bit
 * products pair-summed to 32), which do ggml's multiply-and-pair in one instruction per 32 weights; here
 * that is two 16-bit multiplies, an add, three shifts/adds and a 32-bit multiply by the scale. In cache, one
 * thread, Q5_K runs at about 0.45x ggml's vec_dot, Q3_K, Q2_K and IQ4_XS 0.2-0.3x ({@code
 * KQuants2Bench}, a loaded machine): far faster than dequantizing rows, short of llama.cpp.
 */
public final class KQuants2 {
    private KQuants2() {}

    static final int QK = KQuants.QK;
    static final int Q2_K_BYTES = 84, Q3_K_BYTES = 110, Q5_K_BYTES = 176, IQ4_XS_BYTES = 136;

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_MAX.withShape(VectorWidths.QUANT);
    private static final int L = S.length();
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.withShape(S.vectorShape());
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final ByteVector IQ4_LEVELS;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static {
        byte[] levels = new byte[16];
        for (int i = 0; i < 16; i++) levels[i] = (byte) IQ4_NLType.value(i);
        IQ4_LEVELS = ByteVector.fromArray(B16, levels, 0);
    }

    /** True for the weight types this class has kernels for. */
    public static boolean serves(GgmlType t) {
        return t == GgmlType.Q5_K || t == GgmlType.Q3_K || t == GgmlType.Q2_K || t == GgmlType.IQ4_XS;
    }

    /**
     * Row ({@code sbs} super-blocks of type {@code t} at {@code rowOff}) . one Q8_K activation row, given in
     * natural order ({@code q}) and in the pair layout ({@code qp}, {@link #toPairs}) at the same offset.
     */
    public static float dot(GgmlType t, MemorySegment w, long rowOff, int sbs, short[] q, short[] qp, int qOff, float[] d, int dOff, int[] bsums, int bOff) {
        return dot(t, w, rowOff, sbs, q, qp, qOff, d, dOff, bsums, bOff, new Scratch());
    }

    /**
     * A thread's scratch for the dot kernels, kept by the caller ({@link Matmul}, one per worker): made per call,
     * it was 0.2-0.4 GB of garbage a decoded token of a 1.5B Q3_K_M file (the callees' arrays escape).
     */
    public static final class Scratch {
        final int[] p = new int[16], sc = new int[16], mp = new int[8];
        final float[] acc = new float[8];
    }

    /** As above, with the caller's scratch. */
    public static float dot(GgmlType t, MemorySegment w, long rowOff, int sbs, short[] q, short[] qp, int qOff, float[] d, int dOff, int[] bsums, int bOff,
                            Scratch x) {
        return switch (t) {
            case Q5_K -> dotQ5_K(w, rowOff, sbs, qp, qOff, d, dOff, bsums, bOff, x);
            case Q3_K -> dotQ3_K(w, rowOff, sbs, qp, qOff, d, dOff, x);
            case Q2_K -> dotQ2_K(w, rowOff, sbs, qp, qOff, d, dOff, bsums, bOff, x);
            case IQ4_XS -> dotIQ4_XS(w, rowOff, sbs, q, qOff, d, dOff, x);
            default -> throw new IllegalArgumentException("no KQuants2 kernel for " + t);
        };
    }

    private static float f16(MemorySegment w, long off) {
        return Float.float16ToFloat(w.get(QuantLayouts.I16, off));
    }

    /** ggml's per-lane step: {@code acc[k] = fma(scale, (float) lane k, acc[k])}, lane k = p[2k] + p[2k+1]. */
    static void lanes(float[] acc, float scale, int[] p) {
        for (int k = 0; k < 8; k++) acc[k] = Math.fma(scale, (float) (p[2 * k] + p[2 * k + 1]), acc[k]);
    }

    /** ggml's eight float accumulators: one 256-bit vector at any {@link VectorWidths} (its fma is per lane). */
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;

    private static final IntVector MIN_SHIFTS = IntVector.fromArray(I8, new int[] {0, 0, 8, 8, 16, 16, 24, 24}, 0);

    private static FloatVector ints(int[] p) {
        return (FloatVector) IntVector.fromArray(I8, p, 0).convert(VectorOperators.I2F, 0);
    }

    static float hsum8(FloatVector acc, float[] a) {
        acc.intoArray(a, 0);
        return hsum8(a);
    }

    /** ggml's {@code hsum_float_8}: high half onto low half, then lanes 0+2 and 1+3, then those two. */
    static float hsum8(float[] a) {
        return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
    }

    /**
     * Q8_K quants {@code q[off .. off+n)} (n a multiple of 32) in the pair layout the Q5_K/Q3_K/Q2_K kernels
     * read: per 32, the 16 even positions, then the 16 odd ones (as {@link QuantKernels#quantizeQ8Pairs}).
     * A weight row loaded as 16-bit lanes holds positions 2m and 2m+1 in lane m's low and high byte; with
     * the activations split alike, lane m's two products add in 16 bits, and adjacent lanes pair-summed to
     * 32 bits give exactly ggml's lanes (4 consecutive positions each).
     */
    public static void toPairs(short[] q, int off, int n, short[] dst, int dOff) {
        for (int i = 0; i < n; i++) dst[dOff + (i & ~31) + ((i & 31) >> 1) + (i & 1) * 16] = q[off + i];
    }

    private static int byteOf(int word, int i) {
        return (word >>> (8 * i)) & 0xFF;
    }

    /**
     * Q5_K: 4+1-bit quants, 8 sub-blocks of 32 with 6-bit scales and mins. ggml sums the mins part
     * ({@code dmin * Σ min·bsum}) in one scalar float, added after the lanes' sum. {@code qp}: activations
     * in the pair layout ({@link #toPairs}).
     */
    public static float dotQ5_K(MemorySegment w, long rowOff, int sbs, short[] qp, int qOff, float[] d, int dOff, int[] bsums, int bOff, Scratch x) {
        FloatVector acc = FloatVector.zero(F8);
        int[] p = x.p;
        float summs = 0;
        for (int s = 0; s < sbs; s++) {
            long off = rowOff + (long) s * Q5_K_BYTES;
            // ggml's unpacking of the 12 scale bytes: scales of sub-blocks 0..3 and 4..7, then the mins
            int b0 = w.get(QuantLayouts.I32, off + 4), b4 = w.get(QuantLayouts.I32, off + 8), b8 = w.get(QuantLayouts.I32, off + 12);
            int sLo = b0 & 0x3F3F3F3F, sHi = (b8 & 0x0F0F0F0F) | ((b0 >>> 6) & 0x03030303) << 4;
            int mLo = b4 & 0x3F3F3F3F, mHi = ((b8 >>> 4) & 0x0F0F0F0F) | ((b4 >>> 6) & 0x03030303) << 4;
            // Σ min_j · (bsum 2j + bsum 2j+1): each min byte spread over its two lanes of sums
            int bs = bOff + 16 * s;
            int mins = IntVector.broadcast(I8, mLo).lanewise(VectorOperators.LSHR, MIN_SHIFTS).and(0xFF).mul(IntVector.fromArray(I8, bsums, bs))
                    .add(IntVector.broadcast(I8, mHi).lanewise(VectorOperators.LSHR, MIN_SHIFTS).and(0xFF).mul(IntVector.fromArray(I8, bsums, bs + 8)))
                    .reduceLanes(VectorOperators.ADD); // integers: exact in any order
            sumsQ5_K(w, off, qp, qOff + s * QK, sLo, sHi, p);
            float dy = d[dOff + s];
            int dm = w.get(QuantLayouts.I32, off);
            summs = Math.fma(-dy * Float.float16ToFloat((short) (dm >>> 16)), (float) mins, summs); // GCC contracts summs += dmin * mins
            acc = ints(p).lanewise(VectorOperators.FMA, dy * Float.float16ToFloat((short) dm), acc);
        }
        return hsum8(acc, x.acc) + summs;
    }

    /**
     * ggml's eight integer lanes of one Q5_K super-block ({@code sLo}/{@code sHi}: the 6-bit scales of
     * sub-blocks 0..3 and 4..7, a byte each) into {@code p[0..8)}. A method of its own, so that C2's
     * inlining budget covers all its vector operations.
     */
    private static void sumsQ5_K(MemorySegment w, long off, short[] qp, int qa, int sLo, int sHi, int[] p) {
        for (int v = 0; v < 32; v += 2 * L) { // one pass at 256 bits (ggml's 8 lanes), two at 128
            ShortVector hq = ShortVector.fromMemorySegment(S, w, off + 16 + v, LE);
            ShortVector hq4 = hq.lanewise(VectorOperators.LSHL, 4);
            IntVector a = IntVector.zero(I);
            for (int half = 0; half < 2; half++) {
                // high bit c (chunk 2j: c = 2j, chunk 2j+1: c = 2j+1) of both bytes onto bit 4 of each byte:
                // from hq << 4 for c < 4 (c + 12 stays within 16 bits), from hq for c >= 4
                ShortVector hs = half == 0 ? hq4 : hq;
                int scales = half == 0 ? sLo : sHi;
                for (int jj = 0; jj < 2; jj++) {
                    int j = 2 * half + jj;
                    ShortVector x = ShortVector.fromMemorySegment(S, w, off + 48 + 32L * j + v, LE);
                    ShortVector x0 = x.and((short) 0x0F0F).or(hs.lanewise(VectorOperators.LSHR, 2 * jj).and((short) 0x1010));
                    ShortVector x1 = x.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F0F)
                            .or(hs.lanewise(VectorOperators.LSHR, 2 * jj + 1).and((short) 0x1010));
                    int e0 = qa + 64 * j + v / 2, e1 = e0 + 32;
                    // even position * even activation + odd * odd: at most 2·31·127, so 16 bits hold it
                    IntVector p0 = x0.and((short) 0xFF).mul(ShortVector.fromArray(S, qp, e0))
                            .add(x0.lanewise(VectorOperators.LSHR, 8).mul(ShortVector.fromArray(S, qp, e0 + 16))).reinterpretAsInts();
                    IntVector p1 = x1.and((short) 0xFF).mul(ShortVector.fromArray(S, qp, e1))
                            .add(x1.lanewise(VectorOperators.LSHR, 8).mul(ShortVector.fromArray(S, qp, e1 + 16))).reinterpretAsInts();
                    // the two 16-bit halves summed into 32 bits (exact: their sum fits 16 bits)
                    p0 = p0.add(p0.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    p1 = p1.add(p1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    a = a.add(p0.mul(byteOf(scales, 2 * jj))).add(p1.mul(byteOf(scales, 2 * jj + 1)));
                }
            }
            a.intoArray(p, v / 4);
        }
    }

    /**
     * The multiplier of chunk {@code k}'s two 16-element sub-blocks (Q3_K, Q2_K), in the int lanes of a
     * pass {@code v}: at 256 bits lanes 0..3 take sub-block {@code 2k} and 4..7 {@code 2k+1} of the eight
     * in {@code sc8} (one permute, as ggml's scale shuffle); at 128 bits a pass lies in one sub-block.
     */
    private static final boolean WIDE = L == 16;
    private static final VectorShuffle<Integer>[] SUB_PAIR = subPairShuffles();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Integer>[] subPairShuffles() {
        VectorShuffle<Integer>[] s = new VectorShuffle[4];
        for (int k = 0; k < 4; k++) {
            int[] idx = new int[I.length()];
            for (int i = 0; i < idx.length; i++) idx[i] = Math.min(I.length() - 1, 2 * k + i / 4);
            s[k] = VectorShuffle.fromArray(I, idx, 0);
        }
        return s;
    }

    /** Q3_K: 2+1-bit quants (a clear high bit subtracts 4), 16 sub-blocks of 16 with 6-bit scales - 32. */
    public static float dotQ3_K(MemorySegment w, long rowOff, int sbs, short[] qp, int qOff, float[] d, int dOff, Scratch x) {
        FloatVector acc = FloatVector.zero(F8);
        int[] p = x.p, sc = x.sc;
        for (int s = 0; s < sbs; s++) {
            long off = rowOff + (long) s * Q3_K_BYTES;
            // ggml's unpacking of the 12 scale bytes into sub-blocks 0..3, 4..7, 8..11, 12..15
            int a0 = w.get(QuantLayouts.I32, off + 96), a1 = w.get(QuantLayouts.I32, off + 100), a2 = w.get(QuantLayouts.I32, off + 104);
            int w0 = (a0 & 0x0F0F0F0F) | (a2 & 0x03030303) << 4, w1 = (a1 & 0x0F0F0F0F) | ((a2 >>> 2) & 0x03030303) << 4,
                    w2 = ((a0 >>> 4) & 0x0F0F0F0F) | ((a2 >>> 4) & 0x03030303) << 4, w3 = ((a1 >>> 4) & 0x0F0F0F0F) | ((a2 >>> 6) & 0x03030303) << 4;
            for (int k = 0; k < 4; k++) {
                sc[k] = byteOf(w0, k) - 32;
                sc[4 + k] = byteOf(w1, k) - 32;
                sc[8 + k] = byteOf(w2, k) - 32;
                sc[12 + k] = byteOf(w3, k) - 32;
            }
            sumsQ3_K(w, off, qp, qOff + s * QK, sc, p);
            acc = ints(p).lanewise(VectorOperators.FMA, d[dOff + s] * f16(w, off + Q3_KType.OFF_D), acc);
        }
        return hsum8(acc, x.acc);
    }

    /** ggml's eight integer lanes of one Q3_K super-block into {@code p[0..8)} ({@code sc}: scales - 32). */
    private static void sumsQ3_K(MemorySegment w, long off, short[] qp, int qa, int[] sc, int[] p) {
        for (int v = 0; v < 32; v += 2 * L) {
            ShortVector hm = ShortVector.fromMemorySegment(S, w, off + v, LE);
            ShortVector hm2 = hm.lanewise(VectorOperators.LSHL, 2);
            IntVector a = IntVector.zero(I);
            for (int h = 0; h < 2; h++) {
                ShortVector x = ShortVector.fromMemorySegment(S, w, off + 32 + 32L * h + v, LE);
                IntVector sc8 = IntVector.fromArray(I, sc, 8 * h);
                for (int k = 0; k < 4; k++) {
                    int c = 4 * h + k; // high bit c of both bytes onto bit 2 of each
                    ShortVector hb = (c < 2 ? hm2.lanewise(VectorOperators.LSHR, c) : hm.lanewise(VectorOperators.LSHR, c - 2)).and((short) 0x0404);
                    ShortVector xk = x.lanewise(VectorOperators.LSHR, 2 * k).and((short) 0x0303).or(hb); // q + 4·hbit, 0..7
                    int e = qa + 32 * c + v / 2;
                    IntVector pk = xk.and((short) 0xFF).sub((short) 4).mul(ShortVector.fromArray(S, qp, e))
                            .add(xk.lanewise(VectorOperators.LSHR, 8).sub((short) 4).mul(ShortVector.fromArray(S, qp, e + 16))).reinterpretAsInts();
                    pk = pk.add(pk.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    a = a.add(pk.mul(WIDE ? sc8.rearrange(SUB_PAIR[k]) : IntVector.broadcast(I, sc[8 * h + 2 * k + (v >> 4)])));
                }
            }
            a.intoArray(p, v / 4);
        }
    }

    /**
     * Q2_K: 2-bit quants, 16 sub-blocks of 16 with 4-bit scales and mins. ggml fma's the mins part into the
     * same eight lanes first (lane k: sub-blocks 2k and 2k+1), then the quants part.
     */
    public static float dotQ2_K(MemorySegment w, long rowOff, int sbs, short[] qp, int qOff, float[] d, int dOff, int[] bsums, int bOff, Scratch x) {
        FloatVector acc = FloatVector.zero(F8);
        int[] p = x.p, sc = x.sc, mp = x.mp;
        for (int s = 0; s < sbs; s++) {
            long off = rowOff + (long) s * Q2_K_BYTES;
            long s0 = w.get(I64, off), s8 = w.get(I64, off + 8); // scale | min << 4, a byte each
            int dm = w.get(QuantLayouts.I32, off + 80);
            float dy = d[dOff + s];
            int bs = bOff + 16 * s;
            for (int k = 0; k < 8; k++) {
                long word = k < 4 ? s0 : s8;
                int m = (int) (word >>> (16 * (k & 3))) & 0xFFFF;
                sc[2 * k] = m & 0x0F;
                sc[2 * k + 1] = (m >>> 8) & 0x0F;
                mp[k] = ((m >>> 4) & 0x0F) * bsums[bs + 2 * k] + (m >>> 12) * bsums[bs + 2 * k + 1];
            }
            // ggml: acc = fma(dmin, mins lanes, acc), then acc = fma(d, quant lanes, acc), lane by lane
            acc = ints(mp).lanewise(VectorOperators.FMA, -dy * Float.float16ToFloat((short) (dm >>> 16)), acc);
            sumsQ2_K(w, off, qp, qOff + s * QK, sc, p);
            acc = ints(p).lanewise(VectorOperators.FMA, dy * Float.float16ToFloat((short) dm), acc);
        }
        return hsum8(acc, x.acc);
    }

    /** ggml's eight integer lanes of one Q2_K super-block's quants part into {@code p[0..8)}. */
    private static void sumsQ2_K(MemorySegment w, long off, short[] qp, int qa, int[] sc, int[] p) {
        for (int v = 0; v < 32; v += 2 * L) {
            IntVector a = IntVector.zero(I);
            for (int h = 0; h < 2; h++) {
                ShortVector x = ShortVector.fromMemorySegment(S, w, off + 16 + 32L * h + v, LE);
                IntVector sc8 = IntVector.fromArray(I, sc, 8 * h);
                for (int k = 0; k < 4; k++) {
                    ShortVector xk = x.lanewise(VectorOperators.LSHR, 2 * k).and((short) 0x0303);
                    int e = qa + 32 * (4 * h + k) + v / 2;
                    IntVector pk = xk.and((short) 0xFF).mul(ShortVector.fromArray(S, qp, e))
                            .add(xk.lanewise(VectorOperators.LSHR, 8).mul(ShortVector.fromArray(S, qp, e + 16))).reinterpretAsInts();
                    pk = pk.add(pk.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    a = a.add(pk.mul(WIDE ? sc8.rearrange(SUB_PAIR[k]) : IntVector.broadcast(I, sc[8 * h + 2 * k + (v >> 4)])));
                }
            }
            a.intoArray(p, v / 4);
        }
    }

    /**
     * IQ4_XS: 4-bit indices into IQ4_NL's 16 levels, 8 sub-blocks of 32 with 6-bit scales - 32. A sub-block's
     * 16 bytes hold positions 0..15 in their low nibbles and 16..31 in their high ones; the levels are looked
     * up 16 bytes at a time (one byte shuffle), then widened in parts of L.
     */
    public static float dotIQ4_XS(MemorySegment w, long rowOff, int sbs, short[] q, int qOff, float[] d, int dOff, Scratch x) {
        float[] acc = x.acc;
        java.util.Arrays.fill(acc, 0);
        int[] p = x.p, sc = x.sc;
        for (int s = 0; s < sbs; s++) {
            long off = rowOff + (long) s * IQ4_XS_BYTES;
            for (int j = 0; j < 8; j++) sc[j] = IQ4_XSType.scale(w, off, j) - 32;
            int qa = qOff + s * QK;
            for (int half = 0; half < 2; half++) {
                for (int part = 0; part < 16 / L; part++) {
                    IntVector a = IntVector.zero(I);
                    for (int j = 0; j < 8; j++) {
                        ByteVector b = ByteVector.fromMemorySegment(B16, w, off + IQ4_XSType.OFF_QS + 16L * j, LE);
                        ByteVector idx = half == 0 ? b.and((byte) 0x0F) : b.lanewise(VectorOperators.LSHR, 4);
                        ShortVector wv = (ShortVector) idx.selectFrom(IQ4_LEVELS).convertShape(VectorOperators.B2S, S, part);
                        IntVector pk = wv.mul(ShortVector.fromArray(S, q, qa + 32 * j + 16 * half + part * L)).reinterpretAsInts();
                        pk = pk.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(pk.lanewise(VectorOperators.ASHR, 16));
                        a = a.add(pk.mul(sc[j]));
                    }
                    a.intoArray(p, (16 * half + part * L) / 2);
                }
            }
            lanes(acc, f16(w, off) * d[dOff + s], p);
        }
        return hsum8(acc);
    }
}

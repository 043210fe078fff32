package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tensor.IqGridType;
import dev.r1.models.tensor.IqGrids;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS and IQ3_S rows against Q8_K activations, bit-identical to ggml's AVX2
 * {@code ggml_vec_dot_<type>_q8_K} (ggml-cpu repacks none of these on x86).
 *
 * <p>All five share ggml's shape: per super-block the grid values (signed) times the 8-bit activations are summed in
 * eight 32-bit lanes, lane {@code k} holding elements {@code 4k..4k+3} of every 32 ({@code maddubs} pairs, then
 * {@code madd} with the scale {@code 2s+1} of their 16 or 32 values); the lanes go to float and are fma'd with
 * {@code d_w·d_a} into eight float accumulators, summed by {@code hsum_float_8} and multiplied by 1/8 (IQ2), 1/4
 * (IQ3_XXS) or 1 (IQ3_S). The integer lanes are exact whatever order we add in, so each super-block is decoded once
 * into signed bytes and scales ({@link IqGridType#decode}, eight values a 64-bit store; the reading the dequantizer
 * uses) and multiplied here in 256-bit vectors against the activations in the pair layout ({@link KQuants2#toPairs}):
 * a 32-value slice as 16 shorts (two values each), even and odd products added in 16 bits (at most 2·62·127), then
 * adjacent shorts into 32 bits: exactly ggml's eight lanes, times the scales of their 16 values.
 *
 * <p>Speed: the grid lookups stay scalar (ggml's AVX2 loops do the same with {@code set_epi64x}), and the products
 * take twice ggml's instructions (no {@code maddubs}); these files are for memory-starved machines and
 * {@code --backend auto} gives them to llama.cpp.
 */
public final class IQuants {
    private IQuants() {}

    // 256 bits whatever the machine: ggml's eight lanes are one IntVector (KQuants2's accumulators are this shape too)
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;

    /** True for the weight types this class has kernels for. */
    public static boolean serves(GgmlType t) {
        return t.layout() instanceof IqGridType;
    }

    /** A thread's arrays for {@link #dot}, kept by the caller (one per worker): a decoded row and its lane scales. */
    public static final class Scratch {
        byte[] v = new byte[0];
        int[] scales = new int[0];
        float[] dw = new float[0]; // per super-block d_w·factor, for the panel order
        final int[] sc = new int[16];
        final float[] acc = new float[8];
        final byte[] v1 = new byte[256], delta1 = new byte[32]; // an IQ1 super-block (decodeRowIQ1)

        void fit(int sbs) {
            if (v.length < 256 * sbs) {
                v = new byte[256 * sbs];
                scales = new int[64 * sbs];
                dw = new float[sbs];
            }
        }
    }

    /** Row ({@code sbs} super-blocks of type {@code t} at {@code rowOff}) · one Q8_K activation row ({@code qp} in the pair layout, {@code d}). */
    public static float dot(GgmlType t, MemorySegment w, long rowOff, int sbs, short[] qp, int qOff, float[] d, int dOff, Scratch x) {
        decodeRow(t, w, rowOff, sbs, x);
        return dotDecoded(t, w, rowOff, sbs, x, qp, qOff, d, dOff);
    }

    /**
     * Decodes a row into {@code x}: signed values, and per 32-value slice the eight lanes' scales (lanes 0-3 are its
     * first 16 values, 4-7 the next 16). Once per row however many tokens ({@link #dotDecoded}) it meets.
     */
    public static void decodeRow(GgmlType t, MemorySegment w, long rowOff, int sbs, Scratch x) {
        IqGridType type = (IqGridType) t.layout();
        IqGrids grids = IqGrids.get();
        x.fit(sbs);
        byte[] v = x.v;
        int[] sc = x.sc;
        int ts = type.typeSize();
        for (int sb = 0; sb < sbs; sb++) {
            type.decode(w, rowOff + (long) sb * ts, grids, v, 256 * sb, sc, 0);
            quadScales(x, sb);
            x.dw[sb] = Float.float16ToFloat(w.get(QuantLayouts.I16, rowOff + (long) sb * ts)) * type.factor();
        }
    }

    /**
     * Decodes an IQ1_S or IQ1_M row for {@link #dotPanel}: each value as {@code 8·grid ± 1} (its delta folded in, as
     * llama.cpp's panel gemm does), the scale {@code 2s+1} of each 16, {@code d_w/8} per super-block.
     */
    public static void decodeRowIQ1(GgmlType t, MemorySegment w, long rowOff, int sbs, Scratch x) {
        IqGrids grids = IqGrids.get();
        x.fit(sbs);
        boolean s = t == GgmlType.IQ1_S;
        int ts = s ? dev.r1.models.tensor.IQ1_SType.TYPE_SIZE : dev.r1.models.tensor.IQ1_MType.TYPE_SIZE;
        byte[] v = x.v, v1 = x.v1, delta = x.delta1;
        for (int sb = 0; sb < sbs; sb++) {
            long base = rowOff + (long) sb * ts;
            if (s) dev.r1.models.tensor.IQ1_SType.decode(w, base, grids, v1, 0, x.sc, 0, delta, 0);
            else dev.r1.models.tensor.IQ1_MType.decode(w, base, grids, v1, 0, x.sc, 0, delta, 0);
            for (int i = 0; i < 256; i++) v[256 * sb + i] = (byte) (8 * v1[i] + delta[i >> 3]);
            quadScales(x, sb);
            x.dw[sb] = (s ? dev.r1.models.tensor.IQ1_SType.d(w, base) : dev.r1.models.tensor.IQ1_MType.d(w, base)) * 0.125f;
        }
    }

    /** The row {@link #decodeRow} left in {@code x} (its {@code d} still read from {@code w}) · one token. */
    public static float dotDecoded(GgmlType t, MemorySegment w, long rowOff, int sbs, Scratch x, short[] qp, int qOff, float[] d, int dOff) {
        IqGridType type = (IqGridType) t.layout();
        byte[] v = x.v;
        int[] scales = x.scales;
        IntVector c16 = IntVector.broadcast(I, 16);
        ShortVector s8 = ShortVector.broadcast(S, (short) 8);
        FloatVector acc = FloatVector.zero(F);
        int ts = type.typeSize();
        for (int sb = 0; sb < sbs; sb++) {
            int a = qOff + 256 * sb, vo = 256 * sb, so = 64 * sb;
            IntVector lanes = IntVector.zero(I);
            for (int b = 0; b < 8; b++) {
                ShortVector wv = ByteVector.fromArray(B, v, vo + 32 * b).reinterpretAsShorts();
                ShortVector even = wv.lanewise(VectorOperators.LSHL, s8).lanewise(VectorOperators.ASHR, s8);
                ShortVector odd = wv.lanewise(VectorOperators.ASHR, s8);
                ShortVector p = even.mul(ShortVector.fromArray(S, qp, a + 32 * b))
                        .add(odd.mul(ShortVector.fromArray(S, qp, a + 32 * b + 16)));
                IntVector pi = p.reinterpretAsInts();
                IntVector sum = pi.lanewise(VectorOperators.LSHL, c16).lanewise(VectorOperators.ASHR, c16)
                        .add(pi.lanewise(VectorOperators.ASHR, c16));
                lanes = sum.mul(IntVector.fromArray(I, scales, so + 8 * b)).add(lanes);
            }
            float dd = Float.float16ToFloat(w.get(QuantLayouts.I16, rowOff + (long) sb * ts)) * d[dOff + sb];
            acc = ((FloatVector) lanes.convert(VectorOperators.I2F, 0)).lanewise(VectorOperators.FMA, FloatVector.broadcast(F, dd), acc);
        }
        return type.factor() * KQuants2.hsum8(acc, x.acc);
    }

    // the panel's loop needs no lanes of ggml's: the repacked kernels' width (512 bits where there are 512-bit vectors)
    private static final VectorSpecies<Short> SW = ShortVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    private static final VectorSpecies<Integer> IW = IntVector.SPECIES_MAX.withShape(VectorWidths.REPACK);
    private static final VectorSpecies<Byte> BW2 = ByteVector.SPECIES_MAX.withShape(VectorWidths.REPACK);

    /**
     * llama.cpp's order for a matmul of {@link #PANEL_MIN} or more tokens (ggml-cpu's IQ panel gemm, {@code iqp.cpp}, taken
     * on x86 for the IQ1-IQ3 types and IQ4_XS where the rows come in eights): per super-block one exact integer sum
     * (each 16 values' products times their integer scale), {@code sumf = fma((float) sum, (d·factor)·d_a, sumf)}, no lanes
     * and no final factor. The row left by {@link #decodeRow}, {@link #decodeRowIQ4XS} or {@link #decodeRowIQ1} (its values,
     * scales and {@code d·factor}, so the file's row is not read again); activations {@code qw} in the
     * pair layout at this width ({@link #toPairsWide}): a vector of values as 16-bit words (two values each), even and
     * odd products added in 16 bits (at most 2·127·127), then adjacent words into 32 bits, four values a lane, times the
     * scale of their 16 (the {@code scales} {@link #decodeRow} keeps, one per four values).
     */
    public static float dotPanel(int sbs, Scratch x, short[] qw, int qOff, float[] d, int dOff) {
        byte[] v = x.v;
        int[] scales = x.scales;
        int ls = SW.length(), step = 2 * ls; // values a step: ls words of two
        IntVector c16 = IntVector.broadcast(IW, 16);
        ShortVector s8 = ShortVector.broadcast(SW, (short) 8);
        float sumf = 0;
        float[] dw = x.dw;
        for (int sb = 0; sb < sbs; sb++) {
            int a = qOff + 256 * sb, vo = 256 * sb;
            IntVector acc = IntVector.zero(IW);
            for (int i = 0; i < 256; i += step) {
                ShortVector wv = ByteVector.fromArray(BW2, v, vo + i).reinterpretAsShorts();
                ShortVector even = wv.lanewise(VectorOperators.LSHL, s8).lanewise(VectorOperators.ASHR, s8);
                ShortVector odd = wv.lanewise(VectorOperators.ASHR, s8);
                IntVector pi = even.mul(ShortVector.fromArray(SW, qw, a + i)).add(odd.mul(ShortVector.fromArray(SW, qw, a + i + ls)))
                        .reinterpretAsInts();
                IntVector sum = pi.lanewise(VectorOperators.LSHL, c16).lanewise(VectorOperators.ASHR, c16).add(pi.lanewise(VectorOperators.ASHR, c16));
                acc = sum.mul(IntVector.fromArray(IW, scales, (vo + i) / 4)).add(acc);
            }
            sumf = Math.fma((float) acc.reduceLanes(VectorOperators.ADD), dw[sb] * d[dOff + sb], sumf);
        }
        return sumf;
    }

    /**
     * {@link #dotPanel} for four tokens (token k's activations at {@code qOff + k·qStride}, scales at {@code dOff + k·dStride},
     * result to {@code out[o + k·oStride]}): each step's values widened and split once for the four, per token the same
     * operations, so the same floats.
     */
    public static void dotPanel4(int sbs, Scratch x, short[] qw, int qOff, int qStride,
                                 float[] d, int dOff, int dStride, float[] out, int o, int oStride) {
        byte[] v = x.v;
        int[] scales = x.scales;
        int ls = SW.length(), step = 2 * ls;
        IntVector c16 = IntVector.broadcast(IW, 16);
        ShortVector s8 = ShortVector.broadcast(SW, (short) 8);
        float f0 = 0, f1 = 0, f2 = 0, f3 = 0;
        float[] dw = x.dw;
        int q1 = qOff + qStride, q2 = q1 + qStride, q3 = q2 + qStride;
        for (int sb = 0; sb < sbs; sb++) {
            int vo = 256 * sb;
            IntVector acc0 = IntVector.zero(IW), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int i = 0; i < 256; i += step) {
                ShortVector wv = ByteVector.fromArray(BW2, v, vo + i).reinterpretAsShorts();
                ShortVector even = wv.lanewise(VectorOperators.LSHL, s8).lanewise(VectorOperators.ASHR, s8);
                ShortVector odd = wv.lanewise(VectorOperators.ASHR, s8);
                IntVector sc = IntVector.fromArray(IW, scales, (vo + i) / 4);
                int e = vo + i;
                IntVector p = even.mul(ShortVector.fromArray(SW, qw, qOff + e)).add(odd.mul(ShortVector.fromArray(SW, qw, qOff + e + ls))).reinterpretAsInts();
                acc0 = p.lanewise(VectorOperators.LSHL, c16).lanewise(VectorOperators.ASHR, c16).add(p.lanewise(VectorOperators.ASHR, c16)).mul(sc).add(acc0);
                p = even.mul(ShortVector.fromArray(SW, qw, q1 + e)).add(odd.mul(ShortVector.fromArray(SW, qw, q1 + e + ls))).reinterpretAsInts();
                acc1 = p.lanewise(VectorOperators.LSHL, c16).lanewise(VectorOperators.ASHR, c16).add(p.lanewise(VectorOperators.ASHR, c16)).mul(sc).add(acc1);
                p = even.mul(ShortVector.fromArray(SW, qw, q2 + e)).add(odd.mul(ShortVector.fromArray(SW, qw, q2 + e + ls))).reinterpretAsInts();
                acc2 = p.lanewise(VectorOperators.LSHL, c16).lanewise(VectorOperators.ASHR, c16).add(p.lanewise(VectorOperators.ASHR, c16)).mul(sc).add(acc2);
                p = even.mul(ShortVector.fromArray(SW, qw, q3 + e)).add(odd.mul(ShortVector.fromArray(SW, qw, q3 + e + ls))).reinterpretAsInts();
                acc3 = p.lanewise(VectorOperators.LSHL, c16).lanewise(VectorOperators.ASHR, c16).add(p.lanewise(VectorOperators.ASHR, c16)).mul(sc).add(acc3);
            }
            float dfac = dw[sb];
            f0 = Math.fma((float) acc0.reduceLanes(VectorOperators.ADD), dfac * d[dOff + sb], f0);
            f1 = Math.fma((float) acc1.reduceLanes(VectorOperators.ADD), dfac * d[dOff + dStride + sb], f1);
            f2 = Math.fma((float) acc2.reduceLanes(VectorOperators.ADD), dfac * d[dOff + 2 * dStride + sb], f2);
            f3 = Math.fma((float) acc3.reduceLanes(VectorOperators.ADD), dfac * d[dOff + 3 * dStride + sb], f3);
        }
        out[o] = f0;
        out[o + oStride] = f1;
        out[o + 2 * oStride] = f2;
        out[o + 3 * oStride] = f3;
    }

    /** Values a {@link #dotPanel} step takes: its activations are split into evens and odds per this many. */
    public static final int PANEL_GROUP = 2 * ShortVector.SPECIES_MAX.withShape(VectorWidths.REPACK).length();

    /** Q8_K activations {@code q[off .. off+n)} as {@link #dotPanel} reads them: per {@link #PANEL_GROUP} values, the evens then the odds. */
    public static void toPairsWide(short[] q, int off, int n, short[] dst, int dOff) {
        int g = PANEL_GROUP, h = g / 2;
        for (int i = 0; i < n; i++) dst[dOff + (i / g) * g + (i % g) / 2 + (i & 1) * h] = q[off + i];
    }

    /** Decodes an IQ4_XS row for {@link #dotPanel}: its levels as signed bytes, the scale {@code ls - 32} of each 16. */
    public static void decodeRowIQ4XS(MemorySegment w, long rowOff, int sbs, Scratch x) {
        x.fit(sbs);
        byte[] v = x.v;
        int[] sc = x.sc;
        for (int sb = 0; sb < sbs; sb++) {
            long base = rowOff + (long) sb * dev.r1.models.tensor.IQ4_XSType.TYPE_SIZE;
            for (int j = 0; j < 8; j++) {
                sc[2 * j] = sc[2 * j + 1] = dev.r1.models.tensor.IQ4_XSType.scale(w, base, j) - 32;
                for (int l = 0; l < 16; l++) {
                    int b = w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, base + dev.r1.models.tensor.IQ4_XSType.OFF_QS + 16L * j + l) & 0xFF;
                    v[256 * sb + 32 * j + l] = (byte) dev.r1.models.tensor.IQ4_NLType.value(b & 0xF);
                    v[256 * sb + 32 * j + l + 16] = (byte) dev.r1.models.tensor.IQ4_NLType.value(b >>> 4);
                }
            }
            quadScales(x, sb);
            x.dw[sb] = Float.float16ToFloat(w.get(QuantLayouts.I16, base)); // factor 1
        }
    }

    /** Each four values' scale (their 16 values' integer scale), from {@code x.sc}: what both dot products multiply lanes by. */
    private static void quadScales(Scratch x, int sb) {
        int[] scales = x.scales, sc = x.sc;
        for (int k = 0; k < 64; k++) scales[64 * sb + k] = sc[k >> 2];
    }

    /** The fewest tokens for which llama.cpp takes its panel gemm ({@code GGML_IQP_MIN_BATCH}), for rows in eights. */
    public static final int PANEL_MIN = 8;

    /**
     * Whether this matrix times {@code n} tokens takes {@link #dotPanel} (an IQ2/IQ3 type or IQ4_XS, {@link #panel}; IQ4_XS
     * for any count where llama.cpp runs ggml's AMX order, {@link IQ4XSx8#AMX_ORDER}: the same integer a super-block and fma).
     */
    public static boolean usesPanel(GgmlType t, int rows, int n) {
        return (serves(t) || t == GgmlType.IQ4_XS || IQ1Quants.serves(t)) && panel(rows, n)
                || t == GgmlType.IQ4_XS && IQ4XSx8.AMX_ORDER && rows % 8 == 0;
    }

    /** Whether llama.cpp multiplies a matrix of {@code rows} by {@code n} tokens in its panel order ({@link #dotPanel}). */
    public static boolean panel(int rows, int n) {
        return n >= PANEL_MIN && rows % 8 == 0;
    }
}

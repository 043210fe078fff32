package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tensor.IQ1_MType;
import dev.r1.models.tensor.IQ1_SType;
import dev.r1.models.tensor.IqGrids;
import java.lang.foreign.MemorySegment;

/**
 * IQ1_S and IQ1_M rows against Q8_K activations, bit-identical to ggml's AVX2 {@code ggml_vec_dot_iq1_s_q8_K} and
 * {@code ggml_vec_dot_iq1_m_q8_K} (the haswell library; ggml-cpu repacks neither on x86).
 *
 * <p>A value is {@code d·(2s+1)·(grid ± 1/8)}, so ggml sums two integer parts per super-block: grid·activation in
 * eight 32-bit lanes (lane {@code k}: elements {@code 4k..4k+3} of every 32, times the scale of their 16), and the
 * delta part ±activation·scale. IQ1_S keeps the delta part as one int from the Q8_K block sums and one scalar float
 * accumulator; IQ1_M sums it in eight lanes like the grid part and keeps a second set of eight float accumulators.
 *
 * <p>Float order, read from the pinned haswell library's machine code (and held by IQ1QuantsTest): IQ1_S: the
 * lanes {@code fma(d, lane, acc)}, the delta accumulator {@code fma(d, (float) sumi1, acc1)} (gcc contracted
 * {@code accum1 += d * sumi1}), the end {@code hsum8(acc) + 0.125f·acc1} as a multiply then an add (not fused).
 * IQ1_M: both accumulator sets by {@code fma(d, lane, acc)}, the end {@code fma(hsum8(acc2), 0.125f, hsum8(acc1))}.
 *
 * <p>The activations' products follow {@code sign_epi8}: a negated -128 stays -128 (ggml's Q8_K never makes -128,
 * but r1 stays exact if it ever meets one). Scalar code: the decode through the grid dominates.
 */
public final class IQ1Quants {
    private IQ1Quants() {}

    /** True for the weight types this class has kernels for. */
    public static boolean serves(GgmlType t) {
        return t == GgmlType.IQ1_S || t == GgmlType.IQ1_M;
    }

    /** A thread's arrays for {@link #dot}, kept by the caller (one per worker). */
    public static final class Scratch {
        final byte[] v = new byte[256], delta = new byte[32];
        final int[] sc = new int[16], lanes = new int[8], lanes2 = new int[8];
        final float[] acc = new float[8], acc2 = new float[8];
    }

    /**
     * Row ({@code sbs} super-blocks of type {@code t} at {@code rowOff}) · one Q8_K activation row: quants {@code q}
     * (natural order), scales {@code d} (one per 256), block sums {@code bsums} (16 per 256).
     */
    public static float dot(GgmlType t, MemorySegment w, long rowOff, int sbs, short[] q, int qOff, float[] d, int dOff,
                            int[] bsums, int bOff, Scratch x) {
        return switch (t) {
            case IQ1_S -> dotIQ1_S(w, rowOff, sbs, q, qOff, d, dOff, bsums, bOff, x);
            case IQ1_M -> dotIQ1_M(w, rowOff, sbs, q, qOff, d, dOff, x);
            default -> throw new IllegalArgumentException("no IQ1Quants kernel for " + t);
        };
    }

    /** {@code sign_epi8(a, g)} for a grid or delta value {@code g} in {-1, 0, 1}: the product, wrapped to 8 bits. */
    private static int mul(int g, int a) {
        return (byte) (g * a);
    }

    static float dotIQ1_S(MemorySegment w, long rowOff, int sbs, short[] q, int qOff, float[] d, int dOff, int[] bsums, int bOff,
                          Scratch x) {
        IqGrids grids = IqGrids.get();
        byte[] v = x.v, delta = x.delta;
        int[] sc = x.sc, lanes = x.lanes;
        float[] acc = x.acc;
        java.util.Arrays.fill(acc, 0f);
        float acc1 = 0;
        for (int sb = 0; sb < sbs; sb++) {
            long base = rowOff + (long) sb * IQ1_SType.TYPE_SIZE;
            IQ1_SType.decode(w, base, grids, v, 0, sc, 0, delta, 0);
            int a = qOff + 256 * sb, bs = bOff + 16 * sb, sumi1 = 0;
            java.util.Arrays.fill(lanes, 0);
            for (int ib = 0; ib < 8; ib++) { // one scale and delta sign per 32 values
                int s = sc[2 * ib], i0 = 32 * ib;
                for (int k = 0; k < 8; k++) {
                    int i = i0 + 4 * k;
                    lanes[k] += s * (mul(v[i], q[a + i]) + mul(v[i + 1], q[a + i + 1]) + mul(v[i + 2], q[a + i + 2]) + mul(v[i + 3], q[a + i + 3]));
                }
                sumi1 += (bsums[bs + 2 * ib] + bsums[bs + 2 * ib + 1]) * delta[4 * ib] * s;
            }
            float dd = d[dOff + sb] * IQ1_SType.d(w, base);
            for (int k = 0; k < 8; k++) acc[k] = Math.fma(dd, (float) lanes[k], acc[k]);
            acc1 = Math.fma(dd, (float) sumi1, acc1);
        }
        return KQuants2.hsum8(acc) + IQ1_SType.DELTA * acc1;
    }

    static float dotIQ1_M(MemorySegment w, long rowOff, int sbs, short[] q, int qOff, float[] d, int dOff, Scratch x) {
        IqGrids grids = IqGrids.get();
        byte[] v = x.v, delta = x.delta;
        int[] sc = x.sc, lanes = x.lanes, lanes2 = x.lanes2;
        float[] acc = x.acc, acc2 = x.acc2;
        java.util.Arrays.fill(acc, 0f);
        java.util.Arrays.fill(acc2, 0f);
        for (int sb = 0; sb < sbs; sb++) {
            long base = rowOff + (long) sb * IQ1_MType.TYPE_SIZE;
            IQ1_MType.decode(w, base, grids, v, 0, sc, 0, delta, 0);
            int a = qOff + 256 * sb;
            java.util.Arrays.fill(lanes, 0);
            java.util.Arrays.fill(lanes2, 0);
            for (int h = 0; h < 16; h++) { // 16 values of one scale: lanes 4·(h%2) .. 4·(h%2)+3
                int s = sc[h], l0 = 4 * (h & 1), i0 = 16 * h;
                for (int m = 0; m < 4; m++) {
                    int i = i0 + 4 * m, e = delta[i >> 3];
                    lanes[l0 + m] += s * (mul(v[i], q[a + i]) + mul(v[i + 1], q[a + i + 1]) + mul(v[i + 2], q[a + i + 2]) + mul(v[i + 3], q[a + i + 3]));
                    lanes2[l0 + m] += s * (mul(e, q[a + i]) + mul(e, q[a + i + 1]) + mul(e, q[a + i + 2]) + mul(e, q[a + i + 3]));
                }
            }
            float dd = d[dOff + sb] * IQ1_MType.d(w, base);
            for (int k = 0; k < 8; k++) {
                acc[k] = Math.fma(dd, (float) lanes[k], acc[k]);
                acc2[k] = Math.fma(dd, (float) lanes2[k], acc2[k]);
            }
        }
        return Math.fma(KQuants2.hsum8(acc2), IQ1_SType.DELTA, KQuants2.hsum8(acc));
    }

    /**
     * llama.cpp's panel order for {@link IQuants#PANEL_MIN}+ tokens ({@link IQuants#dotPanel}): values {@code 8·grid ± 1}
     * (the delta folded in), per super-block one exact integer sum, {@code sumf = fma((float) sum, (d/8)·d_a, sumf)}.
     */
    public static float dotPanel(GgmlType t, MemorySegment w, long rowOff, int sbs, short[] q, int qOff, float[] d, int dOff, Scratch x) {
        IqGrids grids = IqGrids.get();
        byte[] v = x.v, delta = x.delta;
        int[] sc = x.sc;
        boolean s = t == GgmlType.IQ1_S;
        int ts = s ? IQ1_SType.TYPE_SIZE : IQ1_MType.TYPE_SIZE;
        float sumf = 0;
        for (int sb = 0; sb < sbs; sb++) {
            long base = rowOff + (long) sb * ts;
            if (s) IQ1_SType.decode(w, base, grids, v, 0, sc, 0, delta, 0);
            else IQ1_MType.decode(w, base, grids, v, 0, sc, 0, delta, 0);
            int a = qOff + 256 * sb, sumi = 0;
            for (int h = 0; h < 16; h++) {
                int isum = 0;
                for (int i = 16 * h; i < 16 * h + 16; i++) isum += (8 * v[i] + delta[i >> 3]) * q[a + i];
                sumi += sc[h] * isum;
            }
            float dfac = (s ? IQ1_SType.d(w, base) : IQ1_MType.d(w, base)) * 0.125f;
            sumf = Math.fma((float) sumi, dfac * d[dOff + sb], sumf);
        }
        return sumf;
    }
}

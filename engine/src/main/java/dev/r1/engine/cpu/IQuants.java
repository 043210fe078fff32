package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tensor.IqGridType;
import dev.r1.models.tensor.IqGrids;
import java.lang.foreign.MemorySegment;

/**
 * IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS and IQ3_S rows against Q8_K activations, bit-identical to ggml's AVX2
 * {@code ggml_vec_dot_<type>_q8_K} (ggml-cpu repacks none of these on x86).
 *
 * <p>All five share ggml's shape: per super-block the grid values (signed) times the 8-bit activations are summed in
 * eight 32-bit lanes, lane {@code k} holding elements {@code 4k..4k+3} of every 32 ({@code maddubs} pairs, then
 * {@code madd} with the scale {@code 2s+1} of their 16 or 32 values); the lanes go to float and are fma'd with
 * {@code d_w·d_a} into eight float accumulators, summed by {@code hsum_float_8} and multiplied by 1/8 (IQ2), 1/4
 * (IQ3_XXS) or 1 (IQ3_S). The integer lanes are exact whatever order we add in, so each super-block is decoded once
 * into signed bytes and scales ({@link IqGridType#decode}, the same reading the dequantizer uses) and summed here.
 *
 * <p>Speed: a scalar decode through the grid per super-block and row; these files are for memory-starved machines
 * and {@code --backend auto} gives them to llama.cpp (ggml's AVX2 loops look the grid up with one {@code set_epi64x}
 * per 32 values and multiply with {@code maddubs}).
 */
public final class IQuants {
    private IQuants() {}

    /** True for the weight types this class has kernels for. */
    public static boolean serves(GgmlType t) {
        return t.layout() instanceof IqGridType;
    }

    /** A thread's arrays for {@link #dot}, kept by the caller (one per worker). */
    public static final class Scratch {
        final byte[] v = new byte[256];
        final int[] sc = new int[16], lanes = new int[8];
        final float[] acc = new float[8];
    }

    /** Row ({@code sbs} super-blocks of type {@code t} at {@code rowOff}) · one Q8_K activation row ({@code q}, {@code d}). */
    public static float dot(GgmlType t, MemorySegment w, long rowOff, int sbs, short[] q, int qOff, float[] d, int dOff, Scratch x) {
        IqGridType type = (IqGridType) t.layout();
        IqGrids grids = IqGrids.get();
        byte[] v = x.v;
        int[] sc = x.sc, lanes = x.lanes;
        float[] acc = x.acc;
        java.util.Arrays.fill(acc, 0f);
        int ts = type.typeSize();
        for (int sb = 0; sb < sbs; sb++) {
            long base = rowOff + (long) sb * ts;
            type.decode(w, base, grids, v, 0, sc, 0);
            float dd = Float.float16ToFloat(w.get(QuantLayouts.I16, base)) * d[dOff + sb];
            int a = qOff + 256 * sb;
            for (int k = 0; k < 8; k++) lanes[k] = 0;
            for (int h = 0; h < 16; h++) { // 16 values of one scale: lanes 4·(h%2) .. 4·(h%2)+3
                int s = sc[h], l0 = 4 * (h & 1), i0 = 16 * h;
                for (int m = 0; m < 4; m++) {
                    int i = i0 + 4 * m;
                    lanes[l0 + m] += s * (v[i] * q[a + i] + v[i + 1] * q[a + i + 1] + v[i + 2] * q[a + i + 2] + v[i + 3] * q[a + i + 3]);
                }
            }
            for (int k = 0; k < 8; k++) acc[k] = Math.fma(dd, (float) lanes[k], acc[k]);
        }
        return type.factor() * KQuants2.hsum8(acc);
    }
}

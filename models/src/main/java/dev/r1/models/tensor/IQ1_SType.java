package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml IQ1_S (1.56 bits a value): 50 bytes a super-block of 256, f16 {@code d}, 32 low bytes of 11-bit indices into
 * the 2048-entry ternary grid ({@link IqGrids#iq1s}, 8 values each), and per 32 values one 16-bit word: the four
 * indices' top 3 bits, a 3-bit scale {@code s} and the sign of the shift. A value is
 * {@code (d · (2s+1)) · (grid ± 1/8)}: ggml's grids are offset by a delta of 1/8, its sign per 32 values here (per 8
 * in {@link IQ1_MType}).
 *
 * <p>{@link #decode} gives a super-block as ggml's dot products see it: the grid values, the integer scale of each
 * 16 and the delta's sign of each 8, so the Java engine's kernel and this dequantizer share one reading of the bits.
 */
public final class IQ1_SType implements TypeLayout {
    public static final int BLOCK_SIZE = 256, TYPE_SIZE = 50;
    /** ggml's delta (IQ1S_DELTA, IQ1M_DELTA): what the grid values are shifted by. */
    public static final float DELTA = 0.125f;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    /** The super-block scale {@code d} of the block at {@code base}. */
    public static float d(MemorySegment src, long base) {
        return Float.float16ToFloat(src.get(Layouts.I16, base));
    }

    /**
     * The super-block at {@code base}: grid values (-1, 0, 1) into {@code v[vOff .. vOff+256)}, the scale {@code 2s+1}
     * of each 16 values into {@code sc[scOff .. scOff+16)}, the delta's sign (+1 or -1) of each 8 values into
     * {@code delta[dlOff .. dlOff+32)}.
     */
    public static void decode(MemorySegment src, long base, IqGrids g, byte[] v, int vOff, int[] sc, int scOff, byte[] delta, int dlOff) {
        for (int ib = 0; ib < 8; ib++) {
            int qh = src.get(Layouts.I16, base + 34 + 2 * ib) & 0xFFFF;
            sc[scOff + 2 * ib] = sc[scOff + 2 * ib + 1] = 2 * ((qh >>> 12) & 7) + 1;
            byte sign = (byte) ((qh & 0x8000) != 0 ? -1 : 1);
            for (int l = 0; l < 4; l++) {
                int idx = (src.get(Layouts.I8, base + 2 + 4 * ib + l) & 0xFF) | ((qh >>> (3 * l)) & 7) << 8;
                eight(g.iq1s[idx], v, vOff + 32 * ib + 8 * l);
                delta[dlOff + 4 * ib + l] = sign;
            }
        }
    }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        IqGrids g = IqGrids.get();
        byte[] v = new byte[BLOCK_SIZE], delta = new byte[32];
        int[] sc = new int[16];
        for (int b = 0; b < nElements / BLOCK_SIZE; b++) {
            long base = byteOffset + (long) b * TYPE_SIZE;
            decode(src, base, g, v, 0, sc, 0, delta, 0);
            values(d(src, base), v, sc, delta, dst, dstOff + b * BLOCK_SIZE);
        }
    }

    /** ggml's {@code dl * (grid + delta)}, {@code dl = d * (2s+1)}: one rounding each, so order is all there is to it. */
    static void values(float d, byte[] v, int[] sc, byte[] delta, float[] dst, int out) {
        for (int e = 0; e < 32; e++) {
            float dl = d * sc[e / 2], shift = delta[e] * DELTA;
            for (int i = 8 * e; i < 8 * e + 8; i++) dst[out + i] = dl * (v[i] + shift);
        }
    }

    /** A grid entry's eight signed bytes into {@code v[o..o+8)}. */
    static void eight(long grid, byte[] v, int o) {
        for (int j = 0; j < 8; j++) v[o + j] = (byte) (grid >>> (8 * j));
    }
}

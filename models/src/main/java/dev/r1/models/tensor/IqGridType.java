package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The ggml lookup-grid types IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS and IQ3_S: super-blocks of 256 values with an f16
 * {@code d}, each group of 8 (IQ2) or 4 (IQ3) magnitudes one grid index ({@link IqGrids}), signs per value, and
 * a 4-bit scale {@code s} per 32 or 16 values. Every one of them comes down to
 * {@code value = ((d · (2s+1)) · factor) · (±magnitude)}, factor 1/8 (IQ2), 1/4 (IQ3_XXS) or 1 (IQ3_S):
 * ggml's {@code d * (0.5f + s) * 0.25f} is the same float, since doubling is exact.
 *
 * <p>{@link #decode} gives a super-block as the signed magnitudes and the integer scale {@code 2s+1} of each 16
 * values: what ggml's AVX2 dot products multiply with the 8-bit activations (so the Java engine's kernels and this
 * dequantizer share one reading of the bits).
 */
public abstract sealed class IqGridType implements TypeLayout
        permits IQ2_XXSType, IQ2_XSType, IQ2_SType, IQ3_XXSType, IQ3_SType {
    public static final int BLOCK_SIZE = 256;
    private final int typeSize;
    private final float factor;

    IqGridType(int typeSize, float factor) {
        this.typeSize = typeSize;
        this.factor = factor;
    }

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return typeSize; }

    /** ggml's last multiplier (of each value, and of its dot product's sum): 1/8, 1/4 or 1. */
    public float factor() { return factor; }

    /**
     * The super-block at {@code base}: signed magnitudes into {@code v[vOff .. vOff+256)}, the scale {@code 2s+1} of
     * each 16 values into {@code sc[scOff .. scOff+16)}.
     */
    public abstract void decode(MemorySegment src, long base, IqGrids g, byte[] v, int vOff, int[] sc, int scOff);

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        IqGrids g = IqGrids.get();
        byte[] v = new byte[BLOCK_SIZE];
        int[] sc = new int[16];
        for (int b = 0; b < nElements / BLOCK_SIZE; b++) {
            long base = byteOffset + (long) b * typeSize;
            decode(src, base, g, v, 0, sc, 0);
            float d = Float.float16ToFloat(src.get(Layouts.I16, base));
            int out = dstOff + b * BLOCK_SIZE;
            for (int k = 0; k < 16; k++) {
                float db = d * sc[k] * factor;
                for (int i = 16 * k; i < 16 * k + 16; i++) dst[out + i] = db * v[i];
            }
        }
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    /** 8 sign bits as a byte mask: byte j 0xFF where bit j is set. */
    public static final long[] MASK8 = new long[256];

    static {
        for (int b = 0; b < 256; b++) {
            long m = 0;
            for (int j = 0; j < 8; j++) if ((b >> j & 1) != 0) m |= 0xFFL << (8 * j);
            MASK8[b] = m;
        }
    }

    /**
     * Eight magnitudes (a byte each, 1..127) with the signs of {@code mask} ({@link #MASK8}) into {@code v[o..o+8)}, eight
     * bytes at once: where the mask is 0xFF, {@code (m ^ 0xFF) + 1} is {@code -m} in that byte and, as no grid magnitude
     * is 0 ({@code IqGridTypesTest}), never carries into the next one.
     */
    static void eight(long grid, long mask, byte[] v, int o) {
        LONGS.set(v, o, (grid ^ mask) + (mask & ONES));
    }

    /** Two grid entries of four magnitudes as one of eight (IQ3). */
    static long pair(int lo, int hi) {
        return lo & 0xFFFFFFFFL | (long) hi << 32;
    }

    static int u8(MemorySegment src, long at) {
        return src.get(Layouts.I8, at) & 0xFF;
    }
}

package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml Q3_K: super-blocks of 256 elements, 110 bytes: 32 bytes {@code hmask} (third bits), 64 bytes of
 * 2-bit quants laid out as in Q2_K, 12 bytes of packed 6-bit sub-block scales (16 sub-blocks of 16),
 * f16 {@code d}. Element {@code 128h + l + 32k} has its high bit in bit {@code 4h + k} of
 * {@code hmask[l]}; a clear bit subtracts 4. value = (d * (scale - 32)) * (q - (hbit ? 0 : 4)).
 */
public final class Q3_KType implements TypeLayout {
    public static final int BLOCK_SIZE = 256;
    public static final int TYPE_SIZE = 110;
    public static final int OFF_HMASK = 0;
    public static final int OFF_QS = 32;
    public static final int OFF_SCALES = 96;
    public static final int OFF_D = 108;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    /**
     * The 6-bit scale (0..63, before the -32 offset) of sub-block {@code j} (0..15): its low 4 bits are
     * nibble {@code j / 8} of byte {@code j % 8}, its top 2 bits bits {@code 2(j / 4)..} of byte
     * {@code 8 + j % 4}.
     */
    public static int scale(MemorySegment src, long scalesOff, int j) {
        int lo = (src.get(Layouts.I8, scalesOff + (j % 8)) >>> (4 * (j / 8))) & 0x0F;
        int hi = (src.get(Layouts.I8, scalesOff + 8 + (j % 4)) >>> (2 * (j / 4))) & 3;
        return lo | hi << 4;
    }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        int blocks = nElements / BLOCK_SIZE;
        for (int b = 0; b < blocks; b++) {
            long base = byteOffset + (long) b * TYPE_SIZE;
            float d = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_D));
            int out = dstOff + b * BLOCK_SIZE;
            for (int sub = 0; sub < 16; sub++) {
                int half = sub / 8, k = (sub % 8) / 2, l0 = (sub % 2) * 16;
                float dl = d * (scale(src, base + OFF_SCALES, sub) - 32);
                long qs = base + OFF_QS + 32L * half + l0;
                long hm = base + OFF_HMASK + l0;
                int bit = 4 * half + k;
                for (int l = 0; l < 16; l++) {
                    int q = (src.get(Layouts.I8, qs + l) >>> (2 * k)) & 3;
                    int h = (src.get(Layouts.I8, hm + l) >>> bit) & 1;
                    dst[out + 16 * sub + l] = dl * (q - (h != 0 ? 0 : 4));
                }
            }
        }
    }
}

package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml Q4_K: super-blocks of 256 elements, 144 bytes:
 * f16 {@code d}, f16 {@code dmin}, 12 bytes of packed 6-bit (scale, min) pairs for 8 sub-blocks of 32,
 * then 128 bytes of 4-bit quants. Sub-block pair {@code 2g, 2g+1} shares 32 quant bytes: the low
 * nibbles are sub-block {@code 2g}, the high nibbles sub-block {@code 2g+1}.
 * value = (d * scale) * q - (dmin * min).
 */
public final class Q4_KType implements TypeLayout {
    public static final int BLOCK_SIZE = 256;
    public static final int TYPE_SIZE = 144;
    public static final int OFF_D = 0;
    public static final int OFF_DMIN = 2;
    public static final int OFF_SCALES = 4;
    public static final int OFF_QS = 16;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    /**
     * The 6-bit scale of sub-block {@code j} (0..7) from the 12 packed bytes at {@code scalesOff}:
     * sub-blocks 0..3 use the low 6 bits of bytes 0..3; 4..7 put their low 4 bits in bytes 8..11
     * (low nibble) and their top 2 bits in the top bits of bytes 0..3.
     */
    public static int scale(MemorySegment src, long scalesOff, int j) {
        if (j < 4) return u8(src, scalesOff + j) & 63;
        return (u8(src, scalesOff + j + 4) & 0x0F) | ((u8(src, scalesOff + j - 4) >>> 6) << 4);
    }

    /** The 6-bit min of sub-block {@code j}: like {@link #scale}, from bytes 4..7 and the high nibbles of 8..11. */
    public static int min(MemorySegment src, long scalesOff, int j) {
        if (j < 4) return u8(src, scalesOff + j + 4) & 63;
        return (u8(src, scalesOff + j + 4) >>> 4) | ((u8(src, scalesOff + j) >>> 6) << 4);
    }

    private static int u8(MemorySegment src, long off) {
        return src.get(Layouts.I8, off) & 0xFF;
    }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        int blocks = nElements / BLOCK_SIZE;
        for (int b = 0; b < blocks; b++) {
            long base = byteOffset + (long) b * TYPE_SIZE;
            float d = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_D));
            float dmin = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_DMIN));
            long sc = base + OFF_SCALES;
            int out = dstOff + b * BLOCK_SIZE;
            for (int g = 0; g < 4; g++) {
                float d1 = d * scale(src, sc, 2 * g);
                float m1 = dmin * min(src, sc, 2 * g);
                float d2 = d * scale(src, sc, 2 * g + 1);
                float m2 = dmin * min(src, sc, 2 * g + 1);
                long qs = base + OFF_QS + 32L * g;
                for (int l = 0; l < 32; l++) {
                    int q = u8(src, qs + l);
                    dst[out + 64 * g + l] = d1 * (q & 0x0F) - m1;
                    dst[out + 64 * g + 32 + l] = d2 * (q >>> 4) - m2;
                }
            }
        }
    }
}

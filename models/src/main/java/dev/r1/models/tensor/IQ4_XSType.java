package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml IQ4_XS: super-blocks of 256 elements, 136 bytes: f16 {@code d}, a 16-bit word {@code scales_h}
 * (top 2 bits of sub-block {@code j}'s scale at bits {@code 2j}), 4 bytes {@code scales_l} (low nibble
 * pairs), then 8 sub-blocks of 16 bytes, each laid out as an IQ4_NL block's indices.
 * value = (d * (scale - 32)) * IQ4_NL level.
 */
public final class IQ4_XSType implements TypeLayout {
    public static final int BLOCK_SIZE = 256;
    public static final int TYPE_SIZE = 136;
    public static final int OFF_D = 0;
    public static final int OFF_SCALES_H = 2;
    public static final int OFF_SCALES_L = 4;
    public static final int OFF_QS = 8;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    /** The 6-bit scale (before the -32 offset) of sub-block {@code j} (0..7) of the block at {@code base}. */
    public static int scale(MemorySegment src, long base, int j) {
        int lo = (src.get(Layouts.I8, base + OFF_SCALES_L + j / 2) >>> (4 * (j % 2))) & 0x0F;
        int hi = (src.get(Layouts.I16, base + OFF_SCALES_H) >>> (2 * j)) & 3;
        return lo | hi << 4;
    }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        int blocks = nElements / BLOCK_SIZE;
        for (int b = 0; b < blocks; b++) {
            long base = byteOffset + (long) b * TYPE_SIZE;
            float d = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_D));
            for (int j = 0; j < 8; j++) {
                float dl = d * (scale(src, base, j) - 32);
                long qs = base + OFF_QS + 16L * j;
                int out = dstOff + b * BLOCK_SIZE + 32 * j;
                for (int l = 0; l < 16; l++) {
                    int q = src.get(Layouts.I8, qs + l) & 0xFF;
                    dst[out + l] = dl * IQ4_NLType.value(q & 0x0F);
                    dst[out + l + 16] = dl * IQ4_NLType.value(q >>> 4);
                }
            }
        }
    }
}

package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml Q5_K: super-blocks of 256 elements, 176 bytes: f16 {@code d}, f16 {@code dmin}, 12 bytes of
 * 6-bit (scale, min) pairs packed as in Q4_K, 32 bytes {@code qh} of fifth bits, 128 bytes of low
 * nibbles laid out as in Q4_K. Element {@code 32j + l} (sub-block j) has its fifth bit in bit {@code j}
 * of {@code qh[l]}. value = (d * scale) * q - (dmin * min).
 */
public final class Q5_KType implements TypeLayout {
    public static final int BLOCK_SIZE = 256;
    public static final int TYPE_SIZE = 176;
    public static final int OFF_D = 0;
    public static final int OFF_DMIN = 2;
    public static final int OFF_SCALES = 4;
    public static final int OFF_QH = 16;
    public static final int OFF_QS = 48;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        int blocks = nElements / BLOCK_SIZE;
        for (int b = 0; b < blocks; b++) {
            long base = byteOffset + (long) b * TYPE_SIZE;
            float d = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_D));
            float dmin = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_DMIN));
            long sc = base + OFF_SCALES;
            int out = dstOff + b * BLOCK_SIZE;
            for (int j = 0; j < 8; j++) {
                float dj = d * Q4_KType.scale(src, sc, j);
                float mj = dmin * Q4_KType.min(src, sc, j);
                long qs = base + OFF_QS + 32L * (j / 2);
                int shift = 4 * (j % 2);
                for (int l = 0; l < 32; l++) {
                    int q = ((src.get(Layouts.I8, qs + l) & 0xFF) >>> shift) & 0x0F;
                    int h = (src.get(Layouts.I8, base + OFF_QH + l) >>> j) & 1;
                    dst[out + 32 * j + l] = dj * (q + 16 * h) - mj;
                }
            }
        }
    }
}

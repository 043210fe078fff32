package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml Q2_K: super-blocks of 256 elements, 84 bytes: 16 scale bytes (one per sub-block of 16: low
 * nibble scale, high nibble min), 64 bytes of 2-bit quants, f16 {@code d}, f16 {@code dmin}.
 * Each half of 128 elements uses 32 quant bytes: element {@code l + 32k} (l in 0..31, k in 0..3) is
 * bits {@code 2k..2k+1} of byte {@code l}. value = (d * scale) * q - (dmin * min).
 */
public final class Q2_KType implements TypeLayout {
    public static final int BLOCK_SIZE = 256;
    public static final int TYPE_SIZE = 84;
    public static final int OFF_SCALES = 0;
    public static final int OFF_QS = 16;
    public static final int OFF_D = 80;
    public static final int OFF_DMIN = 82;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        int blocks = nElements / BLOCK_SIZE;
        for (int b = 0; b < blocks; b++) {
            long base = byteOffset + (long) b * TYPE_SIZE;
            float d = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_D));
            float dmin = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_DMIN));
            int out = dstOff + b * BLOCK_SIZE;
            for (int sub = 0; sub < 16; sub++) { // sub-block order = output order
                int half = sub / 8, k = (sub % 8) / 2, l0 = (sub % 2) * 16;
                int sc = src.get(Layouts.I8, base + OFF_SCALES + sub) & 0xFF;
                float dl = d * (sc & 0x0F), ml = dmin * (sc >>> 4);
                long qs = base + OFF_QS + 32L * half + l0;
                for (int l = 0; l < 16; l++) {
                    int q = (src.get(Layouts.I8, qs + l) >>> (2 * k)) & 3;
                    dst[out + 16 * sub + l] = dl * q - ml;
                }
            }
        }
    }
}

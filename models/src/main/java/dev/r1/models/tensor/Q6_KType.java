package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml Q6_K: super-blocks of 256 elements, 210 bytes: 128 bytes {@code ql} (low 4 bits), 64 bytes
 * {@code qh} (high 2 bits), 16 int8 sub-block scales (one per 16 elements), f16 {@code d}.
 * Each half of 128 elements uses 64 ql bytes, 32 qh bytes and 8 scales; within a half, element
 * {@code l + 32k} (l in 0..31, k in 0..3) takes its low nibble from ql[l] (k=0,2: low/high nibble) or
 * ql[l+32] (k=1,3) and its high bits from bits {@code 2k..2k+1} of qh[l].
 * value = (d * scale) * (q - 32).
 */
public final class Q6_KType implements TypeLayout {
    public static final int BLOCK_SIZE = 256;
    public static final int TYPE_SIZE = 210;
    public static final int OFF_QL = 0;
    public static final int OFF_QH = 128;
    public static final int OFF_SCALES = 192;
    public static final int OFF_D = 208;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    @Override
    public void dequantize(MemorySegment src, long byteOffset, float[] dst, int dstOff, int nElements) {
        int blocks = nElements / BLOCK_SIZE;
        for (int b = 0; b < blocks; b++) {
            long base = byteOffset + (long) b * TYPE_SIZE;
            float d = Float.float16ToFloat(src.get(Layouts.I16, base + OFF_D));
            for (int half = 0; half < 2; half++) {
                long ql = base + OFF_QL + 64L * half;
                long qh = base + OFF_QH + 32L * half;
                long sc = base + OFF_SCALES + 8L * half;
                int out = dstOff + b * BLOCK_SIZE + 128 * half;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int lo0 = src.get(Layouts.I8, ql + l) & 0xFF;
                    int lo1 = src.get(Layouts.I8, ql + l + 32) & 0xFF;
                    int hi = src.get(Layouts.I8, qh + l) & 0xFF;
                    int q1 = ((lo0 & 0x0F) | ((hi & 3) << 4)) - 32;
                    int q2 = ((lo1 & 0x0F) | (((hi >>> 2) & 3) << 4)) - 32;
                    int q3 = ((lo0 >>> 4) | (((hi >>> 4) & 3) << 4)) - 32;
                    int q4 = ((lo1 >>> 4) | (((hi >>> 6) & 3) << 4)) - 32;
                    dst[out + l] = d * src.get(Layouts.I8, sc + is) * q1;
                    dst[out + l + 32] = d * src.get(Layouts.I8, sc + is + 2) * q2;
                    dst[out + l + 64] = d * src.get(Layouts.I8, sc + is + 4) * q3;
                    dst[out + l + 96] = d * src.get(Layouts.I8, sc + is + 6) * q4;
                }
            }
        }
    }
}

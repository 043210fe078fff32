package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml IQ1_M (1.75 bits a value): 56 bytes a super-block of 256, with no {@code d} field of its own: 32 low bytes of
 * 11-bit grid indices ({@link IqGrids#iq1s}, as {@link IQ1_SType}), 16 bytes of one nibble per index (its top 3 bits,
 * then the delta's sign), and four 16-bit scale words holding four 3-bit scales each (one per 16 values) under a
 * nibble of the f16 super-block scale. A value is {@code (d · (2s+1)) · (grid ± 1/8)}.
 */
public final class IQ1_MType implements TypeLayout {
    public static final int BLOCK_SIZE = 256, TYPE_SIZE = 56;

    @Override public int blockSize() { return BLOCK_SIZE; }
    @Override public int typeSize() { return TYPE_SIZE; }

    /** The super-block scale {@code d} of the block at {@code base}: the top nibbles of the scale words, low word first. */
    public static float d(MemorySegment src, long base) {
        int bits = 0;
        for (int k = 0; k < 4; k++) bits |= (src.get(Layouts.I16, base + 48 + 2 * k) >>> 12 & 0xF) << (4 * k);
        return Float.float16ToFloat((short) bits);
    }

    /** As {@link IQ1_SType#decode}: grid values, the scale {@code 2s+1} of each 16 values, the delta's sign of each 8. */
    public static void decode(MemorySegment src, long base, IqGrids g, byte[] v, int vOff, int[] sc, int scOff, byte[] delta, int dlOff) {
        for (int k = 0; k < 4; k++) { // word k: sub-blocks 2k and 2k+1, two 3-bit scales each
            int w = src.get(Layouts.I16, base + 48 + 2 * k);
            for (int h = 0; h < 4; h++) sc[scOff + 4 * k + h] = 2 * ((w >>> (3 * h)) & 7) + 1;
        }
        for (int i = 0; i < 32; i++) { // index i: its nibble is the low (i even) or high half of byte i/2
            int nib = (src.get(Layouts.I8, base + 32 + i / 2) >>> (4 * (i & 1))) & 0xF;
            int idx = (src.get(Layouts.I8, base + i) & 0xFF) | (nib & 7) << 8;
            IQ1_SType.eight(g.iq1s[idx], v, vOff + 8 * i);
            delta[dlOff + i] = (byte) ((nib & 8) != 0 ? -1 : 1);
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
            IQ1_SType.values(d(src, base), v, sc, delta, dst, dstOff + b * BLOCK_SIZE);
        }
    }
}

package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml IQ3_S (3.44 bits a value): 110 bytes, f16 {@code d}, 64 low index bytes, 8 bytes of index bit 8 (one per
 * index) into the 512-entry grid (4 magnitudes each), 32 sign bytes (one per 8 values), then 4 bytes of two
 * 4-bit scales (one per 32 values).
 */
public final class IQ3_SType extends IqGridType {
    public static final int TYPE_SIZE = 110;

    public IQ3_SType() { super(TYPE_SIZE, 1f); }

    @Override
    public void decode(MemorySegment src, long base, IqGrids g, byte[] v, int vOff, int[] sc, int scOff) {
        for (int ib = 0; ib < 8; ib++) {
            sc[scOff + 2 * ib] = sc[scOff + 2 * ib + 1] = 2 * (u8(src, base + 106 + ib / 2) >>> (4 * (ib & 1)) & 0xF) + 1;
            int qh = u8(src, base + 66 + ib);
            long qs = src.get(Layouts.I64, base + 2 + 8 * ib);
            int signs = src.get(Layouts.I32, base + 74 + 4 * ib);
            for (int l = 0; l < 4; l++) {
                int i1 = ((int) (qs >>> (16 * l)) & 0xFF) | (qh >>> (2 * l) & 1) << 8;
                int i2 = ((int) (qs >>> (16 * l + 8)) & 0xFF) | (qh >>> (2 * l + 1) & 1) << 8;
                eight(pair(g.iq3s[i1], g.iq3s[i2]), MASK8[signs >>> (8 * l) & 0xFF], v, vOff + 32 * ib + 8 * l);
            }
        }
    }
}

package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml IQ2_S (2.56 bits a value): 82 bytes, f16 {@code d}, 32 low index bytes, 32 sign bytes (one per 8 values),
 * 8 bytes holding index bits 8-9 (two per index) into the 1024-entry grid, then IQ2_XS's scale bytes.
 */
public final class IQ2_SType extends IqGridType {
    public static final int TYPE_SIZE = 82;

    public IQ2_SType() { super(TYPE_SIZE, 0.125f); }

    @Override
    public void decode(MemorySegment src, long base, IqGrids g, byte[] v, int vOff, int[] sc, int scOff) {
        for (int ib = 0; ib < 8; ib++) {
            int s = u8(src, base + 74 + ib), qh = u8(src, base + 66 + ib);
            sc[scOff + 2 * ib] = 2 * (s & 0xF) + 1;
            sc[scOff + 2 * ib + 1] = 2 * (s >>> 4) + 1;
            int qs = src.get(Layouts.I32, base + 2 + 4 * ib), signs = src.get(Layouts.I32, base + 34 + 4 * ib);
            for (int l = 0; l < 4; l++) {
                int idx = (qs >>> (8 * l) & 0xFF) | (qh >>> (2 * l) & 3) << 8;
                eight(g.iq2s[idx], MASK8[signs >>> (8 * l) & 0xFF], v, vOff + 32 * ib + 8 * l);
            }
        }
    }
}

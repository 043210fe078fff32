package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml IQ2_XS (2.31 bits a value): 74 bytes, f16 {@code d}, 32 16-bit words (a 9-bit index into the 512-entry
 * grid, 8 magnitudes each, and a 7-bit sign field), then a byte of two 4-bit scales per 32 values (low: the first 16).
 */
public final class IQ2_XSType extends IqGridType {
    public static final int TYPE_SIZE = 74;

    public IQ2_XSType() { super(TYPE_SIZE, 0.125f); }

    @Override
    public void decode(MemorySegment src, long base, IqGrids g, byte[] v, int vOff, int[] sc, int scOff) {
        for (int ib = 0; ib < 8; ib++) {
            int s = u8(src, base + 66 + ib);
            sc[scOff + 2 * ib] = 2 * (s & 0xF) + 1;
            sc[scOff + 2 * ib + 1] = 2 * (s >>> 4) + 1;
            long words = src.get(Layouts.I64, base + 2 + 8 * ib);
            for (int l = 0; l < 4; l++) {
                int q = (int) (words >>> (16 * l)) & 0xFFFF;
                eight(g.iq2xs[q & 511], g.ksignMasks[q >>> 9], v, vOff + 32 * ib + 8 * l);
            }
        }
    }
}

package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml IQ2_XXS (2.06 bits a value): 66 bytes, f16 {@code d}, then per 32 values two 32-bit words: four 8-bit
 * indices into the 256-entry grid (8 magnitudes each), and four 7-bit sign fields with the 4-bit scale on top.
 */
public final class IQ2_XXSType extends IqGridType {
    public static final int TYPE_SIZE = 66;

    public IQ2_XXSType() { super(TYPE_SIZE, 0.125f); }

    @Override
    public void decode(MemorySegment src, long base, IqGrids g, byte[] v, int vOff, int[] sc, int scOff) {
        for (int ib = 0; ib < 8; ib++) {
            int idx = src.get(Layouts.I32, base + 2 + 8 * ib), aux = src.get(Layouts.I32, base + 6 + 8 * ib);
            sc[scOff + 2 * ib] = sc[scOff + 2 * ib + 1] = 2 * (aux >>> 28) + 1;
            for (int l = 0; l < 4; l++) {
                eight(g.iq2xxs[(idx >>> (8 * l)) & 0xFF], g.ksignMasks[(aux >>> (7 * l)) & 127], v, vOff + 32 * ib + 8 * l);
            }
        }
    }
}

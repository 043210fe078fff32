package dev.r1.models.tensor;

import java.lang.foreign.MemorySegment;

/**
 * ggml IQ3_XXS (3.06 bits a value): 98 bytes, f16 {@code d}, 64 index bytes into the 256-entry grid (4 magnitudes
 * each), then per 32 values a 32-bit word of four 7-bit sign fields (8 values each) and the 4-bit scale.
 */
public final class IQ3_XXSType extends IqGridType {
    public static final int TYPE_SIZE = 98;

    public IQ3_XXSType() { super(TYPE_SIZE, 0.25f); }

    @Override
    public void decode(MemorySegment src, long base, IqGrids g, byte[] v, int vOff, int[] sc, int scOff) {
        for (int ib = 0; ib < 8; ib++) {
            int aux = src.get(Layouts.I32, base + 66 + 4 * ib);
            sc[scOff + 2 * ib] = sc[scOff + 2 * ib + 1] = 2 * (aux >>> 28) + 1;
            long qs = src.get(Layouts.I64, base + 2 + 8 * ib);
            for (int l = 0; l < 4; l++) {
                int i1 = (int) (qs >>> (16 * l)) & 0xFF, i2 = (int) (qs >>> (16 * l + 8)) & 0xFF;
                eight(pair(g.iq3xxs[i1], g.iq3xxs[i2]), g.ksignMasks[(aux >>> (7 * l)) & 127], v, vOff + 32 * ib + 8 * l);
            }
        }
    }
}

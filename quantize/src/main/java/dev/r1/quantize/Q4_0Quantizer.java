package dev.r1.quantize;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_0: blocks of 32 values as an fp16 scale d and 32 4-bit codes q, value = (q - 8) * d. Matches ggml's
 * {@code quantize_row_q4_0_ref}: d comes from the value of largest magnitude <em>with its sign</em>
 * (d = max / -8, so that value lands exactly on code 0), and codes are truncated from {@code x/d + 8.5}
 * (not rounded) and clamped to 15.
 */
public final class Q4_0Quantizer implements RowQuantizer {
    public static final Q4_0Quantizer INSTANCE = new Q4_0Quantizer();
    public static final int QK = 32;
    public static final int BLOCK_BYTES = 2 + QK / 2;

    private Q4_0Quantizer() {}

    @Override public int ggmlTypeId() { return 2; }
    @Override public String typeName() { return "Q4_0"; }
    @Override public int blockSize() { return QK; }
    @Override public int typeSize() { return BLOCK_BYTES; }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;

    /** With an importance matrix: ggml's weighted form (see {@link Weighted}). */
    @Override
    public void quantizeRow(float[] x, int off, int n, float[] imatrix, byte[] y, int yOff) {
        if (imatrix == null) {
            quantizeRow(x, off, n, y, yOff);
            return;
        }
        rowBytes(n);
        Weighted.q4_0or5_0(x, off, n, imatrix, y, yOff, false);
    }

    @Override
    public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
        rowBytes(n);
        for (int b = 0; b < n / QK; b++) {
            int xb = off + b * QK;
            int yb = yOff + b * BLOCK_BYTES;
            FloatVector v0 = FloatVector.fromArray(F, x, xb), v1 = FloatVector.fromArray(F, x, xb + 8);
            FloatVector v2 = FloatVector.fromArray(F, x, xb + 16), v3 = FloatVector.fromArray(F, x, xb + 24);
            float amax = v0.abs().max(v1.abs()).max(v2.abs()).max(v3.abs()).reduceLanes(VectorOperators.MAX);
            // ggml keeps the first value of largest magnitude, with its sign; max stays +0 when all are zero.
            float max = 0f;
            if (amax > 0f) {
                for (int j = 0; ; j++) { // cheap: stops at the first hit, on average a few elements in
                    if (Math.abs(x[xb + j]) == amax) {
                        max = x[xb + j];
                        break;
                    }
                }
            }
            float d = max / -8f;
            float id = d != 0f ? 1.0f / d : 0f;
            Bits.putShortLE(y, yb, Bits.fp16(d));
            if (Float.isFinite(id)) {
                // |x*id| <= 8 here, so Java's float->int conversion equals C's truncation.
                // No helpers taking vectors here (see LaneSearch): written out so C2 always intrinsifies.
                IntVector lo0 = ((IntVector) v0.mul(id).add(8.5f).convert(VectorOperators.F2I, 0)).min(15);
                IntVector lo1 = ((IntVector) v1.mul(id).add(8.5f).convert(VectorOperators.F2I, 0)).min(15);
                IntVector hi0 = ((IntVector) v2.mul(id).add(8.5f).convert(VectorOperators.F2I, 0)).min(15);
                IntVector hi1 = ((IntVector) v3.mul(id).add(8.5f).convert(VectorOperators.F2I, 0)).min(15);
                lo0.or(hi0.lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2B, B, 0)
                        .reinterpretAsBytes().intoArray(y, yb + 2);
                lo1.or(hi1.lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2B, B, 0)
                        .reinterpretAsBytes().intoArray(y, yb + 10);
                continue;
            }
            // 1/d overflowed (denormal-sized block): reproduce C's conversion of inf/NaN exactly.
            for (int j = 0; j < QK / 2; j++) {
                float x0 = x[xb + j] * id;
                float x1 = x[xb + QK / 2 + j] * id;
                // (int8_t) truncation then MIN(15, .), stored as uint8_t: keep C's wrap-around exactly.
                int q0 = Math.min(15, (byte) Bits.cvtt(x0 + 8.5f)) & 0xFF;
                int q1 = Math.min(15, (byte) Bits.cvtt(x1 + 8.5f)) & 0xFF;
                y[yb + 2 + j] = (byte) (q0 | (q1 << 4));
            }
        }
    }
}

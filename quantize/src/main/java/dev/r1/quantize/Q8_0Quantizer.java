package dev.r1.quantize;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q8_0: blocks of 32 values as an fp16 scale d = amax/127 and 32 int8 codes, value = q * d. Matches
 * ggml's {@code quantize_row_q8_0_ref}: codes are {@code roundf(x/d)} (half away from zero).
 */
public final class Q8_0Quantizer implements RowQuantizer {
    public static final Q8_0Quantizer INSTANCE = new Q8_0Quantizer();
    public static final int QK = 32;
    public static final int BLOCK_BYTES = 2 + QK;

    private Q8_0Quantizer() {}

    @Override public int ggmlTypeId() { return 8; }
    @Override public String typeName() { return "Q8_0"; }
    @Override public int blockSize() { return QK; }
    @Override public int typeSize() { return BLOCK_BYTES; }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final FloatVector ONE = FloatVector.broadcast(F, 1f), ZERO = FloatVector.zero(F);

    @Override
    public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
        rowBytes(n);
        int[] qi = new int[QK];
        for (int b = 0; b < n / QK; b++) {
            int xb = off + b * QK;
            int yb = yOff + b * BLOCK_BYTES;
            float amax = FloatVector.fromArray(F, x, xb).abs()
                    .max(FloatVector.fromArray(F, x, xb + 8).abs())
                    .max(FloatVector.fromArray(F, x, xb + 16).abs())
                    .max(FloatVector.fromArray(F, x, xb + 24).abs()).reduceLanes(VectorOperators.MAX);
            float d = amax / 127f;
            float id = d != 0f ? 1.0f / d : 0f;
            Bits.putShortLE(y, yb, Bits.fp16(d));
            if (Float.isFinite(id)) {
                // roundf, exactly: |v| <= 127 so truncation and the fraction v - trunc(v) are exact.
                for (int k = 0; k < QK; k += 8) {
                    FloatVector v = FloatVector.fromArray(F, x, xb + k).mul(id);
                    FloatVector t = (FloatVector) v.convert(VectorOperators.F2I, 0).convert(VectorOperators.I2F, 0);
                    FloatVector frac = v.sub(t);
                    t = t.add(ZERO.blend(ONE, frac.compare(VectorOperators.GE, 0.5f)))
                            .sub(ZERO.blend(ONE, frac.compare(VectorOperators.LE, -0.5f)));
                    t.convert(VectorOperators.F2I, 0).reinterpretAsInts().intoArray(qi, k);
                }
                for (int j = 0; j < QK; j++) y[yb + 2 + j] = (byte) qi[j];
                continue;
            }
            // For tiny amax, 1/d overflows to inf and ggml stores the low byte of cvttss2si's 0x80000000.
            for (int j = 0; j < QK; j++) y[yb + 2 + j] = (byte) Bits.cvtt(Bits.roundf(x[xb + j] * id));
        }
    }
}

package dev.r1.quantize;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q5_0: blocks of 32 values as an fp16 scale d, 32 fifth bits and 32 low nibbles, value = (q - 16) * d.
 * Matches ggml's {@code quantize_row_q5_0_ref}: like Q4_0, d = max / -16 from the value of largest
 * magnitude with its sign, codes truncated from {@code x/d + 16.5} and clamped to 31.
 */
public final class Q5_0Quantizer implements RowQuantizer {
    public static final Q5_0Quantizer INSTANCE = new Q5_0Quantizer();
    public static final int QK = 32;
    public static final int BLOCK_BYTES = 2 + 4 + QK / 2;

    private Q5_0Quantizer() {}

    @Override public int ggmlTypeId() { return 6; }
    @Override public String typeName() { return "Q5_0"; }
    @Override public int blockSize() { return QK; }
    @Override public int typeSize() { return BLOCK_BYTES; }

    /** With an importance matrix: ggml's weighted form (see {@link Weighted}). */
    @Override
    public void quantizeRow(float[] x, int off, int n, float[] imatrix, byte[] y, int yOff) {
        if (imatrix == null) {
            quantizeRow(x, off, n, y, yOff);
            return;
        }
        rowBytes(n);
        Weighted.q4_0or5_0(x, off, n, imatrix, y, yOff, true);
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;

    @Override
    public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
        rowBytes(n);
        for (int b = 0; b < n / QK; b++) {
            int xb = off + b * QK, yb = yOff + b * BLOCK_BYTES;
            FloatVector v0 = FloatVector.fromArray(F, x, xb), v1 = FloatVector.fromArray(F, x, xb + 8);
            FloatVector v2 = FloatVector.fromArray(F, x, xb + 16), v3 = FloatVector.fromArray(F, x, xb + 24);
            float amax = v0.abs().max(v1.abs()).max(v2.abs()).max(v3.abs()).reduceLanes(VectorOperators.MAX);
            // ggml keeps the first value of largest magnitude, with its sign; max stays +0 when all are zero
            float max = 0f;
            if (amax > 0f) {
                for (int j = 0; ; j++) { // stops at the first hit, a few elements in on average
                    if (Math.abs(x[xb + j]) == amax) {
                        max = x[xb + j];
                        break;
                    }
                }
            }
            float d = max / -16f;
            float id = d != 0f ? 1.0f / d : 0f;
            if (!Float.isFinite(id)) { // C's conversion of inf/NaN codes: the scalar path
                scalarBlock(x, xb, y, yb);
                continue;
            }
            Bits.putShortLE(y, yb, Bits.fp16(d));
            // codes x/d + 16.5 in [0, 32.5] here, where Java's conversion is C's truncation; clamped to 31
            IntVector q0 = ((IntVector) v0.mul(id).add(16.5f).convert(VectorOperators.F2I, 0)).min(31);
            IntVector q1 = ((IntVector) v1.mul(id).add(16.5f).convert(VectorOperators.F2I, 0)).min(31);
            IntVector q2 = ((IntVector) v2.mul(id).add(16.5f).convert(VectorOperators.F2I, 0)).min(31);
            IntVector q3 = ((IntVector) v3.mul(id).add(16.5f).convert(VectorOperators.F2I, 0)).min(31);
            long qh = q0.and(16).compare(VectorOperators.NE, 0).toLong() | q1.and(16).compare(VectorOperators.NE, 0).toLong() << 8
                    | q2.and(16).compare(VectorOperators.NE, 0).toLong() << 16 | q3.and(16).compare(VectorOperators.NE, 0).toLong() << 24;
            putIntLE(y, yb + 2, (int) qh);
            q0.and(15).or(q2.and(15).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2B, B, 0).reinterpretAsBytes().intoArray(y, yb + 6);
            q1.and(15).or(q3.and(15).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2B, B, 0).reinterpretAsBytes().intoArray(y, yb + 14);
        }
    }

    /** One block exactly as {@code quantize_row_q5_0_ref} (the reference the vector path follows). */
    static void scalarBlock(float[] x, int xb, byte[] y, int yb) {
        float amax = 0f, max = 0f;
        for (int j = 0; j < QK; j++) {
            float v = x[xb + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -16f;
        float id = d != 0f ? 1.0f / d : 0f;
        Bits.putShortLE(y, yb, Bits.fp16(d));
        int qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            float x0 = x[xb + j] * id;
            float x1 = x[xb + QK / 2 + j] * id;
            int q0 = Math.min(31, (byte) Bits.cvtt(x0 + 16.5f)) & 0xFF;
            int q1 = Math.min(31, (byte) Bits.cvtt(x1 + 16.5f)) & 0xFF;
            y[yb + 6 + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + QK / 2);
        }
        putIntLE(y, yb + 2, qh);
    }

    static void putIntLE(byte[] b, int off, int v) {
        for (int i = 0; i < 4; i++) b[off + i] = (byte) (v >>> (8 * i));
    }
}

package dev.r1.quantize;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q5_1: blocks of 32 values as fp16 scale d = (max - min)/31, fp16 minimum m, 32 fifth bits and 32 low
 * nibbles, value = q * d + m. Matches ggml's {@code quantize_row_q5_1_ref}: codes truncated from
 * {@code (x - min)/d + 0.5} to uint8, not clamped (C's conversion, byte kept).
 */
public final class Q5_1Quantizer implements RowQuantizer {
    public static final Q5_1Quantizer INSTANCE = new Q5_1Quantizer();
    public static final int QK = 32;
    public static final int BLOCK_BYTES = 4 + 4 + QK / 2;

    private Q5_1Quantizer() {}

    @Override public int ggmlTypeId() { return 7; }
    @Override public String typeName() { return "Q5_1"; }
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
        Weighted.q4_1or5_1(x, off, n, imatrix, y, yOff, true);
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
            float min = v0.min(v1).min(v2.min(v3)).reduceLanes(VectorOperators.MIN);
            float max = v0.max(v1).max(v2.max(v3)).reduceLanes(VectorOperators.MAX);
            float d = (max - min) / 31f;
            float id = d != 0f ? 1.0f / d : 0f;
            // signed zeros and non-finite codes: as Q4_1Quantizer, the scalar path
            if (min == 0f || max == 0f || !Float.isFinite(id)) {
                scalarBlock(x, xb, y, yb);
                continue;
            }
            Bits.putShortLE(y, yb, Bits.fp16(d));
            Bits.putShortLE(y, yb + 2, Bits.fp16(min));
            // codes in [0, 31.5]: Java's conversion is C's truncation; bit 4 of each goes to qh
            IntVector q0 = (IntVector) v0.sub(min).mul(id).add(0.5f).convert(VectorOperators.F2I, 0);
            IntVector q1 = (IntVector) v1.sub(min).mul(id).add(0.5f).convert(VectorOperators.F2I, 0);
            IntVector q2 = (IntVector) v2.sub(min).mul(id).add(0.5f).convert(VectorOperators.F2I, 0);
            IntVector q3 = (IntVector) v3.sub(min).mul(id).add(0.5f).convert(VectorOperators.F2I, 0);
            long qh = q0.and(16).compare(VectorOperators.NE, 0).toLong() | q1.and(16).compare(VectorOperators.NE, 0).toLong() << 8
                    | q2.and(16).compare(VectorOperators.NE, 0).toLong() << 16 | q3.and(16).compare(VectorOperators.NE, 0).toLong() << 24;
            Q5_0Quantizer.putIntLE(y, yb + 4, (int) qh);
            q0.and(15).or(q2.and(15).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2B, B, 0).reinterpretAsBytes().intoArray(y, yb + 8);
            q1.and(15).or(q3.and(15).lanewise(VectorOperators.LSHL, 4)).convertShape(VectorOperators.I2B, B, 0).reinterpretAsBytes().intoArray(y, yb + 16);
        }
    }

    /** One block exactly as {@code quantize_row_q5_1_ref} (the reference the vector path follows). */
    static void scalarBlock(float[] x, int xb, byte[] y, int yb) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < QK; j++) {
            float v = x[xb + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 31f;
        float id = d != 0f ? 1.0f / d : 0f;
        Bits.putShortLE(y, yb, Bits.fp16(d));
        Bits.putShortLE(y, yb + 2, Bits.fp16(min));
        int qh = 0;
        for (int j = 0; j < QK / 2; j++) {
            float x0 = (x[xb + j] - min) * id;
            float x1 = (x[xb + QK / 2 + j] - min) * id;
            int q0 = Bits.cvtt(x0 + 0.5f) & 0xFF;
            int q1 = Bits.cvtt(x1 + 0.5f) & 0xFF;
            y[yb + 8 + j] = (byte) ((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + QK / 2);
        }
        Q5_0Quantizer.putIntLE(y, yb + 4, qh);
    }
}

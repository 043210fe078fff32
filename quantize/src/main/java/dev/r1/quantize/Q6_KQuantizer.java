package dev.r1.quantize;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K: super-blocks of 256 values in 16 sub-blocks of 16, each with an int8 scale relative to the fp16
 * super-block d; codes are 6 bits (4 low bits in ql, 2 high bits in qh), value = d*sc*(q - 32).
 *
 * <p>Matches ggml's {@code quantize_row_q6_K_ref}: each sub-block's scale comes from
 * {@code make_qx_quants} (nmax 32, weights x², 19 candidate scales around -32/max), the scales are
 * quantized to int8 against the largest one, and the codes recomputed from the quantized scales.
 */
public final class Q6_KQuantizer implements RowQuantizer {
    public static final Q6_KQuantizer INSTANCE = new Q6_KQuantizer();
    public static final int QK_K = 256;
    public static final int BLOCK_BYTES = QK_K / 2 + QK_K / 4 + QK_K / 16 + 2;
    private static final float GROUP_MAX_EPS = 1e-15f;

    private Q6_KQuantizer() {}

    @Override public int ggmlTypeId() { return 14; }
    @Override public String typeName() { return "Q6_K"; }
    @Override public int blockSize() { return QK_K; }
    @Override public int typeSize() { return BLOCK_BYTES; }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;

    /**
     * One sub-block's codes from its quantized scale: clamp(nearest_int(x/d), -32, 31) + 32, 8 lanes at
     * a time (IEEE division and the nearest_int bit trick are exact per lane, so this is ggml's scalar
     * result). Arrays and scalars only cross this boundary (see LaneSearch on boxing).
     */
    private static void requantize(float[] x, int xOff, float d, byte[] L, int lOff) {
        for (int h = 0; h < 16; h += 8) {
            ((IntVector) FloatVector.fromArray(F, x, xOff + h).div(d).add(12582912.0f).reinterpretAsInts())
                    .and(0x007fffff).sub(0x00400000).max(-32).min(31).add(32)
                    .convertShape(VectorOperators.I2B, B, 0).reinterpretAsBytes().intoArray(L, lOff + h);
        }
    }

    /** With an importance matrix: ggml's weighted form (see {@link Weighted}). */
    @Override
    public void quantizeRow(float[] x, int off, int n, float[] imatrix, byte[] y, int yOff) {
        if (imatrix == null) {
            quantizeRow(x, off, n, y, yOff);
            return;
        }
        rowBytes(n);
        Weighted.q6K(x, off, n, imatrix, y, yOff);
    }

    @Override
    public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
        rowBytes(n);
        byte[] L = new byte[QK_K];
        float[] scales = new float[QK_K / 16];
        float[] xt = new float[QK_K];
        float[] lt = new float[QK_K];
        float[] laux = new float[QK_K], st = LaneSearch.newState();
        for (int b = 0; b < n / QK_K; b++) {
            int xb = off + b * QK_K;
            int yb = yOff + b * BLOCK_BYTES;
            int ql = yb, qh = yb + QK_K / 2, sc = qh + QK_K / 4, dOff = sc + QK_K / 16;
            // One sub-block per lane (see LaneSearch): element i of sub-block ib at xt[i*16 + ib].
            for (int ib = 0; ib < 16; ib++) {
                for (int i = 0; i < 16; i++) xt[i * 16 + ib] = x[xb + 16 * ib + i];
            }
            LaneSearch.qx(xt, 16, lt, scales, laux, st);
            float maxScale = 0, maxAbsScale = 0;
            for (int ib = 0; ib < QK_K / 16; ib++) {
                float abs = Math.abs(scales[ib]);
                if (abs > maxAbsScale) {
                    maxAbsScale = abs;
                    maxScale = scales[ib];
                }
            }
            if (maxAbsScale < GROUP_MAX_EPS) {
                for (int i = 0; i < BLOCK_BYTES; i++) y[yb + i] = 0;
                Bits.putShortLE(y, dOff, Bits.fp16(0f));
                continue;
            }
            float iscale = -128f / maxScale;
            short dh = Bits.fp16(1 / iscale);
            Bits.putShortLE(y, dOff, dh);
            for (int ib = 0; ib < QK_K / 16; ib++) {
                y[sc + ib] = (byte) Math.min(127, Bits.nearestInt(iscale * scales[ib]));
            }
            float dAll = Bits.fp32(dh);
            for (int j = 0; j < QK_K / 16; j++) {
                float d = dAll * y[sc + j];
                if (d == 0f) { // ggml keeps the search's codes for this sub-block
                    for (int i = 0; i < 16; i++) L[16 * j + i] = (byte) lt[i * 16 + j];
                    continue;
                }
                requantize(x, xb + 16 * j, d, L, 16 * j);
            }
            for (int j = 0; j < QK_K; j += 128) {
                for (int l = 0; l < 32; l++) {
                    int q1 = L[j + l] & 0xF;
                    int q2 = L[j + l + 32] & 0xF;
                    int q3 = L[j + l + 64] & 0xF;
                    int q4 = L[j + l + 96] & 0xF;
                    y[ql + l] = (byte) (q1 | (q3 << 4));
                    y[ql + l + 32] = (byte) (q2 | (q4 << 4));
                    y[qh + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2)
                            | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
                }
                ql += 64;
                qh += 32;
            }
        }
    }
}

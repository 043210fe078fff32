package dev.r1.quantize;

/**
 * Q4_K: super-blocks of 256 values in 8 sub-blocks of 32; each sub-block has a 6-bit scale and a 6-bit
 * min (relative to the fp16 super-block d and dmin), codes are 4 bits, value = d*sc*q - dmin*m.
 *
 * <p>Matches ggml's {@code quantize_row_q4_K_ref}: each sub-block's (scale, min) is found by the
 * weighted least-squares search of {@code make_qkx2_quants} (21 candidate scales, weights
 * {@code rms + |x|}); the scales/mins are then quantized to 6 bits and the codes recomputed from the
 * quantized values. Every float operation is kept in ggml's order so the bytes come out identical.
 */
public final class Q4_KQuantizer implements RowQuantizer {
    public static final Q4_KQuantizer INSTANCE = new Q4_KQuantizer();
    public static final int QK_K = 256;
    public static final int BLOCK_BYTES = 2 + 2 + 12 + QK_K / 2;

    private Q4_KQuantizer() {}

    @Override public int ggmlTypeId() { return 12; }
    @Override public String typeName() { return "Q4_K"; }
    @Override public int blockSize() { return QK_K; }
    @Override public int typeSize() { return BLOCK_BYTES; }

    /** With an importance matrix: ggml's weighted form (see {@link Weighted}). */
    @Override
    public void quantizeRow(float[] x, int off, int n, float[] imatrix, byte[] y, int yOff) {
        if (imatrix == null) {
            quantizeRow(x, off, n, y, yOff);
            return;
        }
        rowBytes(n);
        Weighted.q4Kor5K(x, off, n, imatrix, y, yOff, false);
    }

    @Override
    public void quantizeRow(float[] x, int off, int n, byte[] y, int yOff) {
        rowBytes(n);
        byte[] L = new byte[QK_K];
        float[] xt = new float[QK_K], wt = new float[QK_K], laux = new float[QK_K];
        float[] lt = new float[QK_K];
        float[] st = LaneSearch.newState();
        float[] mins = new float[QK_K / 32];
        float[] scales = new float[QK_K / 32];
        for (int b = 0; b < n / QK_K; b++) {
            int xb = off + b * QK_K;
            int yb = yOff + b * BLOCK_BYTES;
            // One sub-block per lane (see LaneSearch): element i of sub-block j at xt[i*8 + j].
            for (int j = 0; j < 8; j++) {
                for (int i = 0; i < 32; i++) xt[i * 8 + j] = x[xb + 32 * j + i];
            }
            LaneSearch.qkx2(xt, 8, lt, scales, mins, wt, laux, st);
            float maxScale = 0f, maxMin = 0f;
            for (int j = 0; j < QK_K / 32; j++) {
                for (int i = 0; i < 32; i++) L[32 * j + i] = (byte) lt[i * 8 + j];
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            int sc = yb + 4; // 12 packed scale/min bytes
            for (int i = 0; i < 12; i++) y[sc + i] = 0;
            for (int j = 0; j < QK_K / 32; j++) {
                int ls = Math.min(63, Bits.nearestInt(invScale * scales[j]) & 0xFF); // uint8_t then MIN
                int lm = Math.min(63, Bits.nearestInt(invMin * mins[j]) & 0xFF);
                if (j < 4) {
                    y[sc + j] = (byte) ls;
                    y[sc + j + 4] = (byte) lm;
                } else {
                    y[sc + j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
                    y[sc + j - 4] |= (byte) ((ls >> 4) << 6);
                    y[sc + j] |= (byte) ((lm >> 4) << 6);
                }
            }
            short dh = Bits.fp16(maxScale / 63f);
            short dminh = Bits.fp16(maxMin / 63f);
            Bits.putShortLE(y, yb, dh);
            Bits.putShortLE(y, yb + 2, dminh);
            float dAll = Bits.fp32(dh), dminAll = Bits.fp32(dminh);
            for (int j = 0; j < QK_K / 32; j++) {
                int s = scaleK4(y, sc, j), m = minK4(y, sc, j);
                float d = dAll * s;
                if (d == 0f) continue; // ggml keeps the search's codes for this sub-block
                float dm = dminAll * m;
                for (int ii = 0; ii < 32; ii++) {
                    int l = Bits.nearestInt((x[xb + 32 * j + ii] + dm) / d);
                    L[32 * j + ii] = (byte) Math.max(0, Math.min(15, l));
                }
            }
            int q = yb + 16;
            for (int j = 0; j < QK_K; j += 64) {
                for (int l = 0; l < 32; l++) y[q + l] = (byte) (L[j + l] | (L[j + l + 32] << 4));
                q += 32;
            }
        }
    }

    /** The 6-bit scale of sub-block j from the 12 packed bytes at {@code q[off..]}. */
    static int scaleK4(byte[] q, int off, int j) {
        if (j < 4) return q[off + j] & 63;
        return (q[off + j + 4] & 0xF) | (((q[off + j - 4] & 0xFF) >> 6) << 4);
    }

    /** The 6-bit min of sub-block j from the 12 packed bytes at {@code q[off..]}. */
    static int minK4(byte[] q, int off, int j) {
        if (j < 4) return q[off + j + 4] & 63;
        return ((q[off + j + 4] & 0xFF) >> 4) | (((q[off + j] & 0xFF) >> 6) << 4);
    }
}

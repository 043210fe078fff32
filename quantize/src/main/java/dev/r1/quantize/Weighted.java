package dev.r1.quantize;

/**
 * The importance-matrix forms of ggml's quantizers ({@code quantize_row_*_impl} with quant_weights, as
 * {@code ggml_quantize_chunk} runs them when llama-quantize has an imatrix): each column's weight is
 * {@code imatrix[col] * sqrt(sigma2 + x²)} (Q6_K: the imatrix itself), the scale searches are the
 * weighted ones ({@code make_qx_quants}, {@code make_qkx3_quants}), and the K-quants fit their
 * super-block scales by weighted least squares ({@code make_qp_quants}). Each in ggml's operation order: the K-quant
 * and Q4_1/Q5_1 searches run eight or sixteen sub-blocks side by side in {@link LaneSearch} (one per lane), the rest scalar.
 */
final class Weighted {
    private Weighted() {}

    private static float sqrtf(float v) { return (float) Math.sqrt(v); }

    /** sum of x² over {@code x[off..off+n)}, in order. */
    private static float sumSq(float[] x, int off, int n) {
        float s = 0;
        for (int j = 0; j < n; j++) s += x[off + j] * x[off + j];
        return s;
    }

    /** Q4_0 and Q5_0 ({@code nmax} 8 or 16): a symmetric scale per block of 32 by make_qx_quants. */
    static void q4_0or5_0(float[] x, int off, int n, float[] qw, byte[] y, int yOff, boolean q5) {
        float sigma2 = sumSq(x, off, n) / n;
        float[] w = new float[32];
        byte[] L = new byte[32];
        int bytes = q5 ? 22 : 18;
        for (int ib = 0; ib < n / 32; ib++) {
            int xb = off + 32 * ib, yb = yOff + ib * bytes;
            for (int j = 0; j < 32; j++) w[j] = qw[32 * ib + j] * sqrtf(sigma2 + x[xb + j] * x[xb + j]);
            float d = KSearch.qx(32, q5 ? 16 : 8, x, xb, L, 0, w, 0);
            Bits.putShortLE(y, yb, Bits.fp16(d));
            packNibbles(L, y, yb + (q5 ? 6 : 2));
            if (q5) Q5_0Quantizer.putIntLE(y, yb + 2, fifthBits(L));
        }
    }

    /** Q4_1 and Q5_1: an asymmetric (scale, min) per block of 32 by make_qkx3_quants. */
    static void q4_1or5_1(float[] x, int off, int n, float[] qw, byte[] y, int yOff, boolean q5) {
        float sigma2 = sumSq(x, off, n) / n;
        byte[] L = new byte[32];
        float[] xt = new float[256], wt = new float[256], lt = new float[256], laux = new float[256], st = LaneSearch.newState();
        float[] scales = new float[8], mins = new float[8];
        int bytes = q5 ? 24 : 20, blocks = n / 32;
        // eight blocks' make_qkx3_quants side by side, one per lane (LaneSearch): [j*8 + k]; a row's last
        // group may fill fewer lanes (the others stay zero and are not used)
        for (int b0 = 0; b0 < blocks; b0 += 8) {
            int m = Math.min(8, blocks - b0);
            java.util.Arrays.fill(xt, 0f);
            java.util.Arrays.fill(wt, 0f);
            for (int k = 0; k < m; k++) {
                int xb = off + 32 * (b0 + k);
                for (int j = 0; j < 32; j++) {
                    xt[j * 8 + k] = x[xb + j];
                    wt[j * 8 + k] = qw[32 * (b0 + k) + j] * sqrtf(sigma2 + x[xb + j] * x[xb + j]);
                }
            }
            LaneSearch.qkx3(xt, 8, lt, scales, mins, wt, laux, st, q5 ? 31 : 15);
            for (int k = 0; k < m; k++) {
                int yb = yOff + (b0 + k) * bytes;
                for (int j = 0; j < 32; j++) L[j] = (byte) lt[j * 8 + k];
                Bits.putShortLE(y, yb, Bits.fp16(scales[k]));
                Bits.putShortLE(y, yb + 2, Bits.fp16(-mins[k])); // mins[k] is -min, the search's minimum
                packNibbles(L, y, yb + (q5 ? 8 : 4));
                if (q5) Q5_0Quantizer.putIntLE(y, yb + 4, fifthBits(L));
            }
        }
    }

    private static void packNibbles(byte[] L, byte[] y, int qs) {
        for (int j = 0; j < 16; j++) y[qs + j] = (byte) ((L[j] & 0x0F) | ((L[j + 16] & 0x0F) << 4));
    }

    private static int fifthBits(byte[] L) {
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            qh |= ((L[j] & 0x10) >>> 4) << j;
            qh |= ((L[j + 16] & 0x10) >>> 4) << (j + 16);
        }
        return qh;
    }

    /** Q2_K: (scale, min) per 16 by make_qkx3_quants, both quantized to 4 bits by make_qp_quants. */
    static void q2K(float[] x, int off, int n, float[] qw, byte[] y, int yOff) {
        byte[] L = new byte[256], ls = new byte[16], lm = new byte[16];
        float[] mins = new float[16], scales = new float[16], sw = new float[16];
        float[] xt = new float[256], wt = new float[256], lt = new float[256], laux = new float[256], st = LaneSearch.newState();
        for (int i = 0; i < n / 256; i++) {
            int xb = off + 256 * i, yb = yOff + 84 * i;
            float sigma2 = sumSq(x, xb, 256) / 256;
            // the 16 sub-blocks' make_qkx3_quants side by side, one per lane (LaneSearch): [l*16 + j]
            for (int j = 0; j < 16; j++) {
                float s = 0;
                for (int l = 0; l < 16; l++) {
                    float xv = x[xb + 16 * j + l];
                    float w = qw[256 * i + 16 * j + l] * sqrtf(sigma2 + xv * xv);
                    xt[l * 16 + j] = xv;
                    wt[l * 16 + j] = w;
                    s += w;
                }
                sw[j] = s;
            }
            LaneSearch.qkx3Q2(xt, 16, lt, scales, mins, wt, laux, st);
            for (int j = 0; j < 16; j++) {
                for (int l = 0; l < 16; l++) L[16 * j + l] = (byte) lt[l * 16 + j];
            }
            float dm = KSearch.qp(16, 15, scales, ls, sw);
            float mm = KSearch.qp(16, 15, mins, lm, sw);
            Bits.putShortLE(y, yb + 80, Bits.fp16(dm));
            Bits.putShortLE(y, yb + 82, Bits.fp16(mm));
            dm = Bits.fp32(Bits.getShortLE(y, yb + 80));
            mm = Bits.fp32(Bits.getShortLE(y, yb + 82));
            for (int j = 0; j < 16; j++) y[yb + j] = (byte) (ls[j] | (lm[j] << 4));
            for (int j = 0; j < 16; j++) {
                float d = dm * (y[yb + j] & 0xF);
                if (d == 0f) continue;
                float m = mm * ((y[yb + j] & 0xFF) >>> 4);
                for (int ii = 0; ii < 16; ii++) {
                    int l = Bits.nearestInt((x[xb + 16 * j + ii] + m) / d);
                    L[16 * j + ii] = (byte) Math.max(0, Math.min(3, l));
                }
            }
            Q2_KQuantizer.packQ2(L, y, yb + 16);
        }
    }

    /** Q3_K: a scale per 16 by make_qx_quants, the 16 scales quantized to 6 bits by make_qx_quants too. */
    static void q3K(float[] x, int off, int n, float[] qw, byte[] y, int yOff) {
        byte[] L = new byte[256], ls = new byte[16];
        float[] scales = new float[16], sw = new float[16];
        float[] xt = new float[256], wt = new float[256], lt = new float[256], laux = new float[256], st = LaneSearch.newState();
        for (int i = 0; i < n / 256; i++) {
            int xb = off + 256 * i, yb = yOff + 110 * i;
            int hmask = yb, qs = yb + 32, sc = yb + 96, dOff = yb + 108;
            float sigma2 = 2 * sumSq(x, xb, 256) / 256;
            // the 16 sub-blocks' searches side by side, one per lane (LaneSearch): [l*16 + j]
            for (int j = 0; j < 16; j++) {
                float s = 0;
                for (int l = 0; l < 16; l++) {
                    float xv = x[xb + 16 * j + l];
                    float w = qw[256 * i + 16 * j + l] * sqrtf(sigma2 + xv * xv);
                    xt[l * 16 + j] = xv;
                    wt[l * 16 + j] = w;
                    s += w;
                }
                sw[j] = s;
            }
            LaneSearch.qx(xt, wt, 16, lt, scales, laux, st, 4);
            for (int j = 0; j < 16; j++) {
                for (int l = 0; l < 16; l++) L[16 * j + l] = (byte) lt[l * 16 + j];
            }
            for (int k = 0; k < 12; k++) y[sc + k] = 0;
            float dBlock = KSearch.qx(16, 32, scales, 0, ls, 0, sw, 0);
            for (int j = 0; j < 16; j++) {
                int l = ls[j];
                if (j < 8) y[sc + j] = (byte) (l & 0xF);
                else y[sc + j - 8] |= (byte) ((l & 0xF) << 4);
                l >>= 4;
                y[sc + j % 4 + 8] |= (byte) (l << (2 * (j / 4)));
            }
            Bits.putShortLE(y, dOff, Bits.fp16(dBlock));
            float dAll = Bits.fp32(Bits.getShortLE(y, dOff));
            for (int j = 0; j < 16; j++) {
                int s = j < 8 ? y[sc + j] & 0xF : (y[sc + j - 8] & 0xFF) >>> 4;
                s = (s | (((y[sc + 8 + j % 4] & 0xFF) >>> (2 * (j / 4))) & 3) << 4) - 32;
                float d = dAll * s;
                if (d == 0f) continue;
                for (int ii = 0; ii < 16; ii++) {
                    int l = Bits.nearestInt(x[xb + 16 * j + ii] / d);
                    L[16 * j + ii] = (byte) (Math.max(-4, Math.min(3, l)) + 4);
                }
            }
            for (int k = 0; k < 32; k++) y[hmask + k] = 0;
            for (int j = 0; j < 256; j++) {
                if (L[j] > 3) {
                    y[hmask + j % 32] |= (byte) (1 << (j / 32));
                    L[j] -= 4;
                }
            }
            Q2_KQuantizer.packQ2(L, y, qs);
        }
    }

    /** Q4_K and Q5_K: (scale, min) per 32 by make_qkx3_quants, quantized to 6 bits by make_qp_quants. */
    static void q4Kor5K(float[] x, int off, int n, float[] qw, byte[] y, int yOff, boolean q5) {
        int nmax = q5 ? 31 : 15, bytes = q5 ? 176 : 144;
        byte[] L = new byte[256], ls = new byte[8], lm = new byte[8];
        float[] mins = new float[8], scales = new float[8], sw = new float[8];
        float[] xt = new float[256], wt = new float[256], lt = new float[256], laux = new float[256], st = LaneSearch.newState();
        for (int i = 0; i < n / 256; i++) {
            int xb = off + 256 * i, yb = yOff + bytes * i, sc = yb + 4;
            float sigma2 = 2 * sumSq(x, xb, 256) / 256;
            // the eight sub-blocks' make_qkx3_quants side by side, one per lane (LaneSearch): [l*8 + j]
            for (int j = 0; j < 8; j++) {
                float s = 0;
                for (int l = 0; l < 32; l++) {
                    float xv = x[xb + 32 * j + l];
                    float w = qw[256 * i + 32 * j + l] * sqrtf(sigma2 + xv * xv);
                    xt[l * 8 + j] = xv;
                    wt[l * 8 + j] = w;
                    s += w;
                }
                sw[j] = s;
            }
            LaneSearch.qkx3(xt, 8, lt, scales, mins, wt, laux, st, nmax);
            for (int j = 0; j < 8; j++) {
                for (int l = 0; l < 32; l++) L[32 * j + l] = (byte) lt[l * 8 + j];
            }
            float dBlock = KSearch.qp(8, 63, scales, ls, sw);
            float mBlock = KSearch.qp(8, 63, mins, lm, sw);
            for (int k = 0; k < 12; k++) y[sc + k] = 0;
            for (int j = 0; j < 8; j++) {
                int lsj = ls[j] & 0xFF, lmj = lm[j] & 0xFF;
                if (q5) {
                    lsj = Math.min(63, lsj);
                    lmj = Math.min(63, lmj);
                }
                if (j < 4) {
                    y[sc + j] = (byte) lsj;
                    y[sc + j + 4] = (byte) lmj;
                } else {
                    y[sc + j + 4] = (byte) ((lsj & 0xF) | ((lmj & 0xF) << 4));
                    y[sc + j - 4] |= (byte) ((lsj >> 4) << 6);
                    y[sc + j] |= (byte) ((lmj >> 4) << 6);
                }
            }
            short dh = Bits.fp16(dBlock), mh = Bits.fp16(mBlock);
            Bits.putShortLE(y, yb, dh);
            Bits.putShortLE(y, yb + 2, mh);
            float dAll = Bits.fp32(dh), mAll = Bits.fp32(mh);
            for (int j = 0; j < 8; j++) {
                float d = dAll * Q4_KQuantizer.scaleK4(y, sc, j);
                if (d == 0f) continue;
                float dm = mAll * Q4_KQuantizer.minK4(y, sc, j);
                for (int ii = 0; ii < 32; ii++) {
                    int l = Bits.nearestInt((x[xb + 32 * j + ii] + dm) / d);
                    L[32 * j + ii] = (byte) Math.max(0, Math.min(nmax, l));
                }
            }
            if (q5) {
                int qh = yb + 16, ql = yb + 48;
                for (int k = 0; k < 32; k++) y[qh + k] = 0;
                int m1 = 1, m2 = 2;
                for (int nn = 0; nn < 256; nn += 64, m1 <<= 2, m2 <<= 2, ql += 32) {
                    for (int j = 0; j < 32; j++) {
                        int l1 = L[nn + j], l2 = L[nn + j + 32];
                        if (l1 > 15) { l1 -= 16; y[qh + j] |= (byte) m1; }
                        if (l2 > 15) { l2 -= 16; y[qh + j] |= (byte) m2; }
                        y[ql + j] = (byte) (l1 | (l2 << 4));
                    }
                }
            } else {
                int q = yb + 16;
                for (int j = 0; j < 256; j += 64, q += 32) {
                    for (int l = 0; l < 32; l++) y[q + l] = (byte) (L[j + l] | (L[j + l + 32] << 4));
                }
            }
        }
    }

    /** Q6_K: make_qx_quants per 16 weighted by the imatrix itself, then as the plain Q6_K. */
    static void q6K(float[] x, int off, int n, float[] qw, byte[] y, int yOff) {
        byte[] L = new byte[256];
        float[] scales = new float[16];
        float[] xt = new float[256], wt = new float[256], lt = new float[256], laux = new float[256], st = LaneSearch.newState();
        for (int i = 0; i < n / 256; i++) {
            int xb = off + 256 * i, yb = yOff + 210 * i;
            int ql = yb, qh = yb + 128, sc = yb + 192, dOff = yb + 208;
            float maxScale = 0, maxAbs = 0;
            // the 16 sub-blocks' searches side by side, one per lane (LaneSearch): [l*16 + ib]
            for (int ib = 0; ib < 16; ib++) {
                for (int l = 0; l < 16; l++) {
                    xt[l * 16 + ib] = x[xb + 16 * ib + l];
                    wt[l * 16 + ib] = qw[256 * i + 16 * ib + l];
                }
            }
            LaneSearch.qx(xt, wt, 16, lt, scales, laux, st);
            for (int ib = 0; ib < 16; ib++) {
                for (int l = 0; l < 16; l++) L[16 * ib + l] = (byte) lt[l * 16 + ib];
                float a = Math.abs(scales[ib]);
                if (a > maxAbs) {
                    maxAbs = a;
                    maxScale = scales[ib];
                }
            }
            if (maxAbs < KSearch.GROUP_MAX_EPS) {
                for (int k = 0; k < 210; k++) y[yb + k] = 0;
                continue;
            }
            float iscale = -128f / maxScale;
            short dh = Bits.fp16(1 / iscale);
            Bits.putShortLE(y, dOff, dh);
            for (int ib = 0; ib < 16; ib++) y[sc + ib] = (byte) Math.min(127, Bits.nearestInt(iscale * scales[ib]));
            float dAll = Bits.fp32(dh);
            for (int j = 0; j < 16; j++) {
                float d = dAll * y[sc + j];
                if (d == 0f) continue;
                for (int ii = 0; ii < 16; ii++) {
                    int l = Bits.nearestInt(x[xb + 16 * j + ii] / d);
                    L[16 * j + ii] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
                }
            }
            for (int j = 0; j < 256; j += 128, ql += 64, qh += 32) {
                for (int l = 0; l < 32; l++) {
                    int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                    y[ql + l] = (byte) (q1 | (q3 << 4));
                    y[ql + l + 32] = (byte) (q2 | (q4 << 4));
                    y[qh + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2)
                            | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
                }
            }
        }
    }
}

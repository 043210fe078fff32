package dev.r1.quantize;

/**
 * Scalar forms of ggml's K-quant scale searches for the types without a lane-parallel version
 * ({@code make_q3_quants}, {@code make_qp_quants}, the weighted {@code make_qx_quants}), each float operation in
 * ggml's order (see {@link Bits} on why that is enough for identical bytes).
 */
final class KSearch {
    private KSearch() {}

    static final float GROUP_MAX_EPS = 1e-15f;

    /**
     * {@code make_q3_quants} with {@code do_rmse}: a symmetric scale for {@code n} values, codes in
     * {@code -nmax..nmax-1} refined by up to 5 passes of single-code moves that raise the weighted
     * (x²) cosine; codes + nmax into {@code L[lo..]}. All-zero groups get codes 0 (not nmax) and scale 0,
     * as in ggml.
     */
    static float q3(int n, int nmax, float[] x, int xo, byte[] L, int lo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.max(-nmax, Math.min(nmax - 1, Bits.nearestInt(iscale * x[xo + i])));
            L[lo + i] = (byte) l;
            float w = x[xo + i] * x[xo + i];
            sumlx += w * x[xo + i] * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i], w = xi * xi;
                int li = L[lo + i];
                float slx = sumlx - w * xi * li;
                if (slx > 0) {
                    float sl2 = suml2 - w * li * li;
                    int newL = Math.max(-nmax, Math.min(nmax - 1, Bits.nearestInt(xi * sl2 / slx)));
                    if (newL != li) {
                        slx += w * xi * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lo + i] = (byte) newL;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; i++) L[lo + i] += (byte) nmax;
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }

    /**
     * {@code make_qp_quants}: a positive scale for {@code n} non-negative values (the sub-block scales or
     * mins of a super-block) with codes 0..nmax into {@code L}, weighted by {@code w}: 9 candidate scales,
     * then up to 5 passes of single-code moves.
     */
    static float qp(int n, int nmax, float[] x, byte[] L, float[] w) {
        float max = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, x[i]);
        if (max < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[i] = 0;
            return 0f;
        }
        float iscale = nmax / max;
        for (int i = 0; i < n; i++) L[i] = (byte) Bits.nearestInt(iscale * x[i]);
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; i++) {
            float diff = x[i] - scale * (L[i] & 0xFF);
            bestMse += w[i] * diff * diff;
        }
        for (int is = -4; is <= 4; is++) {
            if (is == 0) continue;
            float iscaleIs = (0.1f * is + nmax) / max;
            float scaleIs = 1 / iscaleIs;
            float mse = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.min(nmax, Bits.nearestInt(iscaleIs * x[i]));
                float diff = x[i] - scaleIs * l;
                mse += w[i] * diff * diff;
            }
            if (mse < bestMse) {
                bestMse = mse;
                iscale = iscaleIs;
            }
        }
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.min(nmax, Bits.nearestInt(iscale * x[i]));
            L[i] = (byte) l;
            sumlx += w[i] * x[i] * l;
            suml2 += w[i] * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                int li = L[i] & 0xFF;
                float slx = sumlx - w[i] * x[i] * li;
                float sl2 = suml2 - w[i] * li * li;
                if (slx > 0 && sl2 > 0) {
                    int newL = Math.min(nmax, Bits.nearestInt(x[i] * sl2 / slx));
                    if (newL != li) {
                        slx += w[i] * x[i] * newL;
                        sl2 += w[i] * newL * newL;
                        if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[i] = (byte) newL;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }

    /**
     * {@code make_qx_quants} with weights {@code w} (rmse_type 1): a symmetric scale for {@code n}
     * values, codes + nmax into {@code L[lo..]}, 19 candidate scales around {@code -nmax/max}.
     */
    static float qx(int n, int nmax, float[] x, int xo, byte[] L, int lo, float[] w, int wo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.max(-nmax, Math.min(nmax - 1, Bits.nearestInt(iscale * x[xo + i])));
            L[lo + i] = (byte) (l + nmax);
            float wi = w[wo + i];
            sumlx += wi * x[xo + i] * l;
            suml2 += wi * l * l;
        }
        float scale = suml2 != 0f ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(-nmax, Math.min(nmax - 1, Bits.nearestInt(iscale * x[xo + i])));
                float wi = w[wo + i];
                sumlx += wi * x[xo + i] * l;
                suml2 += wi * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    int l = Bits.nearestInt(iscale * x[xo + i]);
                    L[lo + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }
}

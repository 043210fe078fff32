package dev.r1.quantize;

/**
 * Decodes ggml blocks to float64, written independently from the quantizers (straight from the block
 * layouts), so round-trip errors are measured against exact math.
 */
final class Dequant64 {
    private Dequant64() {}

    static double half(byte[] b, int off) {
        return Float.float16ToFloat((short) ((b[off] & 0xFF) | (b[off + 1] << 8)));
    }

    /** Decodes {@code n} values of the type named by {@code q}. */
    static double[] decode(RowQuantizer q, byte[] y, int n) {
        double[] out = new double[n];
        switch (q.typeName()) {
            case "Q4_0" -> {
                for (int b = 0; b < n / 32; b++) {
                    int p = b * 18;
                    double d = half(y, p);
                    for (int j = 0; j < 16; j++) {
                        out[b * 32 + j] = ((y[p + 2 + j] & 0xF) - 8) * d;
                        out[b * 32 + 16 + j] = (((y[p + 2 + j] & 0xFF) >> 4) - 8) * d;
                    }
                }
            }
            case "Q8_0" -> {
                for (int b = 0; b < n / 32; b++) {
                    int p = b * 34;
                    double d = half(y, p);
                    for (int j = 0; j < 32; j++) out[b * 32 + j] = y[p + 2 + j] * d;
                }
            }
            case "Q4_K" -> {
                for (int b = 0; b < n / 256; b++) {
                    int p = b * 144;
                    double d = half(y, p), dmin = half(y, p + 2);
                    for (int sub = 0; sub < 8; sub++) {
                        double scale = d * q4kScale(y, p + 4, sub), min = dmin * q4kMin(y, p + 4, sub);
                        int qs = p + 16 + (sub / 2) * 32;
                        for (int l = 0; l < 32; l++) {
                            int code = sub % 2 == 0 ? y[qs + l] & 0xF : (y[qs + l] & 0xFF) >> 4;
                            out[b * 256 + sub * 32 + l] = scale * code - min;
                        }
                    }
                }
            }
            case "Q6_K" -> {
                for (int b = 0; b < n / 256; b++) {
                    int p = b * 210, ql = p, qh = p + 128, sc = p + 192;
                    double d = half(y, p + 208);
                    for (int i = 0; i < 256; i++) {
                        int half128 = i / 128, r = i % 128, quarter = r / 32, l = r % 32;
                        int lo = y[ql + half128 * 64 + (quarter % 2) * 32 + l] & 0xFF;
                        lo = quarter < 2 ? lo & 0xF : lo >> 4;
                        int hi = ((y[qh + half128 * 32 + l] & 0xFF) >> (2 * quarter)) & 3;
                        out[b * 256 + i] = d * y[sc + i / 16] * ((lo | (hi << 4)) - 32);
                    }
                }
            }
            case "F32" -> {
                for (int i = 0; i < n; i++) {
                    int p = 4 * i;
                    out[i] = Float.intBitsToFloat((y[p] & 0xFF) | (y[p + 1] & 0xFF) << 8 | (y[p + 2] & 0xFF) << 16 | y[p + 3] << 24);
                }
            }
            case "F16" -> { for (int i = 0; i < n; i++) out[i] = half(y, 2 * i); }
            case "BF16" -> {
                for (int i = 0; i < n; i++) out[i] = Float.intBitsToFloat(((y[2 * i] & 0xFF) | (y[2 * i + 1] << 8)) << 16);
            }
            // The other block types: models' dequantizers, checked bit for bit against ggml's own
            // (GgmlReferenceTest); their float results are exact products of the block's fields.
            default -> {
                float[] f = dev.r1.models.tensor.GgmlType.fromId(q.ggmlTypeId())
                        .dequantize(java.lang.foreign.MemorySegment.ofArray(java.util.Arrays.copyOf(y, (int) q.rowBytes(n))));
                for (int i = 0; i < n; i++) out[i] = f[i];
            }
        }
        return out;
    }

    static int q4kScale(byte[] s, int off, int j) {
        return j < 4 ? s[off + j] & 63 : (s[off + j + 4] & 0xF) | (((s[off + j - 4] & 0xFF) >> 6) << 4);
    }

    static int q4kMin(byte[] s, int off, int j) {
        return j < 4 ? s[off + j + 4] & 63 : ((s[off + j + 4] & 0xFF) >> 4) | (((s[off + j] & 0xFF) >> 6) << 4);
    }
}

package dev.r1.quantize;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Round trips against float64 math: per-block error bounds from each format's definition, and RMSE. */
class RoundTripTest {

    static List<RowQuantizer> all() { return Quantizers.ALL; }

    /** Relative RMSE (RMSE / RMS of the data) each type must stay under on gaussian weights. */
    private static final Map<String, Double> MAX_REL_RMSE = Map.ofEntries(
            Map.entry("Q4_0", 0.12), Map.entry("Q4_K", 0.10), Map.entry("Q6_K", 0.025), Map.entry("Q8_0", 0.006),
            Map.entry("F16", 0.0005), Map.entry("BF16", 0.004), Map.entry("F32", 0.0),
            Map.entry("Q4_1", 0.10), Map.entry("Q5_0", 0.055), Map.entry("Q5_1", 0.05), Map.entry("Q2_K", 0.36),
            Map.entry("Q3_K", 0.19), Map.entry("Q5_K", 0.045), Map.entry("IQ4_NL", 0.095), Map.entry("IQ4_XS", 0.095));

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void gaussianRoundTripWithinBounds(RowQuantizer q) {
        int rows = 8, n = 4096;
        float[] x = TestData.random(TestData.DISTRIBUTIONS.get(1), 42, rows * n);
        byte[] y = Quantizers.quantize(q, "w", x, rows, n);
        double[] back = Dequant64.decode(q, y, rows * n);
        double se = 0, ss = 0;
        for (int i = 0; i < x.length; i++) {
            se += (x[i] - back[i]) * (x[i] - back[i]);
            ss += (double) x[i] * x[i];
        }
        double rel = Math.sqrt(se / ss);
        assertTrue(rel <= MAX_REL_RMSE.get(q.typeName()), q.typeName() + " relative RMSE " + rel);
        checkBlockBounds(q, x, y, back);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void hardCasesWithinBounds(RowQuantizer q) {
        for (TestData.Case c : TestData.hardCases(512)) {
            float amax = 0;
            for (float v : c.row()) amax = Math.max(amax, Math.abs(v));
            // Below fp16's range the stored scale underflows; ggml's output is then defined only by identity.
            if (amax != 0 && amax < 1e-3f && q.blockSize() > 1) continue;
            if (amax > 1e5f && q.typeName().matches("I?Q.*|F16")) continue; // scale overflows fp16 by design
            byte[] y = Quantizers.quantize(q, c.name(), c.row(), 1, c.row().length);
            checkBlockBounds(q, c.row(), y, Dequant64.decode(q, y, c.row().length));
        }
    }

    /** Per-block worst-case error each format guarantees, derived from its definition. */
    static void checkBlockBounds(RowQuantizer q, float[] x, byte[] y, double[] back) {
        int bs = Math.max(q.blockSize(), 32);
        for (int b = 0; b < x.length / bs; b++) {
            double amax = 0;
            for (int i = b * bs; i < (b + 1) * bs; i++) amax = Math.max(amax, Math.abs(x[i]));
            double bound = switch (q.typeName()) {
                // d = amax/127, codes rounded: half a step plus the fp16 rounding of d over 127 steps.
                case "Q8_0" -> amax / 127 * (0.5 + 127 * 0x1p-11) + 127 * 0x1p-25;
                // d = amax/8, codes truncated from x/d + 8.5: half a step, a full step at the clamped end.
                case "Q4_0" -> amax / 8 * (1 + 16 * 0x1p-11) + 16 * 0x1p-25;
                // 6-bit scale and min relative to the super-block's largest: a step of range/15 at most.
                case "Q4_K" -> amax * 2 / 15 + 1e-6;
                case "Q6_K" -> amax / 32 * 1.5 + 1e-6;
                case "F16" -> amax * 0x1p-11 + 0x1p-25;
                case "BF16" -> amax * 0x1p-8 + 0x1p-133;
                // min and scale: half a step of range/15 (range <= 2 amax) plus the fp16 roundings of d and m
                case "Q4_1" -> amax * 2 / 15 * (0.5 + 15 * 0x1p-11) + amax * 0x1p-11 + 1e-6;
                case "Q5_1" -> amax * 2 / 31 * (0.5 + 31 * 0x1p-11) + amax * 0x1p-11 + 1e-6;
                // as Q4_0 with d = amax/16
                case "Q5_0" -> amax / 16 * (1 + 32 * 0x1p-11) + 32 * 0x1p-25;
                case "Q5_K" -> amax * 2 / 31 + 1e-6;
                // a full step of range/3 (codes 0..3), of amax/4 times the 6-bit scale's slack (codes -4..3)
                case "Q2_K" -> amax * 2 / 3 + 1e-6;
                case "Q3_K" -> amax / 4 * 1.5 + 1e-6;
                // half the widest gap of the levels (-127, -104: 23/127 of the scale), scale ~ amax/127
                case "IQ4_NL", "IQ4_XS" -> amax * 0.2 + 1e-6;
                default -> 0;
            };
            for (int i = b * bs; i < (b + 1) * bs; i++) {
                double err = Math.abs(x[i] - back[i]);
                if (err > bound) {
                    throw new AssertionError(q.typeName() + " block " + b + " value " + i + ": " + x[i] + " came back as "
                            + back[i] + ", error " + err + " > bound " + bound);
                }
            }
        }
    }

    @Test
    void zerosStayZero() {
        for (RowQuantizer q : Quantizers.ALL) {
            float[] x = new float[512];
            byte[] y = Quantizers.quantize(q, "zeros", x, 1, 512);
            for (double v : Dequant64.decode(q, y, 512)) assertTrue(v == 0.0, q.typeName() + " gave " + v);
        }
    }

    @Test
    void nanAndInfAreErrorsNamingTheTensor() {
        for (float bad : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] x = new float[2 * 256];
            x[300] = bad;
            QuantizeException e = assertThrows(QuantizeException.class,
                    () -> Quantizers.quantize(Q4_KQuantizer.INSTANCE, "blk.3.ffn_up.weight", x, 2, 256));
            assertTrue(e.getMessage().contains("blk.3.ffn_up.weight") && e.getMessage().contains("row 1"), e.getMessage());
        }
    }

    @Test
    void rowsThatAreNotWholeBlocksAreErrors() {
        QuantizeException e = assertThrows(QuantizeException.class,
                () -> Quantizers.quantize(Q6_KQuantizer.INSTANCE, "output.weight", new float[300], 1, 300));
        assertTrue(e.getMessage().contains("output.weight") && e.getMessage().contains("256"), e.getMessage());
    }
}

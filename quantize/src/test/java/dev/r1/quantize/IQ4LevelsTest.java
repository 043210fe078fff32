package dev.r1.quantize;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The IQ4 search's branch-free nearest-level pick against the bisection ({@link IQ4Quantizer#bestIndex},
 * ggml's {@code best_index_int8}) on the values where they could part: exactly halfway between two levels
 * (ggml takes the upper one), on the levels, past both ends, infinities and NaN.
 */
class IQ4LevelsTest {
    private static final int[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    @Test
    void weightedSumsUseTheBisectionsLevels() {
        Random r = new Random(3);
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, -200f, 200f, 1e-30f};
        for (int rep = 0; rep < 200; rep++) {
            float[] xt = new float[256], wt = new float[256], st = new float[IQ4Quantizer.ST];
            float id = rep % 3 == 0 ? 1f : rep % 3 == 1 ? -1f : (float) (r.nextGaussian() * 2);
            for (int i = 0; i < 256; i++) {
                int k = r.nextInt(15);
                float v = switch (r.nextInt(4)) {
                    case 0 -> (LEVELS[k] + LEVELS[k + 1]) / 2f;   // halfway
                    case 1 -> LEVELS[r.nextInt(16)];               // on a level
                    case 2 -> (float) (r.nextGaussian() * 80);
                    default -> rep % 7 == 0 ? specials[r.nextInt(specials.length)] : (float) (r.nextGaussian() * 150);
                };
                xt[i] = id == 1f ? v : id == -1f ? -v : v / id; // so that id·x lands on v (or near it)
                wt[i] = (float) r.nextDouble();
            }
            for (int k = 0; k < 8; k++) st[IQ4Quantizer.ID + k] = id;
            IQ4Quantizer.sums(xt, wt, st);
            for (int k = 0; k < 8; k++) {
                float sqx = 0, sq2 = 0;
                for (int j = 0; j < 32; j++) {
                    float x = xt[j * 8 + k], w = wt[j * 8 + k];
                    float q = LEVELS[IQ4Quantizer.bestIndex(id * x)];
                    sqx += w * q * x;
                    sq2 += w * q * q;
                }
                assertEquals(Float.floatToIntBits(sqx), Float.floatToIntBits(st[IQ4Quantizer.SQX + k]), "rep " + rep + " lane " + k + " Σwqx");
                assertEquals(Float.floatToIntBits(sq2), Float.floatToIntBits(st[IQ4Quantizer.SQ2 + k]), "rep " + rep + " lane " + k + " Σwq²");
            }
        }
    }
}

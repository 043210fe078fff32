package dev.r1.models.config;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class Llama3RopeScalingTest {

    /** The published Llama 3.1 formula, evaluated in float64. */
    private static double[] reference(int dim, double theta, double factor, double low, double high, double orig) {
        double[] out = new double[dim / 2];
        for (int i = 0; i < out.length; i++) {
            double wavelen = 2 * Math.PI * Math.pow(theta, 2.0 * i / dim);
            if (wavelen < orig / high) out[i] = 1;
            else if (wavelen > orig / low) out[i] = factor;
            else {
                double s = (orig / wavelen - low) / (high - low);
                out[i] = 1 / ((1 - s) / factor + s);
            }
        }
        return out;
    }

    @Test
    void llama31FactorsMatchFloat64Formula() {
        float[] f = Llama3RopeScaling.LLAMA_3_1.ropeFactors(128, 500000f);
        double[] r = reference(128, 500000, 8, 1, 4, 8192);
        assertEquals(64, f.length);
        int ones = 0, eights = 0, ramp = 0;
        for (int i = 0; i < 64; i++) {
            assertEquals(r[i], f[i], 1e-5 * r[i], "entry " + i);
            if (f[i] == 1f) ones++; else if (f[i] == 8f) eights++; else ramp++;
        }
        // Wavelengths 2*pi*500000^(i/64): below 2048 for i <= 28, above 8192 for i >= 35.
        assertEquals(29, ones);
        assertEquals(6, ramp);
        assertEquals(29, eights);
        for (int i = 1; i < 64; i++) assertTrue(f[i] >= f[i - 1], "non-decreasing");
    }

    @Test
    void tinyLlamaExercisesEveryBranch() {
        ModelConfig c = Presets.get("tiny-llama");
        float[] f = c.ropeScaling().orElseThrow().ropeFactors(c.headDim(), c.ropeTheta());
        double[] r = reference(32, 500000, 8, 1, 4, 8192);
        boolean one = false, eight = false, between = false;
        for (int i = 0; i < f.length; i++) {
            assertEquals(r[i], f[i], 1e-5 * r[i]);
            one |= f[i] == 1f;
            eight |= f[i] == 8f;
            between |= f[i] > 1f && f[i] < 8f;
        }
        assertTrue(one && eight && between);
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new Llama3RopeScaling(8, 4, 1, 8192));
        assertThrows(IllegalArgumentException.class, () -> new Llama3RopeScaling(0, 1, 4, 8192));
        assertThrows(IllegalArgumentException.class, () -> Llama3RopeScaling.LLAMA_3_1.ropeFactors(7, 1e4f));
    }
}

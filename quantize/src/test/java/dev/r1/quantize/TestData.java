package dev.r1.quantize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;

/** Synthesized inputs: random rows from several distributions and hand-made hard cases. */
final class TestData {
    private TestData() {}

    /** A named distribution of values. */
    record Dist(String name, java.util.function.Function<Random, DoubleSupplier> make) {
        @Override public String toString() { return name; }
    }

    static final List<Dist> DISTRIBUTIONS = List.of(
            new Dist("gauss(0,1)", r -> r::nextGaussian),
            new Dist("weights gauss(0,0.02)", r -> () -> 0.02 * r.nextGaussian()),
            new Dist("uniform(-1,1)", r -> () -> 2 * r.nextDouble() - 1),
            new Dist("uniform(0,3) positive", r -> () -> 3 * r.nextDouble()),
            new Dist("uniform(-5,-1) negative", r -> () -> -1 - 4 * r.nextDouble()),
            new Dist("heavy tail gauss*exp(2 gauss)", r -> () -> r.nextGaussian() * Math.exp(2 * r.nextGaussian())),
            new Dist("sparse 90% zeros", r -> () -> r.nextInt(10) == 0 ? r.nextGaussian() : 0),
            new Dist("integer grid -20..20", r -> () -> r.nextInt(41) - 20),
            new Dist("half-integer grid", r -> () -> (r.nextInt(33) - 16) * 0.5),
            new Dist("large 1e4 scale", r -> () -> 1e4 * r.nextGaussian()),
            new Dist("tiny 1e-6 scale", r -> () -> 1e-6 * r.nextGaussian()));

    static float[] random(Dist dist, long seed, int count) {
        Random r = new Random(seed);
        DoubleSupplier s = dist.make().apply(r);
        float[] x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float) s.getAsDouble();
        return x;
    }

    /** A named single row of hand-made values. */
    record Case(String name, float[] row) {
        @Override public String toString() { return name; }
    }

    /** Hard cases, each one row of {@code n} values (n a multiple of 256). */
    static List<Case> hardCases(int n) {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("all zeros", new float[n]));
        float[] negZero = new float[n];
        Arrays.fill(negZero, -0f);
        cases.add(new Case("all negative zeros", negZero));
        // both signs of zero where a block's minimum (or maximum) is zero: ggml keeps the first it meets
        float[] zerosUp = new float[n], zerosDown = new float[n];
        for (int i = 0; i < n; i++) {
            int k = i % 32;
            float z = (k + i / 32) % 3 == 0 ? -0f : 0f;
            zerosUp[i] = k % 4 == 1 ? 0.25f * (1 + k % 7) : z;
            zerosDown[i] = k % 4 == 1 ? -0.25f * (1 + k % 7) : z;
        }
        cases.add(new Case("signed zeros with positives", zerosUp));
        cases.add(new Case("signed zeros with negatives", zerosDown));
        for (float c : new float[]{1f, -3.5f, 1e-3f, 7f, -127f, 0.3f}) {
            float[] x = new float[n];
            Arrays.fill(x, c);
            cases.add(new Case("constant " + c, x));
        }
        // IQ4: a block whose largest value is 127 starts its search at scale 1, so these values fall exactly
        // halfway between two non-linear levels, where ggml's nearest-level pick takes the upper one
        float[] midpoints = new float[n];
        int[] levels = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
        for (int i = 0; i < n; i++) midpoints[i] = i % 32 == 0 ? 127f : (levels[i % 15] + levels[i % 15 + 1]) / 2f;
        cases.add(new Case("values halfway between IQ4 levels", midpoints));
        Random r = new Random(7);
        for (int pos : new int[]{0, 5, 31, 100, n - 1}) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float) (0.01 * r.nextGaussian());
            x[pos] = pos % 2 == 0 ? 1000f : -1000f;
            cases.add(new Case("one outlier at " + pos, x));
        }
        float[] negMax = new float[n];
        for (int i = 0; i < n; i++) negMax[i] = (float) r.nextDouble();
        for (int b = 0; b < n; b += 16) negMax[b + 3] = -2f;
        cases.add(new Case("negative max in every block", negMax));
        float[] equalMag = new float[n];
        for (int i = 0; i < n; i++) equalMag[i] = (float) (0.5 * r.nextGaussian());
        for (int b = 0; b < n; b += 16) { equalMag[b + 1] = 3f; equalMag[b + 9] = -3f; }
        cases.add(new Case("+max and -max of equal magnitude", equalMag));
        // Denormals and tiny normals: 1/d overflows to inf inside ggml for some of these.
        for (float scale : new float[]{1e-45f, 1e-42f, 1e-40f, 1e-38f, 2e-38f, 1e-37f, 1e-36f, 1e-20f, 1e-15f, 2e-15f}) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float) (scale * r.nextGaussian());
            cases.add(new Case("gauss * " + scale, x));
        }
        float[] mixedTiny = new float[n];
        for (int i = 0; i < n; i++) mixedTiny[i] = i % 3 == 0 ? Float.MIN_VALUE * (i % 7) : (float) (1e-3 * r.nextGaussian());
        cases.add(new Case("denormals mixed with normals", mixedTiny));
        // Ties: grids where x*id + 8.5 (Q4_0), x/d (Q8_0) and the K-quant scale searches hit .5 exactly.
        float[] q4Ties = new float[n];
        for (int i = 0; i < n; i++) q4Ties[i] = (i % 32 == 0) ? -8f : ((i * 7) % 32 - 16) * 0.5f;
        cases.add(new Case("Q4_0 ties (max -8, half steps)", q4Ties));
        float[] q8Ties = new float[n];
        for (int i = 0; i < n; i++) q8Ties[i] = (i % 32 == 0) ? 127f : ((i * 13) % 254 - 127) + 0.5f;
        cases.add(new Case("Q8_0 ties (amax 127, k+0.5)", q8Ties));
        float[] q8NegTies = new float[n];
        for (int i = 0; i < n; i++) q8NegTies[i] = -q8Ties[i];
        cases.add(new Case("Q8_0 negative ties", q8NegTies));
        float[] ramp = new float[n];
        for (int i = 0; i < n; i++) ramp[i] = (i % 64 - 32) / 4f;
        cases.add(new Case("ramp in quarter steps", ramp));
        float[] single = new float[n];
        for (int b = 0; b < n; b += 32) single[b + (b / 32) % 32] = (b / 32) % 2 == 0 ? 0.75f : -0.75f;
        cases.add(new Case("one nonzero per block", single));
        float[] alt = new float[n];
        for (int i = 0; i < n; i++) alt[i] = (i % 2 == 0 ? 1 : -1) * (1 + i % 5);
        cases.add(new Case("alternating signs", alt));
        float[] halfMax = new float[n];
        for (int i = 0; i < n; i++) halfMax[i] = (float) (60000 * r.nextGaussian() / 4);
        cases.add(new Case("near fp16 max", halfMax));
        float[] huge = new float[n];
        for (int i = 0; i < n; i++) huge[i] = (float) (1e30 * r.nextGaussian());
        cases.add(new Case("huge (scale overflows fp16)", huge));
        float[] fp16Ties = new float[n];
        for (int i = 0; i < n; i++) {
            // Exactly halfway between two fp16 values (normal and subnormal ranges), both parities.
            float base = (i % 2 == 0) ? 1f : 0x1p-20f;
            fp16Ties[i] = base + (i % 8) * base * 0x1p-10f + base * 0x1p-11f;
        }
        cases.add(new Case("fp16/bf16 rounding ties", fp16Ties));
        return cases;
    }
}

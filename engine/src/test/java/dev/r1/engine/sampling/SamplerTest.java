package dev.r1.engine.sampling;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sampler against a naive float64 reference that sorts the whole vocabulary (llama.cpp's chain). */
class SamplerTest {

    /** Reference survivors: penalty, full sort, top-k, top-p, min-p; all in double. */
    static int[] reference(float[] logits, SamplerOptions o, int[] history) {
        double[] l = new double[logits.length];
        float[] biased = logits.clone();
        for (var e : o.logitBias().entrySet()) biased[e.getKey()] += e.getValue();
        for (int i = 0; i < l.length; i++) l[i] = biased[i];
        int from = Math.max(0, history.length - o.repeatLastN());
        int[] count = new int[l.length];
        for (int i = from; i < history.length; i++) count[history[i]]++;
        for (int t = 0; t < l.length; t++) {
            if (count[t] > 0 && o.repeatPenalty() != 1f) l[t] = l[t] > 0 ? (float) (biased[t] / o.repeatPenalty()) : (float) (biased[t] * o.repeatPenalty());
            if (count[t] > 0) l[t] = (float) ((float) l[t] - (count[t] * (double) o.frequencyPenalty() + o.presencePenalty()));
        }
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < l.length; i++) ids.add(i);
        ids.sort(Comparator.<Integer>comparingDouble(i -> -l[i]).thenComparingInt(i -> i));
        int keep = ids.size();
        if (o.topK() > 0) keep = Math.min(keep, o.topK());
        double max = l[ids.get(0)];
        double total = 0;
        for (int i = 0; i < keep; i++) total += Math.exp(l[ids.get(i)] - max);
        if (o.topP() < 1) {
            double cum = 0;
            int i = 0;
            while (i < keep) {
                cum += Math.exp(l[ids.get(i++)] - max);
                if (cum >= o.topP() * total) break;
            }
            keep = i;
        }
        if (o.minP() > 0) {
            int i = 1;
            while (i < keep && Math.exp(l[ids.get(i)] - max) >= o.minP()) i++;
            keep = i;
        }
        return ids.subList(0, keep).stream().mapToInt(Integer::intValue).toArray();
    }

    static float[] randomLogits(int n, double sd, long seed) {
        Random r = new Random(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = (float) (r.nextGaussian() * sd);
        return l;
    }

    @Test
    void survivorsMatchFullSortReferenceOnLargeVocabularies() {
        // sd 3: moderate; sd 0.3: nearly flat; sd 8: peaked; spike: one token 14 above a long tail whose
        // mass still matters for top-p, so the first window (12 below the max) must be widened.
        for (double sd : new double[] {3, 0.3, 8, -1}) {
            float[] logits = randomLogits(sd == -1 ? 151_936 : 40_000, Math.abs(sd), (long) (sd * 10));
            if (sd == -1) logits[1234] = 14f;
            for (SamplerOptions o : List.of(
                    new SamplerOptions(0.6f, 0, 0.95f, 0f, 1f, 64, 1),
                    new SamplerOptions(1f, 40, 1f, 0f, 1f, 64, 1),
                    new SamplerOptions(0.8f, 40, 0.9f, 0.05f, 1f, 64, 1),
                    new SamplerOptions(0.7f, 0, 1f, 0.1f, 1f, 64, 1),
                    new SamplerOptions(0.7f, 0, 1f, 1e-9f, 1f, 64, 1),
                    new SamplerOptions(1f, 5000, 0.5f, 0f, 1.3f, 64, 1))) {
                int[] hist = {5, 17, 5, 99, logits.length - 1, 1234};
                Sampler s = new Sampler(o);
                s.accept(hist);
                assertArrayEquals(reference(logits, o, hist), s.survivors(logits), "sd " + sd + " " + o);
            }
        }
    }

    @Test
    void tiesAndSignedZerosKeepTheReferenceOrderOnAFlatVocabulary() {
        // A flat distribution keeps most of the vocabulary in the window (the sort's worst case), and logits on
        // a coarse grid tie everywhere: ties must come out by index, -0 below +0, as the reference sorts them.
        Random r = new Random(7);
        float[] logits = new float[151_936];
        for (int i = 0; i < logits.length; i++) logits[i] = Math.round(r.nextGaussian() * 4) / 8f;
        for (int i = 0; i < 2000; i++) logits[r.nextInt(logits.length)] = r.nextBoolean() ? -0f : 0f;
        logits[99] = Float.NEGATIVE_INFINITY;
        for (SamplerOptions o : List.of(
                new SamplerOptions(0.6f, 0, 0.95f, 0f, 1f, 64, 1),
                new SamplerOptions(0.6f, 0, 0.999f, 0f, 1f, 64, 1),
                new SamplerOptions(1f, 100_000, 1f, 0f, 1f, 64, 1),
                new SamplerOptions(1f, 0, 1f, 0.9f, 1f, 64, 1))) {
            assertArrayEquals(reference(logits, o, new int[0]), new Sampler(o).survivors(logits), o.toString());
        }
    }

    @Test
    void noFilterMeansWholeVocabulary() {
        assertNull(new Sampler(new SamplerOptions(1f, 0, 1f, 0f, 1f, 64, 1)).survivors(new float[] {1, 2}));
    }

    @Test
    void greedyIsArgmaxAfterPenalty() {
        float[] l = {1f, 5f, 4.5f, -2f};
        Sampler g = new Sampler(SamplerOptions.greedy());
        assertEquals(1, g.sample(l));
        Sampler p = new Sampler(new SamplerOptions(0f, 0, 1f, 0f, 1.2f, 64, 0));
        p.accept(1); // 5/1.2 = 4.17 < 4.5
        assertEquals(2, p.sample(l));
        assertEquals(5f, l[1]); // input untouched
    }

    @Test
    void penaltyMultipliesNegativeLogitsAndForgetsOldTokens() {
        Sampler p = new Sampler(new SamplerOptions(0f, 0, 1f, 0f, 2f, 2, 0));
        float[] l = {-1f, -1.5f, -3f};
        p.accept(0); // -1 -> -2: token 1 (-1.5) wins
        assertEquals(1, p.sample(l));
        p.accept(new int[] {2, 2}); // token 0 falls out of the last-2 window
        assertEquals(0, p.sample(l));
    }

    @Test
    void presenceFrequencyPenaltiesAndLogitBiasMatchTheReference() {
        float[] logits = randomLogits(5000, 2, 11);
        int[] history = new int[300];
        Random r = new Random(5);
        for (int i = 0; i < history.length; i++) history[i] = r.nextInt(40); // repeats, so counts differ
        java.util.Map<Integer, Float> bias = java.util.Map.of(7, 3.5f, 3, Float.NEGATIVE_INFINITY, 4999, -2f);
        for (SamplerOptions o : List.of(
                new SamplerOptions(1f, 0, 0.9f, 0f, 1.1f, 64, 1, 0.5f, 0.2f, java.util.Map.of()),
                new SamplerOptions(1f, 50, 1f, 0f, 1f, 128, 1, 0f, 0.7f, bias),
                new SamplerOptions(0.8f, 0, 0.95f, 0.01f, 1f, 0, 1, 1.5f, 1.5f, bias))) {
            Sampler s = new Sampler(o);
            s.accept(history);
            assertArrayEquals(reference(logits, o, history), s.survivors(logits), o.toString());
        }
        // Greedy: the bias turns the argmax, a ban (-inf) removes it, a frequency penalty counts occurrences.
        float[] l = {1f, 2f, 1.9f};
        assertEquals(0, new Sampler(SamplerOptions.greedy().withLogitBias(java.util.Map.of(0, 1.5f))).sample(l));
        assertEquals(2, new Sampler(SamplerOptions.greedy().withLogitBias(java.util.Map.of(1, Float.NEGATIVE_INFINITY))).sample(l));
        Sampler f = new Sampler(SamplerOptions.greedy().withPenalties(0f, 0.11f));
        f.accept(new int[] {1, 2});
        assertEquals(1, f.sample(l)); // both seen once: 1.89 vs 1.79
        f.accept(1);
        assertEquals(2, f.sample(l)); // token 1 twice: 1.78 vs 1.79
        var bad = assertThrows(IllegalArgumentException.class, () -> SamplerOptions.greedy().withPenalties(Float.NaN, 0));
        assertTrue(bad.getMessage().contains("presence"), bad.getMessage());
    }

    @Test
    void drawFollowsTemperedDistributionOfSurvivors() {
        float[] l = {2f, 1.5f, 1f, 0f, -1f, -4f};
        SamplerOptions o = new SamplerOptions(0.7f, 0, 0.9f, 0f, 1f, 64, 42);
        int[] keep = reference(l, o, new int[0]);
        double[] p = new double[l.length];
        double z = 0;
        for (int t : keep) z += (p[t] = Math.exp(l[t] / 0.7));
        Sampler s = new Sampler(o);
        int draws = 40_000;
        int[] count = new int[l.length];
        for (int i = 0; i < draws; i++) count[s.sample(l)]++;
        for (int t = 0; t < l.length; t++) {
            double expect = draws * p[t] / z;
            double sigma = Math.sqrt(draws * (p[t] / z) * (1 - p[t] / z)) + 1e-9;
            assertTrue(Math.abs(count[t] - expect) <= 5 * sigma, "token " + t + ": " + count[t] + " vs " + expect);
        }
        assertEquals(0, count[5]); // filtered out by top-p
    }

    @Test
    void seedMakesDrawsReproducible() {
        float[] l = randomLogits(1000, 1, 3);
        int[] a = draws(l, 7), b = draws(l, 7), c = draws(l, 8);
        assertArrayEquals(a, b);
        assertNotEquals(Arrays.toString(a), Arrays.toString(c));
    }

    private static int[] draws(float[] l, long seed) {
        Sampler s = new Sampler(SamplerOptions.r1Defaults(seed));
        int[] out = new int[50];
        for (int i = 0; i < out.length; i++) out[i] = s.sample(l);
        return out;
    }

    @Test
    void badOptionsAndLogitsAreRejectedClearly() {
        var e = assertThrows(IllegalArgumentException.class, () -> new SamplerOptions(0.6f, 0, 1.5f, 0f, 1f, 64, 0));
        assertTrue(e.getMessage().contains("top-p"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SamplerOptions(-1f, 0, 1f, 0f, 1f, 64, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplerOptions(1f, 0, 1f, 0f, 0f, 64, 0));
        Sampler s = new Sampler(SamplerOptions.r1Defaults(1));
        assertThrows(IllegalStateException.class, () -> s.sample(new float[] {Float.NaN, Float.NaN}));
        assertThrows(IllegalArgumentException.class, () -> s.sample(new float[0]));
    }
}

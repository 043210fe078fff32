package dev.r1.engine.bench;

import java.util.Arrays;

/** Summary of a sample of latencies: mean, sd, and nearest-rank percentiles (as llama-bench/hyperfine report). */
public record Stats(int n, double mean, double sd, double min, double p50, double p90, double p99, double max) {

    public static Stats of(double[] samples) {
        if (samples.length == 0) return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        double[] s = samples.clone();
        Arrays.sort(s);
        double sum = 0;
        for (double v : s) sum += v;
        double mean = sum / s.length;
        double ss = 0;
        for (double v : s) ss += (v - mean) * (v - mean);
        // Sample standard deviation (n-1): reps are few, the population form would understate spread.
        double sd = s.length > 1 ? Math.sqrt(ss / (s.length - 1)) : 0;
        return new Stats(s.length, mean, sd, s[0], percentile(s, 50), percentile(s, 90), percentile(s, 99), s[s.length - 1]);
    }

    /** Nearest-rank percentile on sorted data: the smallest value with at least p% of samples at or below it. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}

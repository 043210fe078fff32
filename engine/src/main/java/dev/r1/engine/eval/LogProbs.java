package dev.r1.engine.eval;

/** Log-softmax arithmetic shared by perplexity and KL. */
public final class LogProbs {
    private LogProbs() {}

    /**
     * {@code -log softmax(logits[0..n))[tok]} as llama-perplexity computes it (float maximum, float
     * differences exponentiated in float and summed in double), so the two tools agree to the last digits.
     */
    public static double nll(float[] logits, int n, int tok) {
        float max = logits[0];
        for (int i = 1; i < n; i++) max = Math.max(max, logits[i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (float) Math.exp(logits[i] - max);
        return -((double) (logits[tok] - max) - Math.log(sum));
    }

    /** The index of the largest of {@code logits[0..n)} (the first of equals). */
    public static int argmax(float[] logits, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /**
     * Writes the log-probabilities of {@code softmax(logits[0..n) / t)} into {@code out} (double precision
     * throughout) and returns the maximum logit's index.
     */
    public static int logSoftmax(float[] logits, int n, double t, double[] out) {
        int imax = argmax(logits, n);
        double max = logits[imax] / t, sum = 0;
        for (int i = 0; i < n; i++) {
            double z = logits[i] / t - max;
            out[i] = z;
            sum += Math.exp(z);
        }
        double lse = Math.log(sum);
        for (int i = 0; i < n; i++) out[i] -= lse;
        return imax;
    }
}

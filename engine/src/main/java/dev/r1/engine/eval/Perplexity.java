package dev.r1.engine.eval;

import dev.r1.engine.Session;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Perplexity as {@code llama-perplexity} computes it: each window of {@link Windows} is one batched prefill
 * from an empty cache, and the negative log-likelihoods of its second half are averaged over all windows.
 * The uncertainty is the standard error of the mean log-likelihood carried through {@code exp}.
 */
public final class Perplexity {
    private Perplexity() {}

    /** Scored tokens so far out of the total (for a progress bar). */
    @FunctionalInterface
    public interface Progress {
        void update(long done, long total);
    }

    /**
     * @param chunkPpl the running perplexity after each window (llama-perplexity's {@code [i]x} line)
     */
    public record Result(double ppl, double pplErr, double meanNll, long count, int chunks, int ctx, int vocab,
                         double[] chunkPpl, double seconds) {
        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ppl", ppl);
            m.put("ppl_err", pplErr);
            m.put("mean_nll", meanNll);
            m.put("tokens_scored", count);
            m.put("chunks", chunks);
            m.put("ctx", ctx);
            m.put("vocab", vocab);
            m.put("chunk_ppl", chunkPpl);
            m.put("seconds", seconds);
            return m;
        }
    }

    public static Result run(Session s, Windows w, Progress progress) {
        if (s.contextSize() < w.ctx()) throw new EvalException("the session holds " + s.contextSize() + " positions, the windows need " + w.ctx());
        long t0 = System.nanoTime();
        int vocab = s.vocabSize(), first = w.first(), last = w.ctx() - 2;
        double[] sums = new double[2]; // sum of nll, sum of nll^2
        long[] count = {0};
        double[] chunkPpl = new double[w.chunks()];
        for (int c = 0; c < w.chunks(); c++) {
            final int chunk = c;
            s.reset();
            s.prefill(w.window(c), (j, logits) -> {
                if (j < first || j > last) return;
                double v = LogProbs.nll(logits, vocab, w.target(chunk, j));
                sums[0] += v;
                sums[1] += v * v;
                count[0]++;
            });
            chunkPpl[c] = Math.exp(sums[0] / count[0]);
            if (progress != null) progress.update(count[0], w.scoredTotal());
        }
        long n = count[0];
        double mean = sums[0] / n, var = sums[1] / n - mean * mean;
        double ppl = Math.exp(mean);
        double err = var > 0 && n > 1 ? Math.sqrt(var / (n - 1)) * ppl : 0;
        s.reset();
        return new Result(ppl, err, mean, n, w.chunks(), w.ctx(), vocab, chunkPpl, (System.nanoTime() - t0) / 1e9);
    }
}

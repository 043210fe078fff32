package dev.r1.server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/** Log-probabilities of the model's own distribution (before sampling filters), as OpenAI reports them. */
final class Logprobs {
    private Logprobs() {}

    record Alt(String token, double logprob, byte[] bytes) {}

    record Entry(String token, double logprob, byte[] bytes, List<Alt> top) {}

    static Entry of(float[] logits, int token, int top, IntFunction<String> piece) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        double lse = max + Math.log(sum);
        List<Alt> alts = new ArrayList<>(top);
        if (top > 0) {
            int[] best = new int[Math.min(top, logits.length)];
            int n = 0;
            for (int i = 0; i < logits.length; i++) { // insertion into a small sorted list: top is at most ~20
                if (n == best.length && logits[i] <= logits[best[n - 1]]) continue;
                int j = n == best.length ? n - 1 : n++;
                while (j > 0 && logits[best[j - 1]] < logits[i]) { best[j] = best[j - 1]; j--; }
                best[j] = i;
            }
            for (int i = 0; i < n; i++) {
                String p = piece.apply(best[i]);
                alts.add(new Alt(p, logits[best[i]] - lse, p.getBytes(StandardCharsets.UTF_8)));
            }
        }
        String p = piece.apply(token);
        return new Entry(p, logits[token] - lse, p.getBytes(StandardCharsets.UTF_8), alts);
    }
}

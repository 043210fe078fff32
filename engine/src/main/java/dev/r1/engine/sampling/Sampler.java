package dev.r1.engine.sampling;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from a logit vector, in llama.cpp's order: logit bias, penalties (repetition,
 * then frequency and presence, over the last {@code repeatLastN} tokens), top-k, top-p,
 * min-p (each on the distribution at temperature 1), then temperature and a seeded draw among the
 * survivors. Greedy (temperature 0) is a plain argmax after the penalty.
 *
 * <p>A vocabulary has ~150k entries but the nucleus is usually a handful, so instead of sorting them all
 * the sampler sorts only candidates within a logit window of the maximum and widens the window until the
 * candidates provably contain every token the filters keep (exact, not an approximation).
 * Not thread-safe; one per generation stream.
 */
public final class Sampler {
    private final SamplerOptions o;
    private final SplittableRandom rnd;
    private final int[] recent;
    private int recentCount, recentHead;
    private int[] cand = new int[0];
    private float[] work = new float[0];

    public Sampler(SamplerOptions options) {
        this.o = options;
        this.rnd = new SplittableRandom(options.seed());
        this.recent = new int[options.repeatLastN()];
    }

    public SamplerOptions options() { return o; }

    /** Records a token as seen (prompt tokens and sampled ones) for the repetition penalty. */
    public void accept(int token) {
        if (recent.length == 0) return;
        recent[recentHead] = token;
        recentHead = (recentHead + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
    }

    public void accept(int[] tokens) {
        for (int t : tokens) accept(t);
    }

    /** Forgets the history (a new conversation). */
    public void reset() {
        recentCount = 0;
        recentHead = 0;
    }

    /** The next token; {@code logits} is not modified. */
    public int sample(float[] logits) {
        int n = logits.length;
        if (o.isGreedy()) {
            float[] l = penalized(logits);
            return argmax(l, n);
        }
        int keep = filter(logits);
        return keep < 0 ? draw(work, null, n, work[argmax(work, n)]) : draw(work, cand, keep, work[cand[0]]);
    }

    /**
     * The tokens that survive penalty, top-k, top-p and min-p, most likely first (ties by id), or null
     * when no filter is on (every token may be drawn). For tests and for showing candidates.
     */
    int[] survivors(float[] logits) {
        int keep = filter(logits);
        return keep < 0 ? null : Arrays.copyOf(cand, keep);
    }

    private float[] penalized(float[] logits) {
        int n = logits.length;
        if (n == 0) throw new IllegalArgumentException("empty logits");
        if (work.length < n) work = new float[n];
        System.arraycopy(logits, 0, work, 0, n);
        applyPenalty(work);
        return work;
    }

    /** Leaves the survivors sorted in {@code cand[0..count)} and returns the count; -1 for "all tokens". */
    private int filter(float[] logits) {
        float[] l = penalized(logits);
        int n = logits.length;
        float max = l[argmax(l, n)];
        if (!Float.isFinite(max)) throw new IllegalStateException("logits are not finite (max " + max + ")");
        if (o.topK() == 0 && o.topP() >= 1f && o.minP() == 0f) return -1;
        // Window of logits within `span` of the max: grow until the kept set is provably inside it.
        for (float span = 12f; ; span *= 2) {
            boolean last = span > 4096; // past any float logit range: whatever is left is NaN or -inf
            int k = collect(l, n, last ? Float.NEGATIVE_INFINITY : max - span);
            boolean all = k == n || last;
            double outsideMass = all ? 0 : (n - k) * Math.exp(-span); // each excluded token has weight < e^-span
            int keep = keepCount(l, k, max, span, outsideMass, all);
            if (keep > 0) return keep;
        }
    }

    private void applyPenalty(float[] l) {
        for (var e : o.logitBias().entrySet()) if (e.getKey() < l.length) l[e.getKey()] += e.getValue();
        boolean counted = o.presencePenalty() != 0f || o.frequencyPenalty() != 0f;
        if (o.repeatPenalty() == 1f && !counted || recentCount == 0) return;
        // Each distinct recent token is penalized once (the frequency penalty once per occurrence), as llama.cpp does.
        int[] seen = Arrays.copyOf(recent, recentCount);
        Arrays.sort(seen);
        for (int i = 0, j; i < seen.length; i = j) {
            j = i + 1;
            while (j < seen.length && seen[j] == seen[i]) j++;
            int t = seen[i];
            if (t < 0 || t >= l.length) continue;
            if (o.repeatPenalty() != 1f) l[t] = l[t] > 0 ? l[t] / o.repeatPenalty() : l[t] * o.repeatPenalty();
            if (counted) l[t] -= (j - i) * o.frequencyPenalty() + o.presencePenalty();
        }
    }

    private static int argmax(float[] l, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (l[i] > l[best]) best = i;
        return best;
    }

    /** Indices of logits >= threshold, sorted by logit descending (ties by index); returns the count. */
    private int collect(float[] l, int n, float threshold) {
        if (cand.length < n) {
            cand = new int[n];
            items = new long[n];
            items2 = new long[n];
        }
        int k = 0;
        for (int i = 0; i < n; i++) {
            float v = l[i];
            if (v >= threshold) {
                int bits = Float.floatToIntBits(v);
                int ord = bits >= 0 ? bits : bits ^ 0x7FFFFFFF; // monotone int order of floats
                // descending logit as an unsigned key above the index
                items[k++] = (long) (~ord ^ Integer.MIN_VALUE) << 32 | i;
            }
        }
        radixSort(k);
        for (int i = 0; i < k; i++) cand[i] = (int) items[i];
        return k;
    }

    private long[] items = new long[0], items2 = new long[0];
    private final int[] radixCount = new int[257];

    /**
     * Sorts {@code items[0..k)} by their upper 32 bits (unsigned), stably: candidates arrive in index order,
     * so ties stay by index. A flat distribution (a synthesized model, a high temperature) leaves most of a
     * 150k vocabulary in the window; a comparison sort of that took ~13 ms a token. Byte digits (a bucket
     * count the L1 cache holds), and a digit all keys share is skipped.
     */
    private void radixSort(int k) {
        if (k < 2) return;
        long[] a = items, b = items2;
        int[] count = radixCount;
        for (int shift = 32; shift < 64; shift += 8) {
            Arrays.fill(count, 0);
            for (int i = 0; i < k; i++) count[(int) (a[i] >>> shift) & 255]++;
            if (count[(int) (a[0] >>> shift) & 255] == k) continue; // one digit for all: already in order
            for (int d = 0, sum = 0; d < 256; d++) {
                int c = count[d];
                count[d] = sum;
                sum += c;
            }
            for (int i = 0; i < k; i++) {
                long x = a[i];
                b[count[(int) (x >>> shift) & 255]++] = x;
            }
            long[] t = a; a = b; b = t;
        }
        if (a != items) System.arraycopy(a, 0, items, 0, k);
    }

    /**
     * How many sorted candidates top-k, top-p and min-p keep; -1 when tokens
     * outside the window (total weight below {@code outsideMass}, the max's weight being 1) could change
     * which tokens the filters keep, so the caller widens the window.
     */
    private int keepCount(float[] l, int k, float max, float span, double outsideMass, boolean all) {
        int keep = k;
        if (o.topK() > 0) {
            if (k < o.topK() && !all) return -1; // the rest of the top k lies outside the window
            keep = Math.min(k, o.topK());
        }
        if (filterWeights.length < keep) filterWeights = new double[keep];
        double[] w = filterWeights;
        double inside = 0;
        for (int i = 0; i < keep; i++) inside += (w[i] = Math.exp(l[cand[i]] - max));
        if (keep < k) outsideMass = 0; // top-k renormalizes over the k it keeps
        if (o.topP() < 1f) {
            int cut = cut(w, keep, o.topP() * inside);
            if (outsideMass > 0 && cut(w, keep, o.topP() * (inside + outsideMass)) != cut) return -1;
            keep = cut;
        }
        if (o.minP() > 0f) {
            if (outsideMass > 0 && Math.log(o.minP()) < -span) return -1; // survivors reach below the window
            int i = 1;
            while (i < keep && w[i] >= o.minP()) i++;
            keep = i;
        }
        return keep;
    }

    /** Smallest prefix whose cumulative weight reaches {@code target} (llama.cpp keeps the crossing token); -1 if none. */
    private static int cut(double[] w, int n, double target) {
        double cum = 0;
        for (int i = 0; i < n; i++) {
            cum += w[i];
            if (cum >= target) return i + 1;
        }
        return cum >= target * (1 - 1e-12) ? n : -1;
    }

    /** Temperature, then a seeded draw among {@code ids[0..n)}. */
    private int draw(float[] l, int[] ids, int n, float max) {
        if (weights.length < n) weights = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (weights[i] = Math.exp((l[ids == null ? i : ids[i]] - max) / o.temperature()));
        double u = rnd.nextDouble() * sum;
        for (int i = 0; i < n; i++) {
            u -= weights[i]; // the same values as the sum's: computed once
            if (u < 0) return ids == null ? i : ids[i];
        }
        return ids == null ? n - 1 : ids[n - 1];
    }

    private double[] weights = new double[0], filterWeights = new double[0];
}

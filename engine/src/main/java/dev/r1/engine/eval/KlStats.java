package dev.r1.engine.eval;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The statistics of {@code llama-perplexity --kl-divergence}, accumulated position by position: the
 * student's and the teacher's log-likelihood of the text (PPL, their ratio and difference with
 * uncertainties that account for their correlation), KL(teacher ‖ student) per position (mean ± standard
 * error, quantiles, max), Δp = p_student − p_teacher of the token that followed (RMS), and how often both
 * rank the same token first. Computed in double over the ids both vocabularies share, each distribution
 * renormalized over them.
 *
 * <p>Also, with full teacher rows, the step-to-step logit consistency of the distillation recipe: the
 * cosine between the teacher's and the student's change of logits from one position to the next.
 *
 * <p>At temperature T the KL is between {@code softmax(logits / T)}, scaled by T² (the soft-label loss);
 * PPL, Δp and top-1 agreement stay at T = 1.
 */
public final class KlStats {
    /** A step deviates when {@code 1 - cosine} exceeds this (the recipe's consistency bar). */
    public static final double COSINE_DEVIATION = 0.08;

    private final int shared;
    private final double temperature;
    private final double[] lt, ls, ltT, lsT;
    private double sumNll, sumNll2, sumNllBase, sumNllBase2, sumNllNllBase, sumKld, sumKld2, sumPd, sumPd2, sumPd4;
    private double maxPd;
    private long sameTop, count;
    private final FloatList kld = new FloatList(), pDiff = new FloatList();
    // Step-to-step cosine: the previous position's logits of both, within one window.
    private float[] prevT, prevS;
    private double sumCos;
    private long cosSteps, cosDeviating;
    private boolean topK;

    /** @param shared the ids compared (the smaller vocabulary when the two differ) */
    public KlStats(int shared, double temperature) {
        if (!(temperature > 0)) throw new EvalException("--temperature must be > 0, got " + temperature);
        this.shared = shared;
        this.temperature = temperature;
        lt = new double[shared];
        ls = new double[shared];
        ltT = temperature == 1 ? lt : new double[shared];
        lsT = temperature == 1 ? ls : new double[shared];
    }

    /** Starts a new window: the step-to-step cosine does not cross windows. */
    public void newWindow() {
        prevT = null;
        prevS = null;
    }

    /** @return the position's KL */
    public double add(TeacherRow teacher, float[] student, int target) {
        if (target >= shared) throw new EvalException("token " + target + " of the text is outside the " + shared + " ids both models share");
        int imaxS = LogProbs.logSoftmax(student, shared, 1, ls);
        double nll = -ls[target];
        if (temperature != 1) LogProbs.logSoftmax(student, shared, temperature, lsT);
        double nllBase, kl;
        int imaxT;
        switch (teacher) {
            case TeacherRow.Full f -> {
                imaxT = LogProbs.logSoftmax(f.logits(), shared, 1, lt);
                nllBase = -lt[target];
                if (temperature != 1) LogProbs.logSoftmax(f.logits(), shared, temperature, ltT);
                double s = 0;
                for (int i = 0; i < shared; i++) s += Math.exp(ltT[i]) * (ltT[i] - lsT[i]);
                kl = s;
                cosine(f.logits(), student);
            }
            case TeacherRow.TopK k -> {
                topK = true;
                imaxT = k.top1();
                nllBase = -k.targetLogProb();
                // The teacher's top-k tokens, and one bucket for all the others (a lower bound of the full KL).
                double s = 0, pIn = 0, qIn = 0;
                for (int i = 0; i < k.ids().length; i++) {
                    int id = k.ids()[i];
                    if (id >= shared) continue;
                    double lp = k.logProbs()[i], p = Math.exp(lp);
                    s += p * (lp - lsT[id]);
                    pIn += p;
                    qIn += Math.exp(lsT[id]);
                }
                double pRest = 1 - pIn, qRest = Math.max(1e-300, 1 - qIn);
                if (pRest > 1e-12) s += pRest * (Math.log(pRest) - Math.log(qRest));
                kl = s;
            }
        }
        kl *= temperature * temperature;
        sumNll += nll;
        sumNll2 += nll * nll;
        sumNllBase += nllBase;
        sumNllBase2 += nllBase * nllBase;
        sumNllNllBase += nll * nllBase;
        sumKld += kl;
        sumKld2 += kl * kl;
        double pd = Math.exp(-nll) - Math.exp(-nllBase);
        sumPd += pd;
        sumPd2 += pd * pd;
        sumPd4 += pd * pd * pd * pd;
        maxPd = Math.max(maxPd, Math.abs(pd));
        if (imaxS == imaxT) sameTop++;
        count++;
        kld.add((float) kl);
        pDiff.add((float) pd);
        return kl;
    }

    private void cosine(float[] t, float[] s) {
        if (prevT != null) {
            double dot = 0, nt = 0, ns = 0;
            for (int i = 0; i < shared; i++) {
                double a = t[i] - prevT[i], b = s[i] - prevS[i];
                dot += a * b;
                nt += a * a;
                ns += b * b;
            }
            double cos = nt > 0 && ns > 0 ? dot / Math.sqrt(nt * ns) : 1;
            sumCos += cos;
            cosSteps++;
            if (1 - cos > COSINE_DEVIATION) cosDeviating++;
        } else {
            prevT = new float[shared];
            prevS = new float[shared];
        }
        System.arraycopy(t, 0, prevT, 0, shared);
        System.arraycopy(s, 0, prevS, 0, shared);
    }

    public long count() { return count; }

    /** The per-position KL values in text order. */
    public float[] klValues() { return kld.toArray(); }

    /** A value ± its standard error (0 when there are too few samples, as llama-perplexity does). */
    public record Est(double value, double err) {}

    private static Est meanAndErr(double sum, double sum2, long n) {
        if (n < 1) return new Est(0, 0);
        double f = sum / n, df = sum2 / n - f * f;
        return new Est(f, df > 0 && n > 10 ? Math.sqrt(df / (n - 1)) : 0);
    }

    /** llama-perplexity's quantile: linear interpolation between the sorted values at {@code q * (n-1)}. */
    static double quantile(float[] sorted, double q) {
        if (q <= 0) return sorted[0];
        if (q >= 1) return sorted[sorted.length - 1];
        double p = q * (sorted.length - 1);
        int ip = (int) p;
        p -= ip;
        return (1 - p) * sorted[ip] + p * sorted[Math.min(ip + 1, sorted.length - 1)];
    }

    static double median(float[] sorted) {
        int n = sorted.length;
        return n % 2 == 0 ? 0.5 * (sorted[n / 2] + sorted[n / 2 - 1]) : sorted[n / 2];
    }

    /** Every figure, with llama-perplexity's names in comments; keys are the JSON field names. */
    public Map<String, Object> summary() {
        if (count == 0) throw new EvalException("no positions were scored");
        Map<String, Object> m = new LinkedHashMap<>();
        Est lp = meanAndErr(sumNll, sumNll2, count), lb = meanAndErr(sumNllBase, sumNllBase2, count);
        double cov = count < 10 ? 0 : (sumNllNllBase / count - (sumNll / count) * (sumNllBase / count)) / (count - 1);
        double ppl = Math.exp(lp.value()), pplB = Math.exp(lb.value());
        m.put("positions", count);
        m.put("shared_ids", shared);
        m.put("temperature", temperature);
        m.put("ppl", ppl);                          // Mean PPL(Q)
        m.put("ppl_err", ppl * lp.err());
        m.put("ppl_teacher", pplB);                 // Mean PPL(base)
        m.put("ppl_teacher_err", pplB * lb.err());
        double lnRatio = lp.value() - lb.value();
        double lnRatioErr = Math.sqrt(Math.max(0, lp.err() * lp.err() + lb.err() * lb.err() - 2 * cov));
        m.put("ln_ppl_ratio", lnRatio);             // Mean ln(PPL(Q)/PPL(base))
        m.put("ln_ppl_ratio_err", lnRatioErr);
        m.put("ppl_ratio", Math.exp(lnRatio));
        double dPplErr = Math.sqrt(Math.max(0, Math.pow(ppl * lp.err(), 2) + Math.pow(pplB * lb.err(), 2) - 2 * ppl * pplB * cov));
        m.put("delta_ppl", ppl - pplB);             // Mean PPL(Q)-PPL(base)
        m.put("delta_ppl_err", dPplErr);
        Est k = meanAndErr(sumKld, sumKld2, count);
        float[] sorted = kld.toArray();
        Arrays.sort(sorted);
        m.put("kl_mean", k.value());
        m.put("kl_mean_err", k.err());
        m.put("kl_median", median(sorted));
        m.put("kl_p90", quantile(sorted, 0.90));
        m.put("kl_p95", quantile(sorted, 0.95));
        m.put("kl_p99", quantile(sorted, 0.99));
        m.put("kl_p999", quantile(sorted, 0.999));
        m.put("kl_max", (double) sorted[sorted.length - 1]);
        m.put("kl_min", (double) sorted[0]);
        Est pd = meanAndErr(sumPd, sumPd2, count), mse = meanAndErr(sumPd2, sumPd4, count);
        double rms = Math.sqrt(mse.value());
        m.put("dp_mean", pd.value());
        m.put("dp_mean_err", pd.err());
        m.put("dp_rms", rms);                       // RMS Δp
        m.put("dp_rms_err", rms > 0 ? 0.5 / rms * mse.err() : 0);
        m.put("dp_max_abs", maxPd);
        double top = (double) sameTop / count;
        m.put("top1_agreement", top);               // Same top p
        m.put("top1_agreement_err", count > 1 ? Math.sqrt(top * (1 - top) / (count - 1)) : 0);
        if (cosSteps > 0) {
            m.put("logit_step_cosine_mean", sumCos / cosSteps);
            m.put("logit_step_cosine_deviating", (double) cosDeviating / cosSteps);
            m.put("logit_step_cosine_bar", COSINE_DEVIATION);
        }
        m.put("teacher_rows", topK ? "top-k" : "full");
        return m;
    }
}

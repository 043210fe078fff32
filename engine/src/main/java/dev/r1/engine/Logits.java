package dev.r1.engine;

/** The few things done with a row of logits outside the sampler: greedy pick, float64 softmax, KL. */
public final class Logits {
    private Logits() {}

    /** The first index of the largest value (greedy decoding). */
    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** Softmax in float64, shifted by the maximum. */
    public static double[] softmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) max = Math.max(max, v);
        double[] p = new double[x.length];
        double s = 0;
        for (int i = 0; i < x.length; i++) s += p[i] = Math.exp(x[i] - max);
        for (int i = 0; i < x.length; i++) p[i] /= s;
        return p;
    }

    /** KL(p ‖ q) of the two rows' softmaxes, in nats. */
    public static double kl(float[] pLogits, float[] qLogits) {
        double[] p = softmax(pLogits), q = softmax(qLogits);
        double kl = 0;
        for (int i = 0; i < p.length; i++) if (p[i] > 0) kl += p[i] * Math.log(p[i] / Math.max(q[i], 1e-300));
        return kl;
    }
}

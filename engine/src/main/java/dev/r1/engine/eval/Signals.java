package dev.r1.engine.eval;

import dev.r1.engine.Session;
import dev.r1.engine.model.Backend;
import dev.r1.engine.model.JavaSession;
import dev.r1.engine.model.Transformer;
import dev.r1.models.config.ModelConfig;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The distillation recipe's inner signals between a teacher and a student, read through the forward-pass
 * observer of our engine (so both sides run on the {@code java} backend, live): hidden-state MSE after chosen
 * layers (HF's {@code hidden_states[l]}: the residual stream after {@code l} blocks) over the scored positions,
 * weighted; and the distance between the last layer's attention weights (softmax of the rotated queries
 * against the window's rotated keys, per head), as the Frobenius norm of the difference over heads, rows
 * and columns of each window. Each applies only where the shapes match; otherwise a refusal says why.
 */
public final class Signals {
    private final int[] layers;
    private final double[] weights;
    private final boolean attention;
    private final Capture teacher, student;
    private final ModelConfig tc, sc;
    private final double[] mseSum;
    private long mseRows;
    private double frobSum, frobRowSum;
    private int windows;

    /**
     * @param layers  1-based layer outputs to compare (empty: no hidden-state MSE)
     * @param weights one per layer (null: equal weights)
     */
    public Signals(Session teacherSession, Session studentSession, int[] layers, double[] weights, boolean attention) {
        if (!(teacherSession instanceof JavaSession ts) || !(studentSession instanceof JavaSession ss))
            throw new EvalException("hidden states and attention weights are read inside our engine: use --teacher-backend java"
                    + " and --student-backend java with a live --teacher (not --teacher-logits)");
        tc = ts.config();
        sc = ss.config();
        this.layers = layers.clone();
        this.attention = attention;
        if (weights != null && weights.length != layers.length)
            throw new EvalException("--layer-weights has " + weights.length + " values for " + layers.length + " --layers");
        this.weights = new double[layers.length];
        for (int i = 0; i < layers.length; i++) this.weights[i] = weights != null ? weights[i] : 1.0 / layers.length;
        if (layers.length > 0 && tc.hidden() != sc.hidden())
            throw new EvalException("hidden-state MSE needs equal hidden sizes; the teacher's is " + tc.hidden() + ", the student's "
                    + sc.hidden() + " (a projection would have to be learned): drop --layers");
        for (int l : layers) {
            if (l < 1 || l > Math.min(tc.layers(), sc.layers()))
                throw new EvalException("--layers " + l + " is not a layer of both models (teacher " + tc.layers() + ", student "
                        + sc.layers() + " layers; numbered from 1, as HF's hidden_states)");
        }
        if (attention && (tc.heads() != sc.heads()))
            throw new EvalException("the attention-pattern distance needs equal head counts; the teacher has " + tc.heads()
                    + " heads, the student " + sc.heads() + ": drop --attention");
        mseSum = new double[layers.length];
        teacher = new Capture(tc, this.layers, attention);
        student = new Capture(sc, this.layers, attention);
        ts.observe(teacher);
        ss.observe(student);
    }

    /** Stops observing (the sessions run at full speed again). */
    public void detach(Session teacherSession, Session studentSession) {
        ((JavaSession) teacherSession).observe(null);
        ((JavaSession) studentSession).observe(null);
    }

    void beginWindow(int ctx) {
        teacher.begin(ctx);
        student.begin(ctx);
    }

    /** After both sides ran the window: accumulates the window's signals over rows {@code first..last}. */
    void endWindow(int ctx, int first, int last) {
        for (int i = 0; i < layers.length; i++) {
            float[][] a = teacher.hidden[i], b = student.hidden[i];
            double s = 0;
            for (int t = first; t <= last; t++) {
                for (int d = 0; d < tc.hidden(); d++) {
                    double e = a[t][d] - b[t][d];
                    s += e * e;
                }
            }
            mseSum[i] += s / tc.hidden();
        }
        mseRows += last - first + 1;
        if (attention) {
            double f = 0;
            float[] pa = new float[ctx], pb = new float[ctx];
            for (int h = 0; h < tc.heads(); h++) {
                for (int t = 0; t < ctx; t++) {
                    teacher.weights(t, h, pa);
                    student.weights(t, h, pb);
                    for (int j = 0; j <= t; j++) f += (double) (pa[j] - pb[j]) * (pa[j] - pb[j]);
                }
            }
            frobSum += Math.sqrt(f);
            frobRowSum += Math.sqrt(f / (tc.heads() * (double) ctx));
        }
        windows++;
    }

    public Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (layers.length > 0 && mseRows > 0) {
            double weighted = 0;
            for (int i = 0; i < layers.length; i++) {
                double mse = mseSum[i] / mseRows;
                m.put("hidden_mse_layer_" + layers[i], mse);
                weighted += weights[i] * mse;
            }
            m.put("hidden_mse_weighted", weighted);
        }
        if (attention && windows > 0) {
            m.put("attention_frobenius", frobSum / windows);
            m.put("attention_frobenius_per_row", frobRowSum / windows);
        }
        return m;
    }

    /** The readable lines of {@link #summary()}. */
    public String report() {
        StringBuilder sb = new StringBuilder();
        Map<String, Object> m = summary();
        if (m.containsKey("hidden_mse_weighted")) {
            sb.append("hidden-state MSE:");
            for (int i = 0; i < layers.length; i++)
                sb.append(String.format(Locale.ROOT, " layer %d %.6g (weight %.3g);", layers[i], m.get("hidden_mse_layer_" + layers[i]), weights[i]));
            sb.append(String.format(Locale.ROOT, " weighted %.6g%n", m.get("hidden_mse_weighted")));
        }
        if (m.containsKey("attention_frobenius"))
            sb.append(String.format(Locale.ROOT, "last-layer attention distance: ‖A_t − A_s‖_F %.5g per window (%d heads), %.5g per head-row%n",
                    m.get("attention_frobenius"), tc.heads(), m.get("attention_frobenius_per_row")));
        return sb.toString();
    }

    /** One side's residual rows after the chosen layers and the last layer's rotated queries and keys, for one window. */
    private static final class Capture implements Transformer.Observer {
        final ModelConfig c;
        final int[] layerIndex; // 0-based block index whose output is kept, per chosen layer
        final boolean attention;
        float[][][] hidden;
        float[][] q, k;
        int rowBase, stepRows, ctx;

        Capture(ModelConfig c, int[] layers, boolean attention) {
            this.c = c;
            this.layerIndex = new int[layers.length];
            for (int i = 0; i < layers.length; i++) layerIndex[i] = layers[i] - 1;
            this.attention = attention;
        }

        void begin(int ctx) {
            if (ctx != this.ctx) {
                this.ctx = ctx;
                hidden = new float[layerIndex.length][ctx][c.hidden()];
                q = attention ? new float[ctx][c.qDim()] : null;
                k = attention ? new float[ctx][c.kvDim()] : null;
            }
            rowBase = 0;
            stepRows = 0;
        }

        @Override
        public void layer(int layer, int n, Backend be, Backend.Buffer residual, Backend.Buffer qb, Backend.Buffer kb) {
            if (layer == 0) { // a new step: its rows follow the previous step's
                rowBase += stepRows;
                stepRows = n;
            }
            for (int i = 0; i < layerIndex.length; i++) {
                if (layerIndex[i] != layer) continue;
                for (int t = 0; t < n; t++) be.toHost(residual, t * c.hidden(), c.hidden(), hidden[i][rowBase + t]);
            }
            if (attention && layer == c.layers() - 1) {
                for (int t = 0; t < n; t++) {
                    be.toHost(qb, t * c.qDim(), c.qDim(), q[rowBase + t]);
                    be.toHost(kb, t * c.kvDim(), c.kvDim(), k[rowBase + t]);
                }
            }
        }

        /** Row {@code t}'s attention weights of head {@code h} over positions {@code 0..t}, into {@code out}. */
        void weights(int t, int h, float[] out) {
            int hd = c.headDim(), g = h / (c.heads() / c.kvHeads());
            double scale = 1 / Math.sqrt(hd), max = Double.NEGATIVE_INFINITY;
            double[] s = new double[t + 1];
            for (int j = 0; j <= t; j++) {
                double dot = 0;
                for (int d = 0; d < hd; d++) dot += q[t][h * hd + d] * k[j][g * hd + d];
                s[j] = dot * scale;
                max = Math.max(max, s[j]);
            }
            double sum = 0;
            for (int j = 0; j <= t; j++) sum += s[j] = Math.exp(s[j] - max);
            for (int j = 0; j <= t; j++) out[j] = (float) (s[j] / sum);
        }
    }
}

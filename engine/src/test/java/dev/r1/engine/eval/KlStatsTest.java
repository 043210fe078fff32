package dev.r1.engine.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** KlStats' figures against the definitions written out in float64, on hand-made distributions. */
class KlStatsTest {
    static double[] softmax(float[] l, double t, int n) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int i = 0; i < n; i++) max = Math.max(max, l[i] / t);
        double[] p = new double[n];
        for (int i = 0; i < n; i++) sum += p[i] = Math.exp(l[i] / t - max);
        for (int i = 0; i < n; i++) p[i] /= sum;
        return p;
    }

    static double kl(double[] p, double[] q) {
        double s = 0;
        for (int i = 0; i < p.length; i++) s += p[i] * Math.log(p[i] / q[i]);
        return s;
    }

    static double d(Map<String, Object> m, String k) { return ((Number) m.get(k)).doubleValue(); }

    static final float[] T1 = {2f, 1f, 0.5f, -1f, 9f}, S1 = {1.5f, 1.2f, 0.1f, -0.5f, -3f};
    static final float[] T2 = {0f, 3f, 1f, 0f, 5f}, S2 = {0.2f, 2.5f, 1.5f, 0.3f, 7f};

    @Test
    void temperatureKlTopOneAndProbabilities() {
        double t = 2;
        KlStats st = new KlStats(4, t); // the fifth id is outside the shared vocabulary
        st.add(new TeacherRow.Full(T1), S1, 1);
        st.add(new TeacherRow.Full(T2), S2, 2);
        Map<String, Object> m = st.summary();
        double k1 = t * t * kl(softmax(T1, t, 4), softmax(S1, t, 4)), k2 = t * t * kl(softmax(T2, t, 4), softmax(S2, t, 4));
        assertEquals((k1 + k2) / 2, d(m, "kl_mean"), 1e-12);
        assertEquals(Math.max(k1, k2), d(m, "kl_max"), 1e-6);
        // Top-1 at T = 1 over the shared ids: position 1 agrees (id 0 both), position 2 too (id 1 both).
        assertEquals(1.0, d(m, "top1_agreement"));
        double[] pt1 = softmax(T1, 1, 4), ps1 = softmax(S1, 1, 4), pt2 = softmax(T2, 1, 4), ps2 = softmax(S2, 1, 4);
        double nll = (-Math.log(ps1[1]) - Math.log(ps2[2])) / 2, nllT = (-Math.log(pt1[1]) - Math.log(pt2[2])) / 2;
        assertEquals(Math.exp(nll), d(m, "ppl"), 1e-9);
        assertEquals(Math.exp(nllT), d(m, "ppl_teacher"), 1e-9);
        double dp1 = ps1[1] - pt1[1], dp2 = ps2[2] - pt2[2];
        assertEquals(Math.sqrt((dp1 * dp1 + dp2 * dp2) / 2), d(m, "dp_rms"), 1e-12);
        // Step-to-step cosine within the window: one step, between the two positions.
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < 4; i++) {
            double a = T2[i] - T1[i], b = S2[i] - S1[i];
            dot += a * b; na += a * a; nb += b * b;
        }
        assertEquals(dot / Math.sqrt(na * nb), d(m, "logit_step_cosine_mean"), 1e-9);
    }

    @Test
    void topKKeepsTheRestAsOneBucket() {
        double[] p = softmax(T1, 1, 5), q = softmax(S1, 1, 5);
        // Teacher's top 2: ids 4 and 0.
        TeacherRow.TopK row = new TeacherRow.TopK(4, (float) Math.log(p[1]), new int[] {4, 0},
                new float[] {(float) Math.log(p[4]), (float) Math.log(p[0])});
        KlStats st = new KlStats(5, 1);
        st.add(row, S1, 1);
        double rest = 1 - p[4] - p[0], restQ = 1 - q[4] - q[0];
        double expect = p[4] * Math.log(p[4] / q[4]) + p[0] * Math.log(p[0] / q[0]) + rest * Math.log(rest / restQ);
        Map<String, Object> m = st.summary();
        assertEquals(expect, d(m, "kl_mean"), 1e-6);
        assertEquals(0.0, d(m, "top1_agreement")); // the student's top is id 0, the teacher's id 4
        assertEquals(1 / p[1], d(m, "ppl_teacher"), 1e-6 / p[1]); // the target log-prob is stored as a float
        assertEquals("top-k", m.get("teacher_rows"));
    }
}

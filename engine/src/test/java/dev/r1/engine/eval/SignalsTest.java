package dev.r1.engine.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.engine.Engines;
import dev.r1.engine.Model;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.models.config.Architecture;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tokenizer.Vocabulary;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hidden-state MSE and attention distance through the forward-pass observer, on tiny synthesized models. */
class SignalsTest {
    @TempDir static Path dir;
    static Path f32, q8, q4, narrow;
    static final int CTX = 48;
    static String text;

    @BeforeAll
    static void models() {
        ModelConfig cfg = Presets.get("tiny-qwen2");
        Vocabulary v = Vocabulary.tinyByteLevel(cfg.vocab());
        f32 = EvalTest.synth(dir, "sf32", cfg, GgmlType.F32, 11, v);
        q8 = EvalTest.synth(dir, "sq8", cfg, GgmlType.Q8_0, 11, v);
        q4 = EvalTest.synth(dir, "sq4", cfg, GgmlType.Q4_0, 11, v);
        // A smaller student of the same tokenizer: hidden 64, 2 heads.
        narrow = EvalTest.synth(dir, "narrow", new ModelConfig(Architecture.QWEN2, 64, 2, 2, 1, 32, 128, cfg.vocab(), 2048, 1e4f, 1e-6f,
                true, false, Optional.empty()), GgmlType.F32, 11, v);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 700; i++) sb.append("step ").append(i * 31 % 97).append(" of a distilled model. ");
        text = sb.toString();
    }

    /** Runs teacher vs student with the signals; {@code studentBatch} changes how the student's window is chunked. */
    static Map<String, Object> signals(Path teacher, Path student, int studentBatch, int[] layers, double[] weights, boolean attention) {
        try (Model t = Engines.load("java", teacher, 1); Model s = Engines.load("java", student, 1);
             Session ts = EvalModels.scoringSession(t, CTX, 1); Session ss = s.newSession(new SessionOptions(1, CTX, studentBatch))) {
            Windows w = EvalModels.windows(t, text, CTX, 3);
            Signals sig = new Signals(ts, ss, layers, weights, attention);
            KlDivergence.compare(ts, ss, w, 1, null, sig);
            sig.detach(ts, ss);
            return sig.summary();
        }
    }

    static double d(Map<String, Object> m, String k) { return ((Number) m.get(k)).doubleValue(); }

    @Test
    void sameModelIsZeroWhateverTheChunking() {
        // 48 positions fed as 48 rows on one side and in chunks of 5 on the other: the observer's rows line up.
        Map<String, Object> m = signals(q4, q4, 5, new int[] {1, 2}, null, true);
        assertEquals(0, d(m, "hidden_mse_layer_1"), 1e-9);
        assertEquals(0, d(m, "hidden_mse_weighted"), 1e-9);
        assertEquals(0, d(m, "attention_frobenius"), 1e-5);
    }

    @Test
    void q8StaysCloserThanQ4() {
        int[] layers = {1, 2};
        double[] w = {0.25, 0.75};
        Map<String, Object> m8 = signals(f32, q8, 64, layers, w, true), m4 = signals(f32, q4, 64, layers, w, true);
        assertTrue(d(m8, "hidden_mse_weighted") > 0);
        assertTrue(d(m8, "hidden_mse_weighted") < d(m4, "hidden_mse_weighted"), m8 + " vs " + m4);
        assertTrue(d(m8, "attention_frobenius") < d(m4, "attention_frobenius"), m8 + " vs " + m4);
        assertEquals(0.25 * d(m4, "hidden_mse_layer_1") + 0.75 * d(m4, "hidden_mse_layer_2"), d(m4, "hidden_mse_weighted"), 1e-12);
    }

    @Test
    void refusalsSayWhy() {
        EvalException hidden = assertThrows(EvalException.class, () -> signals(f32, narrow, 64, new int[] {1}, null, false));
        assertTrue(hidden.getMessage().contains("equal hidden sizes"), hidden.getMessage());
        EvalException heads = assertThrows(EvalException.class, () -> signals(f32, narrow, 64, new int[0], null, true));
        assertTrue(heads.getMessage().contains("equal head counts"), heads.getMessage());
        EvalException layer = assertThrows(EvalException.class, () -> signals(f32, q4, 64, new int[] {6}, null, false));
        assertTrue(layer.getMessage().contains("not a layer of both"), layer.getMessage());
        EvalException weights = assertThrows(EvalException.class, () -> signals(f32, q4, 64, new int[] {1, 2}, new double[] {1}, false));
        assertTrue(weights.getMessage().contains("--layer-weights"), weights.getMessage());
        try (Model t = Engines.load("java", f32, 1); Model l = Engines.load("llama.cpp", q4, 1);
             Session ts = EvalModels.scoringSession(t, CTX, 1); Session ls = EvalModels.scoringSession(l, CTX, 1)) {
            EvalException be = assertThrows(EvalException.class, () -> new Signals(ts, ls, new int[] {1}, null, false));
            assertTrue(be.getMessage().contains("--student-backend java"), be.getMessage());
        }
    }
}

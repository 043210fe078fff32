package dev.r1.engine.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.engine.Engines;
import dev.r1.engine.Model;
import dev.r1.engine.Session;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tokenizer.Vocabulary;
import dev.r1.quantize.synth.SyntheticModel;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Perplexity and KL on tiny synthesized models (tiny-qwen2 shapes, its byte-level tokenizer): both engines
 * agree on perplexity, a model against itself has KL 0, Q8_0 of the same weights stays closer to F32 than
 * Q4_0, models whose vocabularies differ are compared over the shared ids, different tokenizers are refused.
 */
class EvalTest {
    @TempDir static Path dir;
    static Path f32, q8, q4, wide, other;
    static final int CTX = 64;
    static String text;

    static Path synth(Path dir, String name, ModelConfig cfg, GgmlType t, long seed, Vocabulary v) {
        Path out = dir.resolve(name + ".gguf");
        SyntheticModel.write(out, true, cfg, name, seed, s -> s.isVector() ? GgmlType.F32 : t, v.toGgufMetadata(cfg.vocab()), 1, b -> {});
        return out;
    }

    static ModelConfig withVocab(ModelConfig c, int vocab) {
        return new ModelConfig(c.arch(), c.hidden(), c.layers(), c.heads(), c.kvHeads(), c.headDim(), c.ffn(), vocab,
                c.contextLength(), c.ropeTheta(), c.rmsEps(), c.qkvBias(), c.tiedEmbeddings(), c.ropeScaling());
    }

    @BeforeAll
    static void models() {
        ModelConfig cfg = Presets.get("tiny-qwen2");
        Vocabulary v = Vocabulary.tinyByteLevel(cfg.vocab());
        f32 = synth(dir, "f32", cfg, GgmlType.F32, 7, v);
        q8 = synth(dir, "q8", cfg, GgmlType.Q8_0, 7, v);
        q4 = synth(dir, "q4", cfg, GgmlType.Q4_0, 7, v);
        // Same seed and shapes with 128 padding ids more: the weights of the shared ids are the same values
        // (row-major draws), as a 7B's 152064 against a 1.5B's 151936 share one tokenizer.
        wide = synth(dir, "wide", withVocab(cfg, cfg.vocab() + 128), GgmlType.F32, 7, v);
        // A different tokenizer: fewer merges (padded to the same size), so the text splits into other tokens.
        other = synth(dir, "other", cfg, GgmlType.F32, 7, Vocabulary.tinyByteLevel(cfg.vocab() - 160));
        StringBuilder sb = new StringBuilder();
        String[] words = {"the", "model", "keeps", "most", "of", "its", "teacher", "when", "quantized", "to", "four", "bits", "and", "a", "student"};
        long x = 12345;
        while (sb.length() < 1600) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            sb.append(words[(int) ((x >>> 33) % words.length)]).append((x & 7) == 0 ? ".\n" : " ");
        }
        text = sb.toString();
    }

    static Perplexity.Result ppl(String backend, Path file) {
        try (Model m = Engines.load(backend, file, 1); Session s = EvalModels.scoringSession(m, CTX, 1)) {
            return Perplexity.run(s, EvalModels.windows(m, text, CTX, 0), null);
        }
    }

    @Test
    void perplexityAgreesAcrossEngines() {
        Perplexity.Result j = ppl("java", q8), l = ppl("llama.cpp", q8);
        assertEquals(l.count(), j.count());
        assertTrue(j.chunks() >= 2, "at least two windows: " + j.chunks());
        assertEquals((long) j.chunks() * (CTX - 1 - CTX / 2), j.count());
        assertEquals(l.ppl(), j.ppl(), l.ppl() * 0.005, "java " + j.ppl() + " vs llama.cpp " + l.ppl());
        assertTrue(j.ppl() > 1 && j.pplErr() > 0);
    }

    static Map<String, Object> kl(Path teacher, Path student) {
        try (Model t = Engines.load("java", teacher, 1); Model s = Engines.load("java", student, 1);
             Session ts = EvalModels.scoringSession(t, CTX, 1); Session ss = EvalModels.scoringSession(s, CTX, 1)) {
            Windows w = EvalModels.windows(t, text, CTX, 0);
            EvalModels.requireSameTokens("test", w.tokens(), EvalModels.tokenize(s, text), t, s);
            return KlDivergence.compare(ts, ss, w, 1, null).summary();
        }
    }

    static double d(Map<String, Object> m, String k) { return ((Number) m.get(k)).doubleValue(); }

    @Test
    void klAgainstItselfIsZero() {
        Map<String, Object> m = kl(q4, q4);
        assertEquals(0, d(m, "kl_mean"), 1e-12);
        assertEquals(0, d(m, "kl_max"), 1e-12);
        assertEquals(1, d(m, "top1_agreement"));
        assertEquals(0, d(m, "delta_ppl"), 1e-9);
        assertEquals(1, d(m, "logit_step_cosine_mean"), 1e-9);
    }

    @Test
    void q8StaysCloserToF32ThanQ4() {
        Map<String, Object> k8 = kl(f32, q8), k4 = kl(f32, q4);
        assertTrue(d(k8, "kl_mean") > 0, "quantization changes something");
        assertTrue(d(k8, "kl_mean") < d(k4, "kl_mean"), "Q8_0 " + k8.get("kl_mean") + " vs Q4_0 " + k4.get("kl_mean"));
        assertTrue(d(k8, "top1_agreement") >= d(k4, "top1_agreement"));
        assertTrue(d(k8, "dp_rms") < d(k4, "dp_rms"));
    }

    /** Two different models (other weights) sharing one tokenizer: scored, and much farther apart than a quantization. */
    @Test
    void twoDifferentModelsSharingATokenizer() {
        ModelConfig cfg = Presets.get("tiny-qwen2");
        Path stranger = synth(dir, "stranger", cfg, GgmlType.F32, 8, Vocabulary.tinyByteLevel(cfg.vocab()));
        Map<String, Object> far = kl(f32, stranger), near = kl(f32, q4);
        assertTrue(Double.isFinite(d(far, "kl_mean")) && d(far, "kl_mean") > 10 * d(near, "kl_mean"),
                "other weights " + far.get("kl_mean") + " vs Q4_0 of the same " + near.get("kl_mean"));
        assertTrue(d(far, "top1_agreement") < d(near, "top1_agreement"));
    }

    @Test
    void differentVocabSizesCompareOverSharedIds() {
        Map<String, Object> m = kl(wide, f32);
        assertEquals(512, ((Number) m.get("shared_ids")).intValue());
        assertTrue(d(m, "kl_mean") < 1e-6, "same weights on the shared ids: " + m.get("kl_mean"));
        assertEquals(1, d(m, "top1_agreement"));
    }

    @Test
    void differentTokenizersAreRefused() {
        EvalException e = assertThrows(EvalException.class, () -> kl(f32, other));
        assertTrue(e.getMessage().contains("different tokenizers"), e.getMessage());
    }

    @Test
    void savedTeacherGivesTheSameFigures() {
        Path full = dir.resolve("t.full"), top = dir.resolve("t.top");
        Map<String, Object> live = kl(f32, q4);
        try (Model t = Engines.load("java", f32, 1); Session ts = EvalModels.scoringSession(t, CTX, 1)) {
            Windows w = EvalModels.windows(t, text, CTX, 0);
            KlDivergence.saveTeacher(ts, w, full, 0, 1, "f32", null);
            KlDivergence.saveTeacher(ts, w, top, 32, 1, "f32", null);
        }
        try (Model s = Engines.load("java", q4, 1); Session ss = EvalModels.scoringSession(s, CTX, 1);
             TeacherLogits.Reader rf = new TeacherLogits.Reader(full); TeacherLogits.Reader rt = new TeacherLogits.Reader(top)) {
            Map<String, Object> f = KlDivergence.compare(rf, ss, 1, null).summary();
            Map<String, Object> k = KlDivergence.compare(rt, ss, 1, null).summary();
            for (String key : new String[] {"kl_mean", "kl_p99", "ppl", "ppl_teacher", "top1_agreement", "dp_rms"})
                assertEquals(d(live, key), d(f, key), 1e-12 * Math.max(1, Math.abs(d(live, key))), key);
            // Top-k with one bucket for the rest is a lower bound of the full KL, close when k holds most mass.
            assertTrue(d(k, "kl_mean") <= d(f, "kl_mean") * (1 + 1e-6), k.get("kl_mean") + " vs " + f.get("kl_mean"));
            assertTrue(d(k, "kl_mean") > 0.5 * d(f, "kl_mean"), k.get("kl_mean") + " vs " + f.get("kl_mean"));
            assertEquals(d(f, "top1_agreement"), d(k, "top1_agreement"));
            assertEquals(d(f, "ppl_teacher"), d(k, "ppl_teacher"), 1e-4 * d(f, "ppl_teacher"));
        }
    }

    /** Writes the teacher's rows in llama-perplexity's {@code --kl-divergence-base} layout (16-bit log-probs). */
    static void writeLlamaLogits(Path out, Session teacher, Windows w) throws Exception {
        int vocab = teacher.vocabSize(), nv = 2 * ((vocab + 1) / 2) + 4;
        var b = java.nio.ByteBuffer.allocate(20 + 4 * w.chunks() * w.ctx() + 2 * nv * (int) w.scoredTotal()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put("_logits_".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(w.ctx()).putInt(vocab).putInt(w.chunks());
        for (int i = 0; i < w.chunks() * w.ctx(); i++) b.putInt(w.tokens()[i]);
        for (int c = 0; c < w.chunks(); c++) {
            teacher.reset();
            teacher.prefill(w.window(c), (j, l) -> {
                if (j < w.first() || j > w.ctx() - 2) return;
                float max = l[0], min = l[0];
                for (float x : l) { max = Math.max(max, x); min = Math.min(min, x); }
                min = Math.max(min, max - 16);
                double sum = 0;
                for (float x : l) sum += Math.exp(x - max);
                float lse = (float) Math.log(sum), scale = (max - min) / 65535f;
                b.putFloat(scale).putFloat(min - max - lse);
                for (int i = 0; i < nv - 4; i++) b.putShort((short) (i < vocab && l[i] > min ? Math.round((l[i] - min) / scale) : 0));
            });
        }
        java.nio.file.Files.write(out, b.array());
    }

    @Test
    void readsLlamaPerplexityLogitFiles() throws Exception {
        Path llama = dir.resolve("base.kld");
        try (Model t = Engines.load("java", f32, 1); Session ts = EvalModels.scoringSession(t, CTX, 1)) {
            writeLlamaLogits(llama, ts, EvalModels.windows(t, text, CTX, 4));
        }
        try (Model s = Engines.load("java", q4, 1); Session ss = EvalModels.scoringSession(s, CTX, 1); Model t = Engines.load("java", f32, 1);
             Session ts = EvalModels.scoringSession(t, CTX, 1); TeacherLogits.Reader r = new TeacherLogits.Reader(llama)) {
            assertTrue(r.llama);
            Map<String, Object> fromFile = KlDivergence.compare(r, ss, 1, null).summary();
            Map<String, Object> live = KlDivergence.compare(ts, ss, EvalModels.windows(t, text, CTX, 4), 1, null).summary();
            assertEquals(d(live, "kl_mean"), d(fromFile, "kl_mean"), 0.01 * d(live, "kl_mean"));
            assertEquals(d(live, "top1_agreement"), d(fromFile, "top1_agreement"));
            assertEquals(d(live, "ppl"), d(fromFile, "ppl"), 1e-9 * d(live, "ppl"));
            assertEquals(live.get("positions"), fromFile.get("positions"));
        }
    }

    @Test
    void temperatureSoftensAndScales() {
        try (Model t = Engines.load("java", f32, 1); Model s = Engines.load("java", q4, 1);
             Session ts = EvalModels.scoringSession(t, CTX, 1); Session ss = EvalModels.scoringSession(s, CTX, 1)) {
            Windows w = EvalModels.windows(t, text, CTX, 2);
            KlStats t1 = KlDivergence.compare(ts, ss, w, 1, null), t2 = KlDivergence.compare(ts, ss, w, 2, null);
            double k1 = d(t1.summary(), "kl_mean"), k2 = d(t2.summary(), "kl_mean");
            assertTrue(k2 > 0 && k2 != k1);
            assertEquals(d(t1.summary(), "top1_agreement"), d(t2.summary(), "top1_agreement"));
        }
    }

    @Test
    void shortTextIsRefused() {
        int[] tokens = new int[100];
        EvalException e = assertThrows(EvalException.class, () -> Windows.of(tokens, 64, 0, 1));
        assertTrue(e.getMessage().contains("at least 128"), e.getMessage());
    }

    @Test
    void quantilesFollowLlamaPerplexity() {
        float[] v = {0, 1, 2, 3, 4};
        assertEquals(2, KlStats.median(v));
        assertEquals(3.6, KlStats.quantile(v, 0.9), 1e-6);
        assertEquals(1.5, KlStats.median(new float[] {1, 2}));
        int[] top = new TeacherLogits.TopKHeap(3).top(new double[] {0.1, 5, -2, 7, 3, 3.5});
        assertEquals("[3, 1, 5]", java.util.Arrays.toString(top));
    }
}

package dev.r1.engine.llamacpp;

import static dev.r1.engine.Logits.argmax;
import static org.junit.jupiter.api.Assertions.*;

import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufTensor;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** llama.cpp, through the generated bindings, loads our synthesized GGUF files and runs them reproducibly. */
class LlamaCppSessionTest {
    static final SessionOptions ONE_THREAD = new SessionOptions(1, 128, 512);
    static final int[] PROMPT = {11, 42, 7, 300, 5, 99, 123, 64};

    @TempDir static Path dir;

    record Run(int[] generated, float[] logits) {}

    /** Prefill, then 32 greedy tokens; returns them and the last logits. */
    static Run greedy(Session s, int[] prompt, int n) {
        s.prefill(prompt);
        float[] logits = s.lastLogits();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = argmax(logits);
            logits = s.decode(out[i]);
        }
        return new Run(out, logits);
    }


    @ParameterizedTest
    @ValueSource(strings = {"tiny-qwen2", "tiny-llama"})
    void greedyContinuationAndLogitsAreStableRunToRun(String preset) {
        Path gguf = TinyModels.write(dir, preset, 17);
        Run a, b, c;
        try (LlamaCppSession s = LlamaCppSession.open(gguf, ONE_THREAD)) {
            assertEquals(Presets.get(preset).vocab(), s.vocabSize());
            assertTrue(s.contextSize() >= 128, "llama.cpp pads the context up: " + s.contextSize());
            a = greedy(s, PROMPT, 32);
            assertEquals(PROMPT.length + 32, s.position());
            s.reset();
            assertEquals(0, s.position());
            b = greedy(s, PROMPT, 32);
        }
        try (LlamaCppSession s = LlamaCppSession.open(gguf, ONE_THREAD)) {
            c = greedy(s, PROMPT, 32);
        }
        assertArrayEquals(a.generated(), b.generated(), "after reset");
        assertArrayEquals(a.generated(), c.generated(), "fresh session");
        assertArrayEquals(a.logits(), b.logits(), 0f, "bit-identical logits after reset");
        assertArrayEquals(a.logits(), c.logits(), 0f, "bit-identical logits in a fresh session");
        // Not a degenerate model: finite logits with spread, and more than one distinct token generated.
        for (float x : a.logits()) assertTrue(Float.isFinite(x));
        float[] sorted = a.logits().clone();
        Arrays.sort(sorted);
        assertTrue(sorted[sorted.length - 1] - sorted[0] > 1f, "logit range " + (sorted[sorted.length - 1] - sorted[0]));
        assertTrue(Arrays.stream(a.generated()).distinct().count() > 1, Arrays.toString(a.generated()));
    }

    @Test
    void chunkedPrefillMatchesOneBatch() {
        Path gguf = TinyModels.write(dir, "tiny-qwen2", 3);
        int[] prompt = new int[40];
        for (int i = 0; i < prompt.length; i++) prompt[i] = (i * 37 + 11) % 512;
        float[] whole, chunked;
        try (LlamaCppSession s = LlamaCppSession.open(gguf, ONE_THREAD)) {
            s.prefill(prompt);
            whole = s.lastLogits();
        }
        try (LlamaCppSession s = LlamaCppSession.open(gguf, new SessionOptions(1, 128, 7))) {
            s.prefill(prompt);   // 6 chunks of 7 and one of 5
            assertEquals(40, s.position());
            chunked = s.lastLogits();
        }
        double maxAbs = 0, maxDiff = 0;
        for (int i = 0; i < whole.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(whole[i]));
            maxDiff = Math.max(maxDiff, Math.abs(whole[i] - chunked[i]));
        }
        assertTrue(maxDiff <= 1e-3 * maxAbs, "max diff " + maxDiff + " vs max |logit| " + maxAbs);
    }

    @Test
    void decodeOneByOneMatchesPrefill() {
        Path gguf = TinyModels.write(dir, "tiny-llama", 5);
        try (LlamaCppModel m = LlamaCppModel.load(gguf);
             LlamaCppSession a = m.newSession(ONE_THREAD); LlamaCppSession b = m.newSession(ONE_THREAD)) {
            a.prefill(PROMPT);
            b.prefill(new int[]{PROMPT[0]});
            for (int i = 1; i < PROMPT.length; i++) b.decode(PROMPT[i]);
            float[] x = a.lastLogits(), y = b.lastLogits();
            for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 1e-3 * (1 + Math.abs(x[i])), "logit " + i);
        }
    }

    @Test
    void tokensPiecesAndSpecials() {
        Path gguf = TinyModels.write(dir, "tiny-qwen2", 9);
        try (LlamaCppSession s = LlamaCppSession.open(gguf, ONE_THREAD)) {
            assertEquals("t5", s.piece(5));
            assertEquals("t5t300", s.detokenize(new int[]{5, 300}));
            assertEquals(1, s.bos());
            assertTrue(s.isEog(2), "eos is end of generation");
            assertFalse(s.isEog(5));
            // No merges in the toy vocabulary, so only whole special-free pieces that exist as tokens
            // survive; the real-vocabulary parity test lives with the tokenizer.
            assertEquals(0, s.tokenize("", false, false).length);
        }
    }

    @Test
    void badInputIsAClearError() {
        Path gguf = TinyModels.write(dir, "tiny-qwen2", 9);
        try (LlamaCppSession s = LlamaCppSession.open(gguf, new SessionOptions(1, 16, 512))) {
            int n = s.contextSize();   // llama.cpp rounds 16 up to its padding (256)
            var e = assertThrows(IllegalArgumentException.class, () -> s.decode(512));
            assertTrue(e.getMessage().contains("outside the vocabulary [0, 512)"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.prefill(new int[]{-1}));
            var full = assertThrows(IllegalArgumentException.class, () -> s.prefill(new int[n + 1]));
            assertTrue(full.getMessage().contains("exceed the context of " + n), full.getMessage());
            assertThrows(IllegalStateException.class, s::lastLogits);
        }
        var e = assertThrows(LlamaCppException.class, () -> LlamaCppSession.open(dir.resolve("absent.gguf"), ONE_THREAD));
        assertTrue(e.getMessage().contains("absent.gguf"), e.getMessage());
    }

    @Test
    void notAGgufIsRejectedByLlamaCppWithTheFileNamed() throws Exception {
        Path junk = java.nio.file.Files.writeString(dir.resolve("junk.gguf"), "definitely not a model");
        // llama.cpp logs its (expected) errors; keep them out of the build log.
        var log = java.util.logging.Logger.getLogger("dev.r1.llama");
        log.setUseParentHandlers(false);
        try {
            var e = assertThrows(LlamaCppException.class, () -> LlamaCppModel.load(junk));
            assertTrue(e.getMessage().contains("junk.gguf"), e.getMessage());
        } finally {
            log.setUseParentHandlers(true);
        }
    }

    @Test
    void modelInfoAgreesWithTheFile() {
        Path gguf = TinyModels.write(dir, "tiny-llama", 1);
        ModelConfig cfg = Presets.get("tiny-llama");
        long params = 0, bytes = 0;
        try (GgufFile f = GgufFile.open(gguf)) {
            for (GgufTensor t : f.tensors()) { params += t.nElements(); bytes += t.byteSize(); }
        }
        LlamaCppModelInfo info = LlamaCppModelInfo.of(gguf);
        assertEquals(params, info.nParams());
        assertEquals(bytes, info.sizeBytes());
        assertEquals(cfg.contextLength(), info.nCtxTrain());
        assertEquals(cfg.hidden(), info.nEmbd());
        assertEquals(cfg.layers(), info.nLayer());
        assertEquals(cfg.vocab(), info.vocabSize());
        assertTrue(info.desc().startsWith("llama"), info.desc());
        assertEquals("llama", info.metadata().get("general.architecture"));
        assertEquals(String.valueOf(cfg.hidden()), info.metadata().get("llama.embedding_length"));
    }
}

package dev.r1.engine.model;

import static dev.r1.engine.Logits.argmax;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.engine.Engines;
import dev.r1.engine.Model;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.synth.SyntheticModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The model/session seam: sessions of one model share its weights and stay independent (interleaved, on
 * several threads, batched), truncate forgets exactly the tail, and a prefill can hand over every
 * position's logits — on both engines, each checked against a fresh run of the same tokens.
 */
class SessionsTest {
    @TempDir static Path dir;
    static Path gguf, ggufQ4, ggufQ4K;
    static final SessionOptions O = new SessionOptions(2, 128, 8); // batch 8: prompts go through in chunks
    static final int[] A = {11, 42, 7, 300, 5, 99, 123, 64, 17, 250, 3, 480, 77};
    static final int[] B = {5, 6, 7, 8, 9, 10, 400, 401};

    @BeforeAll
    static void model() {
        ModelConfig cfg = Presets.get("tiny-qwen2");
        gguf = dir.resolve("tiny-q8.gguf");
        SyntheticModel.write(gguf, true, cfg, "tiny-qwen2", 77, s -> s.isVector() ? GgmlType.F32 : GgmlType.Q8_0,
                SyntheticModel.numberedVocabulary(cfg.vocab()).toGgufMetadata(cfg.vocab()), 7, b -> {});
        // Q4_0 matrices take the repacked kernels (Q4x8), whose multi-token paths differ from decoding's
        ggufQ4 = dir.resolve("tiny-q4.gguf");
        SyntheticModel.write(ggufQ4, true, cfg, "tiny-qwen2", 77, s -> s.isVector() ? GgmlType.F32 : GgmlType.Q4_0,
                SyntheticModel.numberedVocabulary(cfg.vocab()).toGgufMetadata(cfg.vocab()), 7, b -> {});
        // repacked Q4_K (ffn_down, 768 wide: three super-blocks): tokens of one sequence in fours take a finer
        // float grain, which a batch of sequences must not
        ggufQ4K = dir.resolve("tiny-q4k.gguf");
        ModelConfig wide = new ModelConfig(cfg.arch(), cfg.hidden(), cfg.layers(), cfg.heads(), cfg.kvHeads(), cfg.headDim(),
                768, cfg.vocab(), cfg.contextLength(), cfg.ropeTheta(), cfg.rmsEps(), cfg.qkvBias(), cfg.tiedEmbeddings(),
                cfg.ropeScaling());
        SyntheticModel.write(ggufQ4K, true, wide, "tiny-qwen2", 77, s -> s.isVector() ? GgmlType.F32
                        : s.name().endsWith("ffn_down.weight") ? GgmlType.Q4_K : GgmlType.Q8_0,
                SyntheticModel.numberedVocabulary(cfg.vocab()).toGgufMetadata(cfg.vocab()), 7, b -> {});
    }

    /** Greedy continuation of {@code prompt} by {@code n} tokens in a session of its own. */
    static int[] greedyAlone(Model m, int[] prompt, int n) {
        try (Session s = m.newSession(O)) {
            return greedy(s, prompt, n);
        }
    }

    static int[] greedy(Session s, int[] prompt, int n) {
        s.prefill(prompt);
        float[] l = s.lastLogits();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) l = s.decode(out[i] = argmax(l));
        return out;
    }


    @Test
    void sessionsShareTheModelAndStayIndependent() throws Exception {
        try (JavaModel m = JavaModel.load(gguf, 2)) {
            int[] wantA = greedyAlone(m, A, 12), wantB = greedyAlone(m, B, 12);
            try (JavaSession a = m.newSession(O); JavaSession b = m.newSession(O)) {
                assertSame(a.model(), b.model());
                assertNotSame(a, b);
                // interleaved on one thread
                a.prefill(A);
                b.prefill(B);
                float[] la = a.lastLogits(), lb = b.lastLogits();
                int[] gotA = new int[12], gotB = new int[12];
                for (int i = 0; i < 12; i++) {
                    la = a.decode(gotA[i] = argmax(la));
                    lb = b.decode(gotB[i] = argmax(lb));
                }
                assertArrayEquals(wantA, gotA);
                assertArrayEquals(wantB, gotB);
            }
            // on four threads at once, two sessions each
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<int[]>> fs = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    int[] p = i % 2 == 0 ? A : B;
                    fs.add(pool.submit((Callable<int[]>) () -> greedyAlone(m, p, 12)));
                }
                for (int i = 0; i < 8; i++) assertArrayEquals(i % 2 == 0 ? wantA : wantB, fs.get(i).get(), "thread " + i);
            } finally {
                pool.shutdownNow();
            }
            // closing a session leaves the model usable
            m.newSession(O).close();
            assertArrayEquals(wantA, greedyAlone(m, A, 12));
        }
    }

    @Test
    void aClosedModelOpensNoSession() {
        JavaModel m = JavaModel.load(gguf, 1);
        m.close();
        assertThrows(IllegalStateException.class, () -> m.newSession(O));
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "llama.cpp"})
    void truncateForgetsExactlyTheTail(String backend) {
        try (Model m = Engines.load(backend, gguf, 1);
             Session s = m.newSession(O.withThreads(1)); Session fresh = m.newSession(O.withThreads(1))) {
            s.prefill(A);
            s.prefill(B);
            s.truncate(A.length);
            assertEquals(A.length, s.position());
            assertThrows(IllegalStateException.class, s::lastLogits);
            int[] c = {31, 32, 33};
            s.prefill(c);
            fresh.prefill(A);
            fresh.prefill(c);
            assertArrayEquals(fresh.lastLogits(), s.lastLogits(), backend + ": logits after truncate + feed");
            assertThrows(IllegalArgumentException.class, () -> s.truncate(s.position() + 1));
            assertThrows(IllegalArgumentException.class, () -> s.truncate(-1));
        }
    }

    /** Greedy continuation of {@code s} from its last logits. */
    static int[] greedyOn(Session s, int n) {
        float[] l = s.lastLogits();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) l = s.decode(out[i] = argmax(l));
        return out;
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aCopiedPrefixContinuesAsIfPrefilled(boolean f16) {
        try (JavaModel m = JavaModel.load(gguf, 2);
             JavaSession src = m.newSession(O, f16); JavaSession copy = m.newSession(O, f16); JavaSession part = m.newSession(O, f16)) {
            int[] want = greedyAlone(m, A, 12);
            copy.prefill(B); // both held something else first, past the prefix too
            part.prefill(B);
            part.decode(9);
            src.prefill(A);
            assertTrue(copy.copyFrom(src, A.length));
            assertEquals(A.length, copy.position());
            assertArrayEquals(src.lastLogits(), copy.lastLogits(), "the last logits come along");
            assertArrayEquals(want, greedyOn(copy, 12), "the copy continues as a prefilled session");
            assertArrayEquals(want, greedyOn(src, 12), "the source is untouched");
            // a prefix that ends inside a block of eight positions, then the rest of the prompt fed
            assertTrue(part.copyFrom(src, 5));
            assertEquals(5, part.position());
            assertThrows(IllegalStateException.class, part::lastLogits);
            part.prefill(Arrays.copyOfRange(A, 5, A.length));
            assertArrayEquals(want, greedyOn(part, 12), "a copied prefix plus the rest");
            assertThrows(IllegalArgumentException.class, () -> part.copyFrom(src, src.position() + 1));
            try (JavaModel other = JavaModel.load(gguf, 1); JavaSession alien = other.newSession(O)) {
                assertThrows(IllegalArgumentException.class, () -> alien.copyFrom(src, 1), "another model's session");
            }
        }
    }

    @Test
    void llamaCppSessionsDoNotCopyAndStayUnchanged() {
        try (Model m = Engines.load("llama.cpp", gguf, 1); Session a = m.newSession(O.withThreads(1)); Session b = m.newSession(O.withThreads(1))) {
            a.prefill(A);
            b.prefill(B);
            float[] before = b.lastLogits();
            assertFalse(b.copyFrom(a, A.length), "llama.cpp has no cache copy between contexts here: callers prefill");
            assertEquals(B.length, b.position());
            assertArrayEquals(before, b.lastLogits());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"java", "llama.cpp"})
    void prefillHandsOverEveryPositionsLogits(String backend) {
        try (Model m = Engines.load(backend, gguf, 1); Session s = m.newSession(O.withThreads(1))) {
            int vocab = m.vocabSize();
            float[][] rows = new float[A.length][];
            int[] seen = {0};
            s.prefill(A, (i, logits) -> {
                assertEquals(seen[0]++, i, "rows in order");
                assertEquals(vocab, logits.length);
                rows[i] = logits.clone();
            });
            assertEquals(A.length, seen[0]);
            assertEquals(A.length, s.position());
            // each row is what a prefill of the prefix up to it gives as its last logits
            for (int i : new int[] {0, 4, 7, 8, A.length - 1}) {
                try (Session p = m.newSession(O.withThreads(1))) {
                    p.prefill(Arrays.copyOf(A, i + 1));
                    float[] want = p.lastLogits();
                    assertEquals(argmax(want), argmax(rows[i]), backend + ": argmax at " + i);
                    double kl = dev.r1.engine.Logits.kl(want, rows[i]);
                    assertTrue(kl < 1e-6, backend + ": KL " + kl + " at " + i);
                }
            }
        }
    }

    @Test
    void bothEnginesScoreEveryPositionAlike() {
        float[][] java = new float[A.length][], ref = new float[A.length][];
        try (Session s = Engines.open("java", gguf, O)) {
            s.prefill(A, (i, l) -> java[i] = l.clone());
        }
        try (Session s = Engines.open("llama.cpp", gguf, O.withThreads(1))) {
            s.prefill(A, (i, l) -> ref[i] = l.clone());
        }
        for (int i = 0; i < A.length; i++) {
            double kl = dev.r1.engine.Logits.kl(ref[i], java[i]);
            assertTrue(kl < LlamaCppParityTest.MAX_KL, "KL " + kl + " at position " + i);
        }
    }

    /**
     * A batched step gives each sequence exactly the logits (bit for bit) it gets when decoded alone, for
     * every batch size the multi-token kernels split differently (pairs, and a last token alone), on the
     * row-major Q8_0 kernels and the repacked Q4_0 ones.
     */
    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q4_K"})
    void oneBatchedStepDecodesSeveralSequencesAsAloneAndAtTheirOwnPositions(String type) {
        int[][] all = {A, B, {9, 8, 7}, {1, 2, 3, 4, 5}, {300, 301}};
        int steps = 6;
        try (JavaModel m = JavaModel.load(type.equals("Q4_0") ? ggufQ4 : type.equals("Q4_K") ? ggufQ4K : gguf, 2)) {
            float[][][] alone = new float[all.length][][];
            for (int i = 0; i < all.length; i++) alone[i] = greedyLogits(m, all[i], steps);
            for (int n = 2; n <= all.length; n++) {
                int[][] prompts = Arrays.copyOf(all, n);
                Session[] ss = new Session[n];
                try {
                    int[] next = new int[n];
                    for (int i = 0; i < n; i++) {
                        ss[i] = m.newSession(O);
                        ss[i].prefill(prompts[i]);
                        next[i] = argmax(ss[i].lastLogits());
                    }
                    for (int step = 0; step < steps; step++) {
                        float[][] logits = m.decodeBatch(ss, next);
                        for (int i = 0; i < n; i++) {
                            assertEquals(prompts[i].length + step + 1, ss[i].position());
                            assertArrayEquals(logits[i], ss[i].lastLogits());
                            assertArrayEquals(alone[i][step + 1], logits[i], type + ": " + n + " sequences, sequence " + i + ", step " + step);
                            next[i] = argmax(logits[i]);
                        }
                    }
                    assertThrows(IllegalArgumentException.class, () -> m.decodeBatch(new Session[] {ss[0], ss[0]}, new int[] {1, 2}));
                } finally {
                    for (Session s : ss) if (s != null) s.close();
                }
            }
        }
    }

    /** The logits after the prompt, then after each of {@code n} greedy steps, in a session of its own. */
    static float[][] greedyLogits(Model m, int[] prompt, int n) {
        try (Session s = m.newSession(O)) {
            s.prefill(prompt);
            float[][] rows = new float[n + 1][];
            rows[0] = s.lastLogits().clone();
            for (int i = 0; i < n; i++) rows[i + 1] = s.decode(argmax(rows[i])).clone();
            return rows;
        }
    }
}

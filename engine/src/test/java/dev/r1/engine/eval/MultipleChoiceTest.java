package dev.r1.engine.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.engine.Engines;
import dev.r1.engine.Model;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tokenizer.Vocabulary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MMLU/CMMLU CSV layout, MMLU's prompt, and letter log-likelihood scoring checked by a second route. */
class MultipleChoiceTest {
    @TempDir Path dir;

    static final String ALGEBRA = """
            "What is 2+2?",3,4,5,6,B
            "Which is prime, ""really""?",4,6,7,9,C
            "Line one
            line two: pick A",a,b,c,d,A
            Largest?,1,2,3,100,D
            """;

    @Test
    void readsMmluAndCmmluLayouts() throws Exception {
        Path test = Files.createDirectories(dir.resolve("data/test")), dev = Files.createDirectories(dir.resolve("data/dev"));
        Files.writeString(test.resolve("algebra_test.csv"), ALGEBRA);
        Files.writeString(dev.resolve("algebra_dev.csv"), "\"1+1?\",1,2,3,4,B\n");
        // CMMLU: a header row and an index column.
        Files.writeString(test.resolve("chinese_history.csv"), ",Question,A,B,C,D,Answer\n0,秦朝的开国皇帝是谁？,刘邦,秦始皇,项羽,李世民,B\n");
        List<MultipleChoice.Subject> s = MultipleChoice.load(dir.resolve("data"), 1, 0);
        assertEquals(List.of("algebra", "chinese_history"), s.stream().map(MultipleChoice.Subject::name).toList());
        MultipleChoice.Subject alg = s.get(0);
        assertEquals(4, alg.questions().size());
        assertEquals("algebra_dev.csv", alg.examplesFrom());
        assertEquals("Which is prime, \"really\"?", alg.questions().get(1).question());
        assertEquals("Line one\nline two: pick A", alg.questions().get(2).question());
        assertEquals("""
                The following are multiple choice questions (with answers) about algebra.

                1+1?
                A. 1
                B. 2
                C. 3
                D. 4
                Answer: B

                What is 2+2?
                A. 3
                B. 4
                C. 5
                D. 6
                Answer:""", MultipleChoice.prompt(alg, alg.questions().get(0)));
        // Without a dev file the first questions become the examples and are not scored.
        MultipleChoice.Subject hist = s.get(1);
        assertEquals(0, hist.questions().size() + hist.examples().size() - 1);
        assertEquals(1, MultipleChoice.load(test.resolve("algebra_test.csv"), 2, 0).get(0).examples().size(), "the dev file's one example");
        Path solo = Files.createDirectories(dir.resolve("solo")).resolve("algebra_test.csv");
        Files.writeString(solo, ALGEBRA);
        assertEquals(2, MultipleChoice.load(solo, 2, 0).get(0).questions().size());
        assertEquals(3, MultipleChoice.load(solo, 0, 3).get(0).questions().size());
    }

    @Test
    void badRowsAreNamed() throws Exception {
        Path f = dir.resolve("x_test.csv");
        Files.writeString(f, "q,a,b,c,d,B\nq2,a,b,c,E\n");
        EvalException e = assertThrows(EvalException.class, () -> MultipleChoice.load(f, 0, 0));
        assertTrue(e.getMessage().contains("x_test.csv row 2") && e.getMessage().contains("5 columns"), e.getMessage());
        Files.writeString(f, "q,a,b,c,d,B\nq2,a,b,c,d,E\n");
        e = assertThrows(EvalException.class, () -> MultipleChoice.load(f, 0, 0));
        assertTrue(e.getMessage().contains("'E' is not one of A, B, C, D"), e.getMessage());
    }

    @Test
    void picksTheMostLikelyLetter() throws Exception {
        ModelConfig cfg = Presets.get("tiny-qwen2");
        Path model = EvalTest.synth(dir, "mc", cfg, GgmlType.Q8_0, 3, Vocabulary.tinyByteLevel(cfg.vocab()));
        Path f = dir.resolve("algebra_test.csv");
        Files.writeString(f, ALGEBRA);
        List<MultipleChoice.Subject> subjects = MultipleChoice.load(f, 1, 0);
        try (Model m = Engines.load("java", model, 1); Session s = m.newSession(new SessionOptions(1, 512, 64))) {
            MultipleChoice.Result r = MultipleChoice.run(m, s, subjects, null);
            assertEquals(3, r.total());
            // Second route: each option's whole text (prompt + letter) fed in one prefill, its letter's tokens summed.
            int[] expect = new int[3];
            MultipleChoice.Subject sub = subjects.get(0);
            for (int q = 0; q < 3; q++) {
                int[] p = EvalModels.tokenize(m, MultipleChoice.prompt(sub, sub.questions().get(q)));
                double best = Double.NEGATIVE_INFINITY;
                for (int o = 0; o < 4; o++) {
                    int[] letter = m.tokenize(" " + "ABCD".charAt(o), false, false);
                    int[] all = java.util.Arrays.copyOf(p, p.length + letter.length);
                    System.arraycopy(letter, 0, all, p.length, letter.length);
                    double[] ll = {0};
                    s.reset();
                    s.prefill(all, (j, logits) -> {
                        if (j >= p.length - 1 && j < all.length - 1) ll[0] -= LogProbs.nll(logits, logits.length, all[j + 1]);
                    });
                    if (ll[0] > best + 1e-9) { best = ll[0]; expect[q] = o; }
                }
            }
            assertArrayEquals(expect, r.picks());
            int correct = 0;
            for (int q = 0; q < 3; q++) if (expect[q] == sub.questions().get(q).answer()) correct++;
            assertEquals(correct, r.correct());
        }
    }
}

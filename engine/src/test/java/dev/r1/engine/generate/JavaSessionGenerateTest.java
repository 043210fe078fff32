package dev.r1.engine.generate;

import dev.r1.engine.SessionOptions;
import dev.r1.engine.model.JavaSession;
import dev.r1.engine.sampling.Sampler;
import dev.r1.engine.sampling.SamplerOptions;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tokenizer.Vocabulary;
import dev.r1.quantize.synth.SyntheticModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Our engine end to end through the generator: tokenize, prefill, stream, stop; on a tiny synthetic model. */
class JavaSessionGenerateTest {
    @TempDir static Path dir;

    static Path model() {
        ModelConfig cfg = Presets.get("tiny-qwen2");
        Path out = dir.resolve("gen.gguf");
        SyntheticModel.write(out, true, cfg, "gen", 5, s -> s.isVector() ? GgmlType.F32 : GgmlType.Q8_0,
                Vocabulary.tinyByteLevel(cfg.vocab()).toGgufMetadata(cfg.vocab()), 7, b -> {});
        return out;
    }

    @Test
    void streamsTheDetokenizedContinuationAndIsReproducible() {
        Path f = model();
        try (JavaSession s = JavaSession.open(f, new SessionOptions(2, 256, 4))) {
            int[] prompt = s.tokenize("Hello, world", false, false);
            assertTrue(prompt.length > 1);
            GenerationResult[] runs = new GenerationResult[2];
            for (int i = 0; i < 2; i++) {
                s.reset();
                s.prefill(prompt);
                Sampler sampler = new Sampler(SamplerOptions.r1Defaults(42));
                sampler.accept(prompt);
                StringBuilder streamed = new StringBuilder();
                runs[i] = new Generator(SessionAdapters.tokenModel(s), sampler, s.textDecoder())
                        .generate(s.lastLogits(), new GenerateOptions(24, List.of(), false), (t, th) -> streamed.append(t), () -> false);
                assertEquals(runs[i].answer(), streamed.toString());
                int[] gen = runs[i].tokens();
                int n = runs[i].reason() == StopReason.EOG ? gen.length - 1 : gen.length;
                assertEquals(s.detokenize(java.util.Arrays.copyOf(gen, n)), runs[i].answer());
                assertEquals(prompt.length + n - (runs[i].reason() == StopReason.EOG ? 0 : 1), s.position());
            }
            assertArrayEquals(runs[0].tokens(), runs[1].tokens(), "same seed, same tokens");
        }
    }

    @Test
    void aFullContextIsAClearErrorNotACrash() {
        Path f = model();
        try (JavaSession s = JavaSession.open(f, new SessionOptions(1, 16, 8))) {
            s.prefill(new int[12]);
            var e = assertThrows(IllegalArgumentException.class, () -> s.prefill(new int[5]));
            assertTrue(e.getMessage().contains("context is full"), e.getMessage());
            assertEquals(12, s.position());
            var bad = assertThrows(IllegalArgumentException.class, () -> s.decode(100_000));
            assertTrue(bad.getMessage().contains("vocabulary"), bad.getMessage());
        }
    }
}

package dev.r1.quantize.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.config.TensorLayout;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufTensor;
import dev.r1.models.tensor.GgmlType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticModelTest {
    @TempDir Path dir;


    private Path synth(String preset, GgmlType matType, long seed, String file) {
        ModelConfig cfg = Presets.get(preset);
        Path out = dir.resolve(file);
        SyntheticModel.write(out, false, cfg, preset, seed,
                s -> s.isVector() ? GgmlType.F32 : matType, SyntheticModel.numberedVocabulary(cfg.vocab()).toGgufMetadata(cfg.vocab()), 2, b -> {});
        return out;
    }

    @Test
    void writesEveryTensorWithConfigThatReadsBack() {
        for (String preset : new String[]{"tiny-qwen2", "tiny-llama"}) {
            Path p = synth(preset, GgmlType.Q4_0, 7, preset + ".gguf");
            try (GgufFile f = GgufFile.open(p)) {
                ModelConfig cfg = Presets.get(preset);
                assertEquals(cfg, ModelConfig.fromGguf(f), preset);
                TensorLayout.verify(f, cfg);
                assertEquals(TensorLayout.expected(cfg).size(), f.tensors().size());
                for (GgufTensor t : f.tensors())
                    assertEquals(t.nDims() == 1 ? GgmlType.F32 : GgmlType.Q4_0, t.type(), t.name());
            }
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() throws Exception {
        byte[] a = Files.readAllBytes(synth("tiny-qwen2", GgmlType.Q8_0, 1, "a.gguf"));
        byte[] b = Files.readAllBytes(synth("tiny-qwen2", GgmlType.Q8_0, 1, "b.gguf"));
        byte[] c = Files.readAllBytes(synth("tiny-qwen2", GgmlType.Q8_0, 2, "c.gguf"));
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));
    }

    @Test
    void weightScalesAreWhatTheDocSays() {
        Path p = synth("tiny-qwen2", GgmlType.F32, 3, "f.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            // Matrix: sd 1/sqrt(fan-in); norm: mean 1; output head: sd 3/sqrt(hidden).
            assertMoments(f, TensorLayout.attnQ(0), 0, 1 / Math.sqrt(128));
            assertMoments(f, TensorLayout.ffnDown(1), 0, 1 / Math.sqrt(256));
            assertMoments(f, TensorLayout.attnNorm(0), 1, 0.1 / Math.sqrt(3));
            assertMoments(f, TensorLayout.OUTPUT, 0, 3 / Math.sqrt(128));
        }
    }

    private static void assertMoments(GgufFile f, String name, double mean, double sd) {
        float[] v = f.tensor(name).type().dequantize(f.data(name));
        double s = 0, ss = 0;
        for (float x : v) { s += x; ss += x * x; }
        double m = s / v.length, var = ss / v.length - m * m;
        assertEquals(mean, m, 4 * sd / Math.sqrt(v.length) + 1e-9, name + " mean");
        assertTrue(Math.abs(Math.sqrt(var) - sd) < 0.05 * sd, name + " sd " + Math.sqrt(var) + " vs " + sd);
    }

    @Test
    void uniformIsInRangeAndCentered() {
        double s = 0;
        for (int i = 0; i < 100_000; i++) {
            float u = SyntheticModel.uniform(42, i);
            assertTrue(u >= -1 && u < 1);
            s += u;
        }
        assertEquals(0, s / 100_000, 0.01);
    }
}

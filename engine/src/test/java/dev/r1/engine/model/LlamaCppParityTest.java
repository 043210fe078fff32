package dev.r1.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.bindings.NativeLibraries;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.llamacpp.LlamaCppSession;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.config.TensorLayout.TensorSpec;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.synth.SyntheticModel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * End to end against llama.cpp on the same synthesized GGUF: the same greedy continuation of 64 tokens
 * after a prompt, and the KL divergence of llama.cpp's next-token distribution from ours below 1e-3 at
 * every one of the 64 positions (llama.cpp is fed our tokens, so positions stay aligned).
 *
 * <p>Where both engines run the same arithmetic the logits must be bit-identical: Q8_0 weights (our dot
 * products, activation quantization, SwiGLU and RMSNorm follow ggml's AVX2 order and rounding), Q4_0
 * (both engines repack it into 8-row groups and add each row's blocks in order, see {@code Q4x8}) and the
 * Q4_K/Q6_K mix, when ggml runs its {@code haswell} CPU library (the one this machine kind gets).
 * F32/F16 weights meet unquantized activations, where float order shows (~1e-6).
 */
class LlamaCppParityTest {
    @TempDir static Path dir;

    static final int[] PROMPT = {11, 42, 7, 300, 5, 99, 123, 64, 17, 250, 3, 480, 77};
    static final int GENERATE = 64;
    static final double MAX_KL = 1e-3;
    /** Configurations whose logits must equal llama.cpp's bit for bit on ggml's haswell library. */
    static final Set<String> EXACT = Set.of("tiny-qwen2 Q8_0", "tiny-qwen2 Q4_0", "tiny-qwen2 K_MIX",
            "tiny-llama Q4_0", "tiny-llama K_MIX");

    static Function<TensorSpec, GgmlType> types(String mix) {
        return switch (mix) {
            // K-quants need rows of 256: only ffn_down (256 wide in the tiny presets) can take them.
            case "K_MIX" -> s -> s.isVector() ? GgmlType.F32
                    : s.name().equals("blk.0.ffn_down.weight") ? GgmlType.Q4_K
                    : s.name().equals("blk.1.ffn_down.weight") ? GgmlType.Q6_K : GgmlType.Q8_0;
            default -> {
                GgmlType t = GgmlType.valueOf(mix);
                yield s -> s.isVector() ? GgmlType.F32 : t;
            }
        };
    }

    static Path write(String preset, String mix) {
        ModelConfig cfg = Presets.get(preset);
        Path out = dir.resolve(preset + "-" + mix + ".gguf");
        SyntheticModel.write(out, true, cfg, preset, 1234, types(mix), SyntheticModel.numberedVocabulary(cfg.vocab()).toGgufMetadata(cfg.vocab()), 1, b -> {});
        return out;
    }

    static double kl(float[] pLogits, float[] qLogits) {
        double[] p = softmax(pLogits), q = softmax(qLogits);
        double kl = 0;
        for (int i = 0; i < p.length; i++) if (p[i] > 0) kl += p[i] * Math.log(p[i] / Math.max(q[i], 1e-300));
        return kl;
    }

    static double[] softmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) max = Math.max(max, v);
        double[] p = new double[x.length];
        double s = 0;
        for (int i = 0; i < x.length; i++) s += p[i] = Math.exp(x[i] - max);
        for (int i = 0; i < x.length; i++) p[i] /= s;
        return p;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny-qwen2,F32", "tiny-qwen2,F16", "tiny-qwen2,Q8_0", "tiny-qwen2,Q4_0", "tiny-qwen2,K_MIX",
            "tiny-llama,F32", "tiny-llama,F16", "tiny-llama,Q8_0", "tiny-llama,Q4_0", "tiny-llama,K_MIX"})
    void sameGreedyContinuationAndCloseDistributions(String preset, String mix) {
        Path gguf = write(preset, mix);
        String what = preset + " " + mix;
        SessionOptions o = new SessionOptions(2, 128, 8); // batch 8: the prompt goes through in two chunks
        int[] ours = new int[GENERATE], theirs = new int[GENERATE];
        double klSum = 0, klMax = 0;
        boolean identical = true;
        try (Session java = JavaSession.open(gguf, o);
             Session ref = LlamaCppSession.open(gguf, o.withThreads(1))) {
            java.prefill(PROMPT);
            ref.prefill(PROMPT);
            float[] a = java.lastLogits(), b = ref.lastLogits();
            for (int i = 0; i < GENERATE; i++) {
                double d = kl(b, a);
                klSum += d;
                klMax = Math.max(klMax, d);
                identical &= Arrays.equals(a, b);
                assertTrue(d < MAX_KL, what + ": KL " + d + " at generated token " + i);
                ours[i] = argmax(a);
                theirs[i] = argmax(b);
                assertEquals(theirs[i], ours[i], what + ": greedy pick at generated token " + i);
                a = java.decode(ours[i]);
                b = ref.decode(ours[i]);
            }
            assertEquals(PROMPT.length + GENERATE, java.position());
        }
        System.out.printf("%s: mean KL %.2e, max KL %.2e, logits %s%n", what, klSum / GENERATE, klMax,
                identical ? "bit-identical" : "differ");
        assertTrue(Arrays.stream(ours).distinct().count() > 1, "degenerate continuation");
        if (EXACT.contains(what) && "haswell".equals(NativeLibraries.llama().cpuVariant())) {
            assertTrue(identical, what + ": logits differ from llama.cpp's (max KL " + klMax + ")");
        }
    }
}

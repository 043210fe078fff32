package dev.r1.engine.llamacpp;

import dev.r1.bindings.LlamaLibrary;
import dev.r1.bindings.NativeLibraries;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.bench.LatencyBench;
import dev.r1.engine.bench.Stats;
import dev.r1.models.config.Presets;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.synth.SyntheticModel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * llama.cpp's own speed through our binding, batch 1, llama-bench style (ppN prefill, tgM decode).
 * Usage: {@code LlamaCppBench MODEL.gguf|PRESET [threads=2] [prompt=128] [gen=32] [reps=3] [type=Q4_0]};
 * a preset name is synthesized first (random weights, {@code type} matrices) into a temp file.
 * Prints the ggml CPU variant in use, so runs with {@code R1_GGML_CPU=...} can be compared.
 */
public final class LlamaCppBench {
    private LlamaCppBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LlamaCppBench MODEL.gguf|PRESET [threads] [prompt] [gen] [reps] [type]");
            System.exit(2);
        }
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        int prompt = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int gen = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int reps = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        GgmlType type = GgmlType.valueOf(args.length > 5 ? args[5] : "Q4_0");
        Path model = Path.of(args[0]);
        Path temp = null;
        if (!Files.exists(model)) {
            var cfg = Presets.get(args[0]);
            temp = Files.createTempFile("r1-llama-bench-", ".gguf");
            SyntheticModel.write(temp, true, cfg, args[0], 1, s -> s.isVector() ? GgmlType.F32 : type,
                    TinyTokenizer.of(cfg.vocab()), type == GgmlType.Q8_0 ? 7 : 2, b -> {});
            model = temp;
        }
        try {
            LlamaLibrary lib = NativeLibraries.llama();
            System.out.println("ggml cpu variant: " + lib.cpuVariant() + "  (" + lib.systemInfo().trim() + ")");
            try (LlamaCppSession s = LlamaCppSession.open(model, new SessionOptions(threads, prompt + gen + 16, 512))) {
                LlamaCppModelInfo info = s.model().info();
                var r = LatencyBench.run(s, new LatencyBench.Options(prompt, gen, reps, 42), p -> {});
                Stats pp = r.prefillTokPerSecByRep(), tg = r.decodeTokPerSecByRep();
                System.out.printf("model %s (%s, %.1f MiB), threads %d: pp%d %.1f ± %.1f tok/s, tg%d %.2f ± %.2f tok/s%n",
                        args[0], info.desc(), info.sizeBytes() / 1048576.0, threads, prompt, pp.mean(), pp.sd(),
                        gen, tg.mean(), tg.sd());
            }
        } finally {
            if (temp != null) Files.deleteIfExists(temp);
        }
    }

    /** Token i is "t" + i (benchmarks feed ids, never text). */
    static final class TinyTokenizer {
        static java.util.Map<String, dev.r1.models.gguf.GgufValue> of(int n) {
            return SyntheticModel.numberedVocabulary(n).toGgufMetadata(n);
        }
    }
}

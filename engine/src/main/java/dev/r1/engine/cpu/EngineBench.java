package dev.r1.engine.cpu;

import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.bench.LatencyBench;
import dev.r1.engine.bench.MachineInfo;
import dev.r1.engine.llamacpp.LlamaCppSession;
import dev.r1.engine.model.JavaSession;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.gguf.GgufValue;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.synth.SyntheticModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Prefill tok/s and decode ms/token of our engine, side by side with llama.cpp on the same file: an
 * R1-Distill-Qwen-1.5B-shaped Q4_0 model with random weights (synthesized under /tmp on first use).
 * Not a test. Usage: {@code EngineBench [model.gguf] [threads] [prompt] [gen] [java|llama|both]}.
 */
public final class EngineBench {
    private EngineBench() {}

    public static void main(String[] args) {
        Path model = Path.of(args.length > 0 ? args[0] : "/tmp/r1-bench/r1-distill-qwen-1.5b-q4_0.gguf");
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int prompt = args.length > 2 ? Integer.parseInt(args[2]) : 512;
        int gen = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        String which = args.length > 4 ? args[4] : "both";
        if (!Files.exists(model)) synthesize(model);
        MachineInfo m = MachineInfo.detect(null);
        System.out.printf("machine: %s, %d cores; model %s; %d threads; prompt %d, decode %d at depth %d%n",
                m.cpuModel(), m.cores(), model.getFileName(), threads, prompt, gen, prompt);
        SessionOptions o = new SessionOptions(threads, prompt + gen + 16, 512);
        LatencyBench.Options lo = new LatencyBench.Options(prompt, gen, 2, 1);
        if (!which.equals("llama")) {
            try (Session s = JavaSession.open(model, o)) {
                report("r1 java", LatencyBench.run(s, lo, p -> {}), prompt);
            }
        }
        if (!which.equals("java")) {
            try (Session s = LlamaCppSession.open(model, o)) {
                report("llama.cpp", LatencyBench.run(s, lo, p -> {}), prompt);
            }
        }
    }

    private static void report(String name, LatencyBench.Result r, int prompt) {
        System.out.printf("%-10s prefill %7.1f tok/s (%.0f ms)   decode %7.1f ms/token (p50 %.1f, %.2f tok/s)%n", name,
                prompt * 1000.0 / r.prefill().mean(), r.prefill().mean(), r.decode().mean(), r.decode().p50(),
                1000.0 / r.decode().mean());
    }

    static void synthesize(Path out) {
        try {
            Files.createDirectories(out.getParent());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ModelConfig cfg = Presets.get("r1-distill-qwen-1.5b");
        Map<String, GgufValue> tok = SyntheticModel.numberedVocabulary(cfg.vocab()).toGgufMetadata(cfg.vocab());
        System.out.println("synthesizing " + out + " ...");
        SyntheticModel.write(out, false, cfg, "r1-distill-qwen-1.5b", 1, s -> s.isVector() ? GgmlType.F32 : GgmlType.Q4_0,
                tok, 2, b -> {});
    }
}

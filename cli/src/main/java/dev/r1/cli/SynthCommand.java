package dev.r1.cli;

import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.config.TensorLayout;
import dev.r1.quantize.TargetType;
import dev.r1.quantize.TensorPolicy;
import dev.r1.quantize.synth.SyntheticModel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Write a random-weight model with the real shape of an R1-Distill preset.", "",
                "Real tensor names, metadata and tokenizer; random weights (no real weights can be downloaded here).",
                "Deterministic for a seed. Tiny presets (tiny-qwen2, tiny-llama) are a few MB, for tests.", "",
                "Example: r1 synth --preset r1-distill-qwen-1.5b --type q4_0 -o qwen-1.5b-q4_0.gguf"})
final class SynthCommand implements Callable<Integer> {

    @Option(names = "--preset", required = true, paramLabel = "NAME",
            description = "one of: ${COMPLETION-CANDIDATES}", completionCandidates = PresetNames.class)
    String preset;

    @Option(names = "--type", defaultValue = "q4_0", paramLabel = "TYPE",
            description = "q4_0 (R1-Q4, default), q4_k_m, q8_0, f16, bf16, f32; llama-quantize's tensor policy applies")
    String type;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "output GGUF file")
    Path output;

    @Option(names = "--seed", defaultValue = "1", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--pure", description = "every 2-D weight gets the target type (no Q6_K output etc.)")
    boolean pure;

    @Option(names = "--force", description = "overwrite OUTPUT if it exists")
    boolean force;

    @Override
    public Integer call() {
        dev.r1.models.io.OutputFiles.checkWritable(output, "model", force, "--force");
        synthesize(preset, TargetType.parse(type), pure, seed, output, force);
        long size;
        try {
            size = java.nio.file.Files.size(output); // the file's size, as r1 info and ls show it (not only the tensor data)
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(output + ": written but cannot be read back: " + e.getMessage(), e);
        }
        System.out.printf("wrote %s (%s, %s, seed %d)%n", output, preset, Format.bytes(size), seed);
        return 0;
    }

    /**
     * Writes a synthetic {@code preset} model of {@code target} (llama-quantize's tensor mix unless
     * {@code pure}) with a progress bar; returns the bytes of tensor data written. Shared with {@code r1 bench}.
     */
    static long synthesize(String preset, TargetType target, boolean pure, long seed, Path out, boolean overwrite) {
        ModelConfig cfg = Presets.get(preset);
        var tokenizer = Tokenizers.forPreset(preset, cfg);
        java.util.function.Function<TensorLayout.TensorSpec, dev.r1.models.tensor.GgmlType> typeOf = s ->
                TensorPolicy.choose(s.name(), s.dims(), target, pure, cfg.layers(), cfg.tiedEmbeddings(), false, cfg.heads() / cfg.kvHeads()).type();
        long total = TensorLayout.expected(cfg).stream().mapToLong(s -> typeOf.apply(s).byteSize(s.nElements())).sum();
        Progress bar = new Progress("synth " + preset + " " + target.fileSuffix(), total);
        SyntheticModel.write(out, overwrite, cfg, "synthetic " + preset + " " + target.fileSuffix(), seed, typeOf,
                tokenizer, target.fileType(), bar::update);
        bar.done();
        return total;
    }

    static final class PresetNames implements Iterable<String> {
        @Override public java.util.Iterator<String> iterator() { return Presets.all().keySet().iterator(); }
    }
}

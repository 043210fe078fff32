package dev.r1.engine.llamacpp;

import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.synth.SyntheticModel;
import java.nio.file.Path;

/** Synthesized tiny GGUF models (random weights, real layout) for llama.cpp tests. */
final class TinyModels {
    static final int Q8_0_FILE_TYPE = 7;   // LLAMA_FTYPE_MOSTLY_Q8_0

    private TinyModels() {}


    /** Writes preset {@code preset} with Q8_0 matrices and F32 vectors to {@code dir/preset.gguf}. */
    static Path write(Path dir, String preset, long seed) {
        ModelConfig cfg = Presets.get(preset);
        Path out = dir.resolve(preset + ".gguf");
        SyntheticModel.write(out, true, cfg, preset, seed, s -> s.isVector() ? GgmlType.F32 : GgmlType.Q8_0,
                SyntheticModel.numberedVocabulary(cfg.vocab()).toGgufMetadata(cfg.vocab()), Q8_0_FILE_TYPE, b -> {});
        return out;
    }
}

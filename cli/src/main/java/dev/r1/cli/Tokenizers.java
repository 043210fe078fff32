package dev.r1.cli;

import dev.r1.models.ModelException;
import dev.r1.models.config.Architecture;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufValue;
import dev.r1.models.template.R1ChatTemplate;
import dev.r1.models.tokenizer.R1Vocabularies;
import dev.r1.models.tokenizer.Vocabulary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Where the CLI gets a vocabulary: from a model file, an HF directory, or the real files fetched for presets. */
final class Tokenizers {
    private Tokenizers() {}

    static Path deps() {
        return Path.of(System.getProperty("r1.deps", ".deps"));
    }

    /** Vocabulary of a GGUF file or an HF model directory. */
    static Vocabulary load(Path model) {
        if (!Files.exists(model)) throw new ModelException(model + ": no such file or directory");
        if (Files.isDirectory(model)) return Vocabulary.fromHf(model);
        try (GgufFile f = GgufFile.open(model)) {
            return Vocabulary.fromGguf(f);
        }
    }

    /**
     * The tokenizer metadata a synthesized model of {@code preset} carries: the distill's real vocabulary
     * (built from the fetched base-model tokenizer files) or, for tiny presets, a small byte-level one.
     */
    static Map<String, GgufValue> forPreset(String preset, ModelConfig cfg) {
        Vocabulary v;
        if (Presets.isTiny(preset)) {
            v = Vocabulary.tinyByteLevel(cfg.vocab());
        } else {
            boolean llama = cfg.arch() == Architecture.LLAMA;
            Path dir = deps().resolve(llama ? "tokenizers/llama3_1" : "tokenizers/qwen3");
            if (!Files.exists(dir.resolve("tokenizer.json")))
                throw new ModelException("the real tokenizer files for " + preset + " are missing (" + dir
                        + "); fetch them with native/fetch-deps.sh");
            v = llama ? R1Vocabularies.llama(dir) : R1Vocabularies.qwen(dir);
        }
        Map<String, GgufValue> m = new java.util.LinkedHashMap<>(v.toGgufMetadata(cfg.vocab()));
        m.put("tokenizer.chat_template", GgufValue.string(R1ChatTemplate.publishedJinja()));
        return m;
    }
}

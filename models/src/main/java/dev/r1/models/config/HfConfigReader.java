package dev.r1.models.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.r1.models.Limits;
import dev.r1.models.ModelException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/** {@link ModelConfig#fromHfConfig}: a Hugging Face {@code config.json}. */
final class HfConfigReader {
    private HfConfigReader() {}

    private static final ObjectMapper JSON = Limits.jsonMapper();

    static ModelConfig read(Path file) {
        if (Files.isDirectory(file)) file = file.resolve("config.json");
        Limits.checkJsonFile(file);
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw ModelException.at(file, "file", "not found");
        } catch (IOException e) {
            throw ModelException.at(file, "json", "not valid JSON: " + ModelException.jsonProblem(e));
        }
        if (root == null || !root.isObject()) throw ModelException.at(file, "json", "expected a JSON object");
        Fields f = new Fields(file, root);

        JsonNode archs = root.get("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty() || !archs.get(0).isTextual()) {
            throw ModelException.at(file, "architectures", "expected a non-empty array of class names, found " + archs);
        }
        Architecture arch = Architecture.fromHf(archs.get(0).asText(), file);
        // Each size is capped here, naming the field, before anything is sized by it (a billion layers
        // used to build a billion-entry tensor list and run out of heap).
        int hidden = f.integer("hidden_size", null, Limits.MODEL_DIM);
        int heads = f.integer("num_attention_heads", null, Limits.HEADS);
        int headDim = root.hasNonNull("head_dim") ? f.integer("head_dim", null, Limits.MODEL_DIM) : hidden / Math.max(1, heads);
        // HF's PretrainedConfig ties embeddings unless told otherwise; Qwen2Config and LlamaConfig default to false.
        boolean tied = f.bool("tie_word_embeddings", false);
        boolean bias = arch == Architecture.QWEN2 || f.bool("attention_bias", false);
        try {
            return new ModelConfig(arch, hidden, f.integer("num_hidden_layers", null, Limits.LAYERS), heads,
                    f.integer("num_key_value_heads", heads, Limits.HEADS), headDim,
                    f.integer("intermediate_size", null, Limits.MODEL_DIM), f.integer("vocab_size", null, Limits.VOCAB),
                    f.integer("max_position_embeddings", null, Limits.CONTEXT),
                    f.number("rope_theta", 10000f), f.number("rms_norm_eps", null), bias, tied, ropeScaling(file, root));
        } catch (ModelException e) {
            if (e.getMessage().startsWith(file.toString())) throw e;
            throw new ModelException(file + ": " + e.getMessage(), e);
        }
    }

    private static Optional<Llama3RopeScaling> ropeScaling(Path file, JsonNode root) {
        JsonNode rs = root.get("rope_scaling");
        if (rs == null || rs.isNull()) return Optional.empty();
        if (!rs.isObject()) throw ModelException.at(file, "rope_scaling", "expected an object or null, found " + rs);
        JsonNode type = rs.has("rope_type") ? rs.get("rope_type") : rs.get("type");
        if (type == null || !type.isTextual() || !type.asText().equalsIgnoreCase("llama3")) {
            throw ModelException.at(file, "rope_scaling.rope_type", "only 'llama3' rope scaling is supported, found " + type);
        }
        Fields f = new Fields(file, rs);
        try {
            // Defaults as in llama.cpp's converter.
            return Optional.of(new Llama3RopeScaling(f.number("factor", 8f), f.number("low_freq_factor", 1f),
                    f.number("high_freq_factor", 4f), f.integer("original_max_position_embeddings", 8192, Limits.CONTEXT)));
        } catch (IllegalArgumentException e) {
            throw ModelException.at(file, "rope_scaling", e.getMessage());
        }
    }

    /** Typed fields of one JSON object; errors name the file and the field. */
    private record Fields(Path file, JsonNode obj) {
        int integer(String key, Integer dflt, int cap) {
            JsonNode n = obj.get(key);
            if (n == null || n.isNull()) {
                if (dflt != null) return dflt;
                throw ModelException.at(file, key, "required field is missing");
            }
            if (!n.isIntegralNumber() || !n.canConvertToInt()) throw ModelException.at(file, key, "expected an integer, found " + n);
            return (int) Limits.check(file, key, n.intValue(), cap, "");
        }

        float number(String key, Float dflt) {
            JsonNode n = obj.get(key);
            if (n == null || n.isNull()) {
                if (dflt != null) return dflt;
                throw ModelException.at(file, key, "required field is missing");
            }
            if (!n.isNumber()) throw ModelException.at(file, key, "expected a number, found " + n);
            // Parse the literal straight to float (as converters do), not via double, for exact presets.
            return Float.parseFloat(n.asText());
        }

        boolean bool(String key, boolean dflt) {
            JsonNode n = obj.get(key);
            if (n == null || n.isNull()) return dflt;
            if (!n.isBoolean()) throw ModelException.at(file, key, "expected true or false, found " + n);
            return n.booleanValue();
        }
    }
}

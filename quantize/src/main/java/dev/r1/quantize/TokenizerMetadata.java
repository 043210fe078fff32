package dev.r1.quantize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.r1.models.config.Architecture;
import dev.r1.models.gguf.GgufArray;
import dev.r1.models.gguf.GgufValue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code tokenizer.*} GGUF metadata of a Hugging Face byte-level BPE tokenizer, as llama.cpp's
 * converter writes it: tokens padded to the model's vocab size with {@code [PADn]} (type UNUSED),
 * added tokens CONTROL when special (or looking like {@code <|...|>}) else USER_DEFINED, merges as
 * {@code "a b"} strings, bos/eos/pad ids, add_bos/add_eos, the chat template, and the pre-tokenizer
 * name llama.cpp uses for the R1 distills.
 */
public final class TokenizerMetadata {
    private TokenizerMetadata() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    static final int NORMAL = 1, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5;

    /**
     * Reads {@code tokenizer.json} (and {@code tokenizer_config.json}, {@code config.json} when present)
     * from {@code dir}.
     *
     * @param vocabSize the model's embedding rows; the token list is padded to it
     */
    public static Map<String, GgufValue> fromHf(Path dir, Architecture arch, int vocabSize) {
        Path tokFile = dir.resolve("tokenizer.json");
        JsonNode tok = read(tokFile, true);
        JsonNode cfg = read(dir.resolve("tokenizer_config.json"), false);
        JsonNode modelCfg = read(dir.resolve("config.json"), false);
        JsonNode model = tok.path("model");
        if (!"BPE".equals(model.path("type").asText())) {
            throw new QuantizeException(tokFile + ": model.type is '" + model.path("type").asText()
                    + "'; only byte-level BPE tokenizers (Qwen2, Llama 3) are supported");
        }
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject() || vocab.isEmpty()) throw new QuantizeException(tokFile + ": model.vocab is missing or empty");

        Map<Integer, String> byId = new HashMap<>();
        Map<String, Integer> idOf = new HashMap<>();
        vocab.fields().forEachRemaining(e -> {
            byId.put(e.getValue().asInt(), e.getKey());
            idOf.put(e.getKey(), e.getValue().asInt());
        });
        Map<Integer, Integer> addedType = new HashMap<>();
        for (JsonNode a : tok.path("added_tokens")) {
            int id = a.path("id").asInt(-1);
            String content = a.path("content").asText(null);
            if (id < 0 || content == null) throw new QuantizeException(tokFile + ": added_tokens entry without id/content: " + a);
            byId.put(id, content);
            idOf.put(content, id);
            addedType.put(id, a.path("special").asBoolean(false) || looksSpecial(content) ? CONTROL : USER_DEFINED);
        }
        int maxId = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
        if (maxId >= vocabSize) {
            throw new QuantizeException(tokFile + ": token id " + maxId + " does not fit the model's vocab_size " + vocabSize);
        }
        String[] tokens = new String[vocabSize];
        int[] types = new int[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            String t = byId.get(i);
            if (t == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
            } else {
                tokens[i] = t;
                types[i] = addedType.getOrDefault(i, NORMAL);
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            if (m.isTextual()) merges.add(m.asText());
            else if (m.isArray() && m.size() == 2) merges.add(m.get(0).asText() + " " + m.get(1).asText());
            else throw new QuantizeException(tokFile + ": model.merges entry " + m + " is neither \"a b\" nor [a, b]");
        }

        Map<String, GgufValue> out = new LinkedHashMap<>();
        out.put("tokenizer.ggml.model", GgufValue.string("gpt2"));
        out.put("tokenizer.ggml.pre", GgufValue.string(arch == Architecture.LLAMA ? "llama-bpe" : "deepseek-r1-qwen"));
        out.put("tokenizer.ggml.tokens", GgufValue.array(GgufArray.ofStrings(tokens)));
        out.put("tokenizer.ggml.token_type", GgufValue.array(GgufArray.ofInt32(types)));
        out.put("tokenizer.ggml.merges", GgufValue.array(GgufArray.ofStrings(merges.toArray(String[]::new))));
        Integer bos = specialId(cfg, modelCfg, "bos", idOf);
        Integer eos = specialId(cfg, modelCfg, "eos", idOf);
        Integer pad = specialId(cfg, modelCfg, "pad", idOf);
        if (bos != null) out.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(bos));
        if (eos != null) out.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(eos));
        if (pad != null) out.put("tokenizer.ggml.padding_token_id", GgufValue.uint32(pad));
        Boolean addBos = cfg.has("add_bos_token") ? cfg.get("add_bos_token").asBoolean()
                : bos == null ? null : postProcessorStartsWith(tok.path("post_processor"), bos);
        if (addBos != null) out.put("tokenizer.ggml.add_bos_token", GgufValue.bool(addBos));
        if (cfg.has("add_eos_token")) out.put("tokenizer.ggml.add_eos_token", GgufValue.bool(cfg.get("add_eos_token").asBoolean()));
        String template = chatTemplate(cfg);
        if (template != null) out.put("tokenizer.chat_template", GgufValue.string(template));
        return out;
    }

    /** llama.cpp's {@code does_token_look_special}: added tokens that ought to be control tokens. */
    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || (t.startsWith("<|") && t.endsWith("|>"))
                || (t.startsWith("<\uFF5C") && t.endsWith("\uFF5C>")) || (t.startsWith("<unused") && t.endsWith(">"));
    }

    private static Integer specialId(JsonNode cfg, JsonNode modelCfg, String kind, Map<String, Integer> idOf) {
        JsonNode t = cfg.get(kind + "_token");
        String content = t == null || t.isNull() ? null : t.isTextual() ? t.asText() : t.path("content").asText(null);
        if (content != null && idOf.containsKey(content)) return idOf.get(content);
        JsonNode id = modelCfg.get(kind + "_token_id");
        if (id != null && id.canConvertToInt()) return id.asInt();
        return null;
    }

    /** Whether a TemplateProcessing post-processor (alone or in a Sequence) puts {@code bos} first. */
    private static Boolean postProcessorStartsWith(JsonNode pp, int bos) {
        if (pp.isMissingNode() || pp.isNull()) return null;
        if ("Sequence".equals(pp.path("type").asText())) {
            for (JsonNode p : pp.path("processors")) {
                Boolean r = postProcessorStartsWith(p, bos);
                if (r != null) return r;
            }
            return null;
        }
        if (!"TemplateProcessing".equals(pp.path("type").asText())) return null;
        JsonNode first = pp.path("single").path(0).path("SpecialToken");
        if (first.isMissingNode()) return false;
        JsonNode ids = pp.path("special_tokens").path(first.path("id").asText()).path("ids");
        return ids.size() > 0 && ids.get(0).asInt() == bos;
    }

    private static String chatTemplate(JsonNode cfg) {
        JsonNode t = cfg.get("chat_template");
        if (t == null || t.isNull()) return null;
        if (t.isTextual()) return t.asText();
        if (t.isArray()) { // [{name, template}, ...]: llama.cpp keeps "default" as the chat template
            for (JsonNode e : t) if ("default".equals(e.path("name").asText())) return e.path("template").asText();
        }
        return null;
    }

    private static JsonNode read(Path file, boolean required) {
        try {
            JsonNode n = JSON.readTree(Files.readAllBytes(file));
            if (n == null || !n.isObject()) throw new QuantizeException(file + ": expected a JSON object");
            return n;
        } catch (NoSuchFileException e) {
            if (required) throw new QuantizeException(file + ": not found; an HF model directory needs its tokenizer.json");
            return JSON.createObjectNode();
        } catch (IOException e) {
            throw new QuantizeException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}

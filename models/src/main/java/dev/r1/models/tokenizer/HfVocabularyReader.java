package dev.r1.models.tokenizer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.r1.models.Limits;
import dev.r1.models.ModelException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads a Hugging Face tokenizer directory into a {@link Vocabulary}. */
final class HfVocabularyReader {
    private static final ObjectMapper JSON = Limits.jsonMapper();
    // Streaming reads sub-trees mid-document, where "trailing tokens" are the rest of the file: checked by hand.
    private static final ObjectMapper STREAM = Limits.jsonMapper()
            .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final int MAX_ID = Limits.VOCAB - 1;

    private HfVocabularyReader() {}

    static Vocabulary read(Path dir) {
        return read(dir, readTokenizerJson(dir.resolve("tokenizer.json")));
    }

    /**
     * As {@link #read(Path)}, with the directory's tokenizer.json already read by {@link #readTokenizerJson}
     * (not modified here, so one read can serve many calls: the fuzz harnesses of the other two files).
     */
    static Vocabulary read(Path dir, TokenizerJson tj) {
        Path tokFile = dir.resolve("tokenizer.json");
        Path cfgFile = dir.resolve("tokenizer_config.json");
        JsonNode tok = tj.rest();
        JsonNode cfg = readJson(cfgFile, false);

        JsonNode model = tok.path("model");
        if (!"BPE".equals(model.path("type").asText("BPE"))) {
            throw ModelException.at(tokFile, "model.type", "'" + model.path("type").asText()
                    + "' is not supported (only byte-level BPE)");
        }
        if (tj.vocabKeys() == null) throw ModelException.at(tokFile, "model.vocab", "missing or not an object");

        int maxId = -1;
        for (int i = 0; i < tj.vocabIds().length; i++) maxId = Math.max(maxId, tj.vocabIds()[i]);
        List<JsonNode> added = new ArrayList<>();
        for (JsonNode a : tok.path("added_tokens")) {
            maxId = Math.max(maxId, tokenId(tokFile, "added_tokens", a.path("id")));
            added.add(a);
        }
        String[] byId = new String[maxId + 1];
        int[] tokenTypes = new int[maxId + 1];
        for (int i = 0; i < tj.vocabIds().length; i++) {
            byId[tj.vocabIds()[i]] = tj.vocabKeys().get(i);
            tokenTypes[tj.vocabIds()[i]] = Vocabulary.TYPE_NORMAL;
        }
        for (JsonNode a : added) {
            int id = a.path("id").asInt();
            String content = a.path("content").asText(null);
            if (content == null) throw ModelException.at(tokFile, "added_tokens[id=" + id + "].content", "missing");
            byId[id] = content;
            tokenTypes[id] = addedTokenType(content, a.path("special").asBoolean(false));
        }
        List<String> tokens = new ArrayList<>(maxId + 1);
        for (int i = 0; i <= maxId; i++) {
            tokens.add(byId[i] != null ? byId[i] : "[PAD" + i + "]");
            if (byId[i] == null) tokenTypes[i] = Vocabulary.TYPE_UNUSED;
        }
        List<String> merges = tj.merges();

        Map<String, Integer> idOf = new HashMap<>();
        for (int i = 0; i <= maxId; i++) idOf.putIfAbsent(tokens.get(i), i);
        JsonNode modelCfg = readJson(dir.resolve("config.json"), false);
        int bos = specialId(cfg, "bos", idOf, cfgFile, modelCfg, dir.resolve("config.json"), maxId + 1);
        int eos = specialId(cfg, "eos", idOf, cfgFile, modelCfg, dir.resolve("config.json"), maxId + 1);
        int pad = specialId(cfg, "pad", idOf, cfgFile, modelCfg, dir.resolve("config.json"), maxId + 1);
        boolean addBos = cfg.has("add_bos_token") ? cfg.get("add_bos_token").asBoolean()
                : postProcessorAddsBos(tok.path("post_processor"), bos, bos >= 0 ? tokens.get(bos) : null);
        boolean addEos = cfg.path("add_eos_token").asBoolean(false);

        String pre = preName(tok, tokFile, bos >= 0 ? tokens.get(bos) : null);
        if (pre.equals("llama-bpe") != model.path("ignore_merges").asBoolean(false)) {
            // The Llama-3 tokenizer skips BPE for pieces already in the vocabulary; we tie that to its
            // pre-tokenizer as llama.cpp does, so a file mixing them would not tokenize as written.
            throw ModelException.at(tokFile, "model.ignore_merges", "is "
                    + model.path("ignore_merges").asBoolean(false) + " with the " + pre + " pre-tokenizer");
        }
        return new Vocabulary(tokens, tokenTypes, merges, bos, eos, Vocabulary.eogFor(tokens, tokenTypes, eos),
                pad, addBos, pre, addEos);
    }

    /**
     * llama.cpp's converter types an added token CONTROL when it is special or merely looks special
     * ({@code <|...|>}, {@code <｜...｜>}, {@code <pad>}, {@code <mask>}, {@code <unused...>}: tokens some
     * models forget to mark special), USER_DEFINED otherwise (such as {@code <think>}).
     */
    static int addedTokenType(String content, boolean special) {
        boolean looksSpecial = content.equals("<pad>") || content.equals("<mask>")
                || (content.startsWith("<|") && content.endsWith("|>"))
                || (content.startsWith("<｜") && content.endsWith("｜>"))
                || (content.startsWith("<unused") && content.endsWith(">"));
        return special || looksSpecial ? Vocabulary.TYPE_CONTROL : Vocabulary.TYPE_USER_DEFINED;
    }

    /** tokenizer.json with the two big parts, model.vocab and model.merges, read apart from the tree. */
    record TokenizerJson(ObjectNode rest, List<String> vocabKeys, int[] vocabIds, List<String> merges) {}

    /**
     * Streams tokenizer.json: its vocabulary (150k entries) and merges (up to 280k) go straight into lists
     * instead of a JSON tree, which takes a fraction of the time and memory; everything else is a tree.
     */
    static TokenizerJson readTokenizerJson(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelException(file + ": not found (a Hugging Face tokenizer directory needs tokenizer.json)");
        }
        Limits.checkJsonFile(file);
        try (JsonParser p = STREAM.createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new ModelException(file + ": not a JSON object");
            ObjectNode rest = JSON.createObjectNode();
            List<String> keys = null;
            int[] ids = new int[0];
            List<String> merges = new ArrayList<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (!name.equals("model") || t != JsonToken.START_OBJECT) {
                    rest.set(name, p.readValueAsTree());
                    continue;
                }
                ObjectNode model = rest.putObject("model");
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken ft = p.nextToken();
                    if (field.equals("vocab") && ft == JsonToken.START_OBJECT) {
                        keys = new ArrayList<>();
                        ids = new int[1024];
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String key = p.currentName();
                            if (p.nextToken() != JsonToken.VALUE_NUMBER_INT || p.getLongValue() < 0
                                    || p.getLongValue() > MAX_ID) {
                                throw ModelException.at(file, "model.vocab." + key, "token id " + p.getText()
                                        + " is not an integer in 0.." + MAX_ID + " (dev.r1.models.Limits.VOCAB)");
                            }
                            if (keys.size() == ids.length) ids = Arrays.copyOf(ids, ids.length * 2);
                            ids[keys.size()] = p.getIntValue();
                            keys.add(key);
                        }
                        ids = Arrays.copyOf(ids, keys.size());
                    } else if (field.equals("merges") && ft == JsonToken.START_ARRAY) {
                        JsonToken m;
                        while ((m = p.nextToken()) != JsonToken.END_ARRAY) {
                            Limits.check(file, "model.merges", merges.size() + 1L, Limits.MERGES, "merges");
                            if (m == JsonToken.VALUE_STRING) {
                                merges.add(p.getText());
                            } else if (m == JsonToken.START_ARRAY && p.nextToken() == JsonToken.VALUE_STRING) {
                                String left = p.getText();
                                if (p.nextToken() != JsonToken.VALUE_STRING) throw badMerge(file, merges.size());
                                String right = p.getText();
                                if (p.nextToken() != JsonToken.END_ARRAY) throw badMerge(file, merges.size());
                                merges.add(left + " " + right);
                            } else {
                                throw badMerge(file, merges.size());
                            }
                        }
                    } else {
                        model.set(field, p.readValueAsTree());
                    }
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw ModelException.at(file, "json", "unexpected content after the top-level object (line "
                        + p.currentLocation().getLineNr() + ")");
            }
            return new TokenizerJson(rest, keys, ids, merges);
        } catch (IOException e) {
            throw new ModelException(file + ": cannot read JSON: " + ModelException.jsonProblem(e), e);
        }
    }

    private static ModelException badMerge(Path file, int index) {
        return ModelException.at(file, "model.merges[" + index + "]", "neither \"a b\" nor [a, b]");
    }

    private static JsonNode readJson(Path file, boolean required) {
        if (!Files.isRegularFile(file)) {
            if (required) throw new ModelException(file + ": not found (a Hugging Face tokenizer directory "
                    + "needs tokenizer.json)");
            return JSON.createObjectNode();
        }
        Limits.checkJsonFile(file);
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null || !n.isObject()) throw new ModelException(file + ": not a JSON object");
            return n;
        } catch (IOException e) {
            throw new ModelException(file + ": cannot read JSON: " + ModelException.jsonProblem(e), e);
        }
    }

    private static int tokenId(Path file, String field, JsonNode n) {
        if (!n.canConvertToInt() || n.asInt() < 0 || n.asInt() > MAX_ID) {
            throw ModelException.at(file, field, "token id " + n + " is not an integer in 0.." + MAX_ID
                    + " (dev.r1.models.Limits.VOCAB)");
        }
        return n.asInt();
    }

    /**
     * A special token ({@code kind} bos, eos or pad) named in tokenizer_config.json ({@code <kind>_token}: a
     * string or {"content": ...}); else config.json's {@code <kind>_token_id}; else -1.
     */
    private static int specialId(JsonNode cfg, String kind, Map<String, Integer> idOf, Path cfgFile,
                                 JsonNode modelCfg, Path modelCfgFile, int size) {
        String key = kind + "_token";
        JsonNode n = cfg.path(key);
        String text = n.isTextual() ? n.asText() : n.path("content").isTextual() ? n.path("content").asText() : null;
        if (text != null) {
            Integer id = idOf.get(text);
            if (id == null) throw ModelException.at(cfgFile, key, "'" + text + "' is not a token of tokenizer.json");
            return id;
        }
        JsonNode idNode = modelCfg.path(kind + "_token_id");
        if (idNode.isMissingNode() || idNode.isNull() || idNode.isArray()) return -1; // a list: no single id to name
        if (!idNode.canConvertToInt() || idNode.asInt() < 0 || idNode.asInt() >= size) {
            throw ModelException.at(modelCfgFile, kind + "_token_id", "token id " + idNode
                    + " outside the tokenizer's " + size + " tokens");
        }
        return idNode.asInt();
    }

    /**
     * Whether a TemplateProcessing post-processor (alone or in a Sequence) puts BOS first: the Llama-3 way of
     * adding BOS. Its first piece names a special token whose ids start with BOS (or whose name is BOS's text).
     */
    private static boolean postProcessorAddsBos(JsonNode pp, int bos, String bosText) {
        if (bos < 0 || pp.isMissingNode() || pp.isNull()) return false;
        List<JsonNode> parts = new ArrayList<>();
        if ("Sequence".equals(pp.path("type").asText())) pp.path("processors").forEach(parts::add);
        else parts.add(pp);
        for (JsonNode p : parts) {
            if ("TemplateProcessing".equals(p.path("type").asText())) {
                String first = p.path("single").path(0).path("SpecialToken").path("id").asText(null);
                if (first == null) return false;
                JsonNode ids = p.path("special_tokens").path(first).path("ids");
                return ids.isArray() && !ids.isEmpty() ? ids.get(0).asInt() == bos : first.equals(bosText);
            }
        }
        return false;
    }

    private static final String QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String LLAMA3_REGEX = QWEN2_REGEX.replace("|\\p{N}|", "|\\p{N}{1,3}|");

    /** Names the pre-tokenizer by its split regex, the way llama.cpp's converter names it. */
    private static String preName(JsonNode tok, Path file, String bosText) {
        JsonNode pt = tok.path("pre_tokenizer");
        List<String> regexes = new ArrayList<>();
        collectRegexes(pt, regexes);
        boolean nfc = "NFC".equals(tok.path("normalizer").path("type").asText());
        if (regexes.equals(List.of(QWEN2_REGEX)) && nfc) {
            return "<｜begin▁of▁sentence｜>".equals(bosText) ? "deepseek-r1-qwen" : "qwen2";
        }
        if (regexes.equals(List.of(LLAMA3_REGEX)) && !nfc) return "llama-bpe";
        throw ModelException.at(file, "pre_tokenizer", "not a known byte-level pre-tokenizer (expected the Qwen2 "
                + "or Llama-3 split regex), found " + (regexes.isEmpty() ? pt.toString() : regexes)
                + (nfc ? " with NFC" : ""));
    }

    private static void collectRegexes(JsonNode n, List<String> out) {
        if ("Split".equals(n.path("type").asText())) out.add(n.path("pattern").path("Regex").asText(""));
        for (JsonNode c : n.path("pretokenizers")) collectRegexes(c, out);
    }
}

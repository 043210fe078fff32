package dev.r1.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.r1.models.ModelException;
import dev.r1.models.gguf.GgufArray;
import dev.r1.models.gguf.GgufValue;
import dev.r1.models.template.JinjaChatTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code tokenizer.*} GGUF metadata a converter writes from a Hugging Face directory
 * ({@code Vocabulary.fromHf(dir).toGgufMetadata(vocab)}): the real Qwen and Llama 3.1 tokenizer files from
 * .deps, and small hand-written directories for the rules those files do not exercise.
 */
class HfGgufMetadataTest {
    @TempDir Path tmp;

    private static Object[] array(Map<String, GgufValue> m, String key) {
        GgufArray a = (GgufArray) m.get(key).value();
        Object[] out = new Object[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i);
        return out;
    }

    private static long num(Map<String, GgufValue> m, String key) {
        return ((Number) m.get(key).value()).longValue();
    }

    @Test
    void qwenTokenizer() throws IOException {
        Path d = TokenizerFixtures.depsDir("qwen3");
        JsonNode tok = new ObjectMapper().readTree(d.resolve("tokenizer.json").toFile());
        int vocab = 151936; // Qwen's embedding rows: more than the tokenizer's ids, padded
        Map<String, GgufValue> m = TokenizerFixtures.hf("qwen3").vocabulary().toGgufMetadata(vocab);
        Object[] tokens = array(m, "tokenizer.ggml.tokens");
        Object[] types = array(m, "tokenizer.ggml.token_type");
        assertEquals(vocab, tokens.length);
        assertEquals(tok.at("/model/vocab").size() + tok.at("/added_tokens").size(),
                countNot(types, Vocabulary.TYPE_UNUSED));
        int endoftext = tok.at("/model/vocab").size(); // the first added token follows the base vocabulary
        assertEquals("<|endoftext|>", tokens[endoftext]);
        assertEquals(Vocabulary.TYPE_CONTROL, ((Number) types[endoftext]).intValue());
        assertEquals(Vocabulary.TYPE_NORMAL, ((Number) types[0]).intValue());
        assertEquals("[PAD" + (vocab - 1) + "]", tokens[vocab - 1]);
        assertEquals(tok.at("/model/merges").size(), array(m, "tokenizer.ggml.merges").length);
        assertEquals("Ġ Ġ", array(m, "tokenizer.ggml.merges")[0]);
        assertEquals(false, m.get("tokenizer.ggml.add_bos_token").value());
        assertEquals(false, m.get("tokenizer.ggml.add_eos_token").value());
        // Qwen3's BOS is null: plain qwen2 (the R1 distill's BOS <｜begin▁of▁sentence｜> makes deepseek-r1-qwen).
        assertEquals("qwen2", m.get("tokenizer.ggml.pre").value());
        assertEquals("<|im_end|>", tokens[(int) num(m, "tokenizer.ggml.eos_token_id")]);
        assertTrue(JinjaChatTemplate.sourceFromHf(d).orElseThrow().contains("<|im_start|>"));
    }

    @Test
    void llamaTokenizer() {
        Path d = TokenizerFixtures.depsDir("llama3_1");
        Map<String, GgufValue> m = TokenizerFixtures.hf("llama3_1").vocabulary().toGgufMetadata(128256);
        Object[] tokens = array(m, "tokenizer.ggml.tokens");
        assertEquals(128256, tokens.length);
        assertEquals("<|begin_of_text|>", tokens[128000]);
        assertEquals(128000L, num(m, "tokenizer.ggml.bos_token_id"));
        assertEquals(128009L, num(m, "tokenizer.ggml.eos_token_id"));
        // No add_bos_token in tokenizer_config.json: taken from the TemplateProcessing post-processor.
        assertEquals(true, m.get("tokenizer.ggml.add_bos_token").value());
        assertEquals("llama-bpe", m.get("tokenizer.ggml.pre").value());
        assertEquals("Ġ Ġ", array(m, "tokenizer.ggml.merges")[0]);
        assertTrue(JinjaChatTemplate.sourceFromHf(d).isPresent());
    }

    /** A minimal Qwen-style tokenizer.json with the given added tokens and post-processor JSON. */
    private Path tinyDir(String added, String postProcessor, String tokenizerConfig, String config) throws IOException {
        Path d = Files.createDirectories(tmp.resolve("d" + System.nanoTime()));
        String regex = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}"
                + "| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+";
        Files.writeString(d.resolve("tokenizer.json"), """
                {"normalizer": {"type": "NFC"},
                 "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                     {"type": "Split", "pattern": {"Regex": "%s"}, "behavior": "Isolated", "invert": false}]},
                 "post_processor": %s,
                 "added_tokens": [%s],
                 "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]}}
                """.formatted(regex, postProcessor, added));
        if (tokenizerConfig != null) Files.writeString(d.resolve("tokenizer_config.json"), tokenizerConfig);
        if (config != null) Files.writeString(d.resolve("config.json"), config);
        return d;
    }

    private static final String ADDED = """
            {"id": 3, "content": "<s>", "special": true}, {"id": 4, "content": "</s>", "special": true},
            {"id": 5, "content": "<pad>", "special": false}, {"id": 6, "content": "<unused0>", "special": false},
            {"id": 7, "content": "<mask>", "special": false}, {"id": 8, "content": "<think>", "special": false}""";

    @Test
    void addedTokensThatLookSpecialAreControl() throws IOException {
        Vocabulary v = Vocabulary.fromHf(tinyDir(ADDED, "null", "{}", null));
        int[] t = v.tokenTypes();
        assertEquals(Vocabulary.TYPE_CONTROL, t[3]);
        assertEquals(Vocabulary.TYPE_CONTROL, t[5]);   // <pad>
        assertEquals(Vocabulary.TYPE_CONTROL, t[6]);   // <unused0>
        assertEquals(Vocabulary.TYPE_CONTROL, t[7]);   // <mask>
        assertEquals(Vocabulary.TYPE_USER_DEFINED, t[8]);
        assertEquals(Vocabulary.TYPE_NORMAL, t[2]);
    }

    @Test
    void addEosAndSpecialIdsFromTokenizerConfigElseConfigJson() throws IOException {
        Path d = tinyDir(ADDED, "null", """
                {"add_bos_token": true, "add_eos_token": true, "eos_token": {"content": "</s>"}}""",
                """
                {"bos_token_id": 3, "eos_token_id": 7, "pad_token_id": 5}""");
        Vocabulary v = Vocabulary.fromHf(d);
        assertEquals(3, v.bosId());       // config.json: tokenizer_config names none
        assertEquals(4, v.eosId());       // tokenizer_config wins over config.json
        assertEquals(5, v.padId());
        assertTrue(v.addBos());
        assertTrue(v.addEos());
        Map<String, GgufValue> m = v.toGgufMetadata(12);
        assertEquals(true, m.get("tokenizer.ggml.add_eos_token").value());
        assertEquals(5L, num(m, "tokenizer.ggml.padding_token_id"));
        assertEquals("[PAD11]", array(m, "tokenizer.ggml.tokens")[11]);

        Path bad = tinyDir(ADDED, "null", "{}", "{\"bos_token_id\": 99}");
        ModelException e = assertThrows(ModelException.class, () -> Vocabulary.fromHf(bad));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("bos_token_id"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> v.toGgufMetadata(5)); // fewer rows than tokens
    }

    @Test
    void addBosFromThePostProcessorWhenTokenizerConfigIsSilent() throws IOException {
        String bosFirst = """
                {"type": "Sequence", "processors": [{"type": "ByteLevel"}, {"type": "TemplateProcessing",
                  "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                  "special_tokens": {"<s>": {"id": "<s>", "ids": [3], "tokens": ["<s>"]}}}]}""";
        String cfg = "{\"bos_token\": \"<s>\"}";
        assertTrue(Vocabulary.fromHf(tinyDir(ADDED, bosFirst, cfg, null)).addBos());
        String plain = """
                {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}}],
                 "special_tokens": {}}""";
        assertFalse(Vocabulary.fromHf(tinyDir(ADDED, plain, cfg, null)).addBos());
        // tokenizer_config.json's add_bos_token overrides the post-processor.
        assertFalse(Vocabulary.fromHf(tinyDir(ADDED, bosFirst, "{\"bos_token\": \"<s>\", \"add_bos_token\": false}",
                null)).addBos());
    }

    @Test
    void chatTemplateSourceIsVerbatimAndPicksTheDefaultOfAList() throws IOException {
        Path d = tinyDir(ADDED, "null", "{\"chat_template\": \"{{ messages }}\\n\"}", null);
        assertEquals("{{ messages }}\n", JinjaChatTemplate.sourceFromHf(d).orElseThrow());
        Path l = tinyDir(ADDED, "null", """
                {"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}""",
                null);
        assertEquals("D", JinjaChatTemplate.sourceFromHf(l).orElseThrow());
        assertTrue(JinjaChatTemplate.sourceFromHf(tinyDir(ADDED, "null", "{}", null)).isEmpty());
    }

    private static int countNot(Object[] types, int t) {
        int n = 0;
        for (Object o : types) if (((Number) o).intValue() != t) n++;
        return n;
    }
}

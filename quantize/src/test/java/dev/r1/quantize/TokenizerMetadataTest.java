package dev.r1.quantize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.r1.models.config.Architecture;
import dev.r1.models.gguf.GgufArray;
import dev.r1.models.gguf.GgufValue;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tokenizer metadata of the real Qwen and Llama 3.1 tokenizer files (fetched into .deps). */
class TokenizerMetadataTest {
    private static Path dir(String name) {
        Path p = Path.of(System.getProperty("r1.deps"), "tokenizers", name);
        if (!Files.isRegularFile(p.resolve("tokenizer.json"))) {
            throw new IllegalStateException(p + "/tokenizer.json is missing: run native/fetch-deps.sh (./test.sh does)");
        }
        return p;
    }

    private static Object[] array(Map<String, GgufValue> m, String key) {
        GgufArray a = (GgufArray) m.get(key).value();
        Object[] out = new Object[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i);
        return out;
    }

    @Test
    void qwenTokenizer() throws IOException {
        Path d = dir("qwen3");
        JsonNode tok = new ObjectMapper().readTree(d.resolve("tokenizer.json").toFile());
        int vocab = 151936; // Qwen's embedding rows: more than the tokenizer's ids, padded
        Map<String, GgufValue> m = TokenizerMetadata.fromHf(d, Architecture.QWEN2, vocab);
        Object[] tokens = array(m, "tokenizer.ggml.tokens");
        Object[] types = array(m, "tokenizer.ggml.token_type");
        assertEquals(vocab, tokens.length);
        assertEquals(tok.at("/model/vocab").size() + tok.at("/added_tokens").size(), countNot(types, TokenizerMetadata.UNUSED));
        int endoftext = tok.at("/model/vocab").size(); // first added token follows the base vocabulary
        assertEquals("<|endoftext|>", tokens[endoftext]);
        assertEquals(TokenizerMetadata.CONTROL, types[endoftext]);
        assertEquals(TokenizerMetadata.NORMAL, types[0]);
        assertEquals("[PAD" + (vocab - 1) + "]", tokens[vocab - 1]);
        assertEquals(tok.at("/model/merges").size(), array(m, "tokenizer.ggml.merges").length);
        assertEquals("Ġ Ġ", array(m, "tokenizer.ggml.merges")[0]);
        assertEquals(false, m.get("tokenizer.ggml.add_bos_token").value());
        assertTrue(((String) m.get("tokenizer.chat_template").value()).contains("<|im_start|>"));
        assertEquals("deepseek-r1-qwen", m.get("tokenizer.ggml.pre").value());
        long eos = ((Number) m.get("tokenizer.ggml.eos_token_id").value()).longValue();
        assertEquals("<|im_end|>", tokens[(int) eos]);
    }

    @Test
    void llamaTokenizer() throws IOException {
        Path d = dir("llama3_1");
        Map<String, GgufValue> m = TokenizerMetadata.fromHf(d, Architecture.LLAMA, 128256);
        Object[] tokens = array(m, "tokenizer.ggml.tokens");
        assertEquals(128256, tokens.length);
        assertEquals("<|begin_of_text|>", tokens[128000]);
        assertEquals(128000L, ((Number) m.get("tokenizer.ggml.bos_token_id").value()).longValue());
        assertEquals(128009L, ((Number) m.get("tokenizer.ggml.eos_token_id").value()).longValue());
        // No add_bos_token in tokenizer_config.json: taken from the TemplateProcessing post-processor.
        assertEquals(true, m.get("tokenizer.ggml.add_bos_token").value());
        assertEquals("llama-bpe", m.get("tokenizer.ggml.pre").value());
        assertEquals("Ġ Ġ", array(m, "tokenizer.ggml.merges")[0]);
    }

    private static int countNot(Object[] types, int t) {
        int n = 0;
        for (Object o : types) if (((Number) o).intValue() != t) n++;
        return n;
    }
}

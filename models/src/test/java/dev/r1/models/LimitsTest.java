package dev.r1.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.r1.models.config.Architecture;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.template.ChatMessage;
import dev.r1.models.template.JinjaChatTemplate;
import dev.r1.models.tokenizer.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The caps of {@link Limits} outside the binary headers (GgufLimitsTest, SafetensorsLimitsTest): model
 * shape, JSON files, tokenizer counts, chat templates. Each at the cap (accepted) and one past it
 * (a ModelException naming the field and the limit).
 */
class LimitsTest {
    @TempDir Path tmp;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static void refused(Runnable r, String... words) {
        ModelException e = assertThrows(ModelException.class, r::run);
        for (String w : words) assertTrue(e.getMessage().contains(w), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void messagesQuotingHostileTextStayOneBoundedLine() {
        String key = "evil\nkey\u0000" + "k".repeat(1 << 20);
        ModelException e = ModelException.at("f.gguf", "metadata '" + key + "'", "unknown value type id 99");
        assertTrue(e.getMessage().startsWith("f.gguf: metadata 'evil\\nkey\\u0000kkk"), e.getMessage());
        assertTrue(e.getMessage().endsWith(": unknown value type id 99"), e.getMessage());
        assertTrue(e.getMessage().length() <= ModelException.MAX_MESSAGE_CHARS && !e.getMessage().contains("\n"));
        assertEquals("a\\r\\tb", new ModelException("a\r\tb").getMessage());
    }

    // ---- model shape

    private static ModelConfig config(int hidden, int layers, int heads, int kvHeads, int headDim, int ffn, int vocab, int ctx) {
        return new ModelConfig(Architecture.QWEN2, hidden, layers, heads, kvHeads, headDim, ffn, vocab, ctx, 1e4f, 1e-6f,
                true, true, Optional.empty());
    }

    @Test
    void modelShape() {
        assertEquals(Limits.LAYERS, config(64, Limits.LAYERS, 2, 1, 32, 64, 16, 64).layers());
        refused(() -> config(64, Limits.LAYERS + 1, 2, 1, 32, 64, 16, 64), "layer count", "limit of " + Limits.LAYERS);
        assertEquals(Limits.MODEL_DIM, config(Limits.MODEL_DIM, 1, 2, 1, Limits.MODEL_DIM, Limits.MODEL_DIM, 16, 64).hidden());
        refused(() -> config(Limits.MODEL_DIM + 1, 1, 2, 1, 32, 64, 16, 64), "hidden size");
        refused(() -> config(64, 1, 2, 1, Limits.MODEL_DIM + 2, 64, 16, 64), "head dim");
        refused(() -> config(64, 1, 2, 1, 32, Limits.MODEL_DIM + 1, 16, 64), "feed-forward size");
        assertEquals(Limits.HEADS, config(64, 1, Limits.HEADS, Limits.HEADS, 32, 64, 16, 64).heads());
        refused(() -> config(64, 1, Limits.HEADS + 1, 1, 32, 64, 16, 64), "head count");
        assertEquals(Limits.VOCAB, config(64, 1, 2, 1, 32, 64, Limits.VOCAB, 64).vocab());
        refused(() -> config(64, 1, 2, 1, 32, 64, Limits.VOCAB + 1, 64), "vocab size");
        assertEquals(Limits.CONTEXT, config(64, 1, 2, 1, 32, 64, 16, Limits.CONTEXT).contextLength());
        refused(() -> config(64, 1, 2, 1, 32, 64, 16, Limits.CONTEXT + 1), "context length");
    }

    private Path configJson(String key, long value) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("Qwen2ForCausalLM");
        c.put("hidden_size", 64).put("num_hidden_layers", 1).put("num_attention_heads", 2).put("num_key_value_heads", 1)
                .put("intermediate_size", 64).put("vocab_size", 16).put("max_position_embeddings", 64)
                .put("rms_norm_eps", 1e-6);
        c.put(key, value);
        Path p = tmp.resolve("config.json");
        JSON.writeValue(p.toFile(), c);
        return p;
    }

    @Test
    void hfConfigNamesTheField() throws IOException {
        assertEquals(Limits.LAYERS, ModelConfig.fromHfConfig(configJson("num_hidden_layers", Limits.LAYERS)).layers());
        Path past = configJson("num_hidden_layers", Limits.LAYERS + 1);
        refused(() -> ModelConfig.fromHfConfig(past), "config.json: num_hidden_layers: 513 exceeds r1's limit of 512");
        Path billion = configJson("num_hidden_layers", 1_000_000_000);
        refused(() -> ModelConfig.fromHfConfig(billion), "num_hidden_layers");
        assertEquals(Limits.VOCAB, ModelConfig.fromHfConfig(configJson("vocab_size", Limits.VOCAB)).vocab());
        Path vocab = configJson("vocab_size", Limits.VOCAB + 1);
        refused(() -> ModelConfig.fromHfConfig(vocab), "vocab_size");
    }

    private Path ggufWith(String key, long value) {
        ModelConfig c = config(64, 1, 2, 1, 32, 64, 16, 64);
        Path p = tmp.resolve("m.gguf");
        try (dev.r1.models.gguf.GgufWriter w = dev.r1.models.gguf.GgufWriter.create(p, true)) {
            w.putString("general.architecture", "qwen2").putAll(dev.r1.models.config.GgufConfigWriter.metadata(c));
            w.putUInt32(key, value);
            w.commit();
        }
        return p;
    }

    @Test
    void ggufConfigNamesTheKey() {
        try (dev.r1.models.gguf.GgufFile f = dev.r1.models.gguf.GgufFile.open(ggufWith("qwen2.block_count", Limits.LAYERS))) {
            assertEquals(Limits.LAYERS, ModelConfig.fromGguf(f).layers());
        }
        try (dev.r1.models.gguf.GgufFile f = dev.r1.models.gguf.GgufFile.open(ggufWith("qwen2.block_count", 1_000_000_000))) {
            refused(() -> ModelConfig.fromGguf(f), "m.gguf: qwen2.block_count: 1000000000 exceeds r1's limit of 512");
        }
        try (dev.r1.models.gguf.GgufFile f = dev.r1.models.gguf.GgufFile.open(ggufWith("qwen2.vocab_size", Limits.VOCAB + 1))) {
            refused(() -> ModelConfig.fromGguf(f), "qwen2.vocab_size", "limit of " + Limits.VOCAB);
        }
    }

    // ---- JSON

    private Path nestedConfig(int depth) throws IOException {
        // config.json with an extra field nested `depth` levels deep (the root object is level 1).
        String open = "[".repeat(depth - 1), close = "]".repeat(depth - 1);
        String base = new String(Files.readAllBytes(configJson("vocab_size", 16)), StandardCharsets.UTF_8);
        Path p = tmp.resolve("config.json");
        Files.writeString(p, base.substring(0, base.length() - 1) + ",\"deep\":" + open + close + "}");
        return p;
    }

    @Test
    void jsonNestingDepth() throws IOException {
        assertEquals(16, ModelConfig.fromHfConfig(nestedConfig(Limits.JSON_DEPTH)).vocab());
        Path past = nestedConfig(Limits.JSON_DEPTH + 1);
        refused(() -> ModelConfig.fromHfConfig(past), "config.json", "nesting depth");
    }

    private Path paddedConfig(long bytes, int stringChars) throws IOException {
        String base = new String(Files.readAllBytes(configJson("vocab_size", 16)), StandardCharsets.UTF_8);
        String head = base.substring(0, base.length() - 1) + ",\"s\":\"";
        String tail = "\"}";
        Path p = tmp.resolve("config.json");
        try (Writer w = Files.newBufferedWriter(p)) {
            w.write(head);
            char[] xs = new char[1 << 16];
            java.util.Arrays.fill(xs, 'x');
            for (int left = stringChars; left > 0; left -= xs.length) w.write(xs, 0, Math.min(left, xs.length));
            w.write(tail);
            char[] sp = new char[1 << 16];
            java.util.Arrays.fill(sp, ' ');
            for (long left = bytes - head.length() - stringChars - tail.length(); left > 0; left -= sp.length) {
                w.write(sp, 0, (int) Math.min(left, sp.length));
            }
        }
        return p;
    }

    @Test
    void jsonStringLength() throws IOException {
        int cap = Limits.JSON_STRING_CHARS;
        assertEquals(16, ModelConfig.fromHfConfig(paddedConfig(cap + 400, cap)).vocab());
        Path past = paddedConfig(cap + 400, cap + 1);
        refused(() -> ModelConfig.fromHfConfig(past), "config.json", "String value length");
    }

    @Test
    void jsonFileSize() throws IOException {
        long cap = Limits.JSON_FILE_BYTES;
        Path at = paddedConfig(cap, 1);
        assertEquals(cap, Files.size(at));
        assertEquals(16, ModelConfig.fromHfConfig(at).vocab());
        Path past = paddedConfig(cap + 1, 1);
        refused(() -> ModelConfig.fromHfConfig(past), "config.json: file size: " + (cap + 1) + " exceeds r1's limit");
    }

    // ---- tokenizer

    private Path tokenizerDir(int maxId, int merges) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("tok"));
        StringBuilder t = new StringBuilder("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":" + maxId + "},\"merges\":[");
        for (int i = 0; i < merges; i++) t.append(i == 0 ? "" : ",").append("\"a b\"");
        t.append("]},\"normalizer\":{\"type\":\"NFC\"},\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":")
                .append(JSON.writeValueAsString("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
                        + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")).append("}}}");
        Files.writeString(dir.resolve("tokenizer.json"), t);
        return dir;
    }

    @Test
    void vocabularyIds() throws IOException {
        assertEquals(Limits.VOCAB, Vocabulary.fromHf(tokenizerDir(Limits.VOCAB - 1, 1)).size());
        Path past = tokenizerDir(Limits.VOCAB, 1);
        refused(() -> Vocabulary.fromHf(past), "model.vocab.b", "token id " + Limits.VOCAB);
    }

    @Test
    void mergeCount() throws IOException {
        assertEquals(Limits.MERGES, Vocabulary.fromHf(tokenizerDir(1, Limits.MERGES)).merges().size());
        Path past = tokenizerDir(1, Limits.MERGES + 1);
        refused(() -> Vocabulary.fromHf(past), "model.merges", "limit of " + Limits.MERGES);
    }

    // ---- chat templates

    @Test
    void templateSource() {
        String at = "x".repeat(Limits.TEMPLATE_SOURCE_CHARS);
        assertEquals(at, new JinjaChatTemplate(at, null, null).render(List.of(), false));
        refused(() -> new JinjaChatTemplate(at + "x", null, null), "chat template: source", "limit");
    }

    @Test
    void templateOutput() {
        JinjaChatTemplate t = new JinjaChatTemplate("{% for m in messages %}{{ m['content'] }}{% endfor %}", null, null);
        int half = (int) (Limits.TEMPLATE_OUTPUT_CHARS / 2);
        String a = "a".repeat(half);
        assertEquals(Limits.TEMPLATE_OUTPUT_CHARS, t.render(List.of(ChatMessage.user(a), ChatMessage.user(a)), false).length());
        refused(() -> t.render(List.of(ChatMessage.user(a), ChatMessage.user(a + "b")), false), "chat template", "output");
    }

    @Test
    void templatesCallOnlyPythonStrMethods() {
        // found by the tokenizer_config.json fuzz run (Jazzer's regex-injection sanitizer): Java's String methods
        // were reachable, so a template could run a backtracking regex from the model file inside one expression,
        // past the render deadline, or allocate gigabytes with repeat()
        List<ChatMessage> ms = List.of(ChatMessage.user("a".repeat(25) + "!")); // 2^25 steps of backtracking
        long t0 = System.nanoTime();
        refused(() -> new JinjaChatTemplate("{{ messages[0]['content'].matches('(a+)+b') }}", null, null).render(ms, false),
                "chat template", "string method 'matches' is not available");
        assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "refused before matching");
        refused(() -> new JinjaChatTemplate("{{ messages[0]['content'].replaceAll('(a+)+b', 'x') }}", null, null).render(ms, false),
                "string method 'replaceAll'");
        refused(() -> new JinjaChatTemplate("{{ 'x'.repeat(2000000000) }}", null, null).render(ms, false), "string method 'repeat'");
        refused(() -> new JinjaChatTemplate("{{ 'x'.startswith('a', 'b', 'c') }}", null, null).render(ms, false),
                "string method 'startswith' called with 3 arguments");
        // the Python ones templates use still work
        assertEquals("b|true|x|A!", new JinjaChatTemplate("{{ 'a</think>b'.split('</think>')[-1] }}|{{ 'xy'.startswith('x') }}|"
                + "{{ '  x '.strip() }}|{{ 'a!'.upper() }}", null, null).render(ms, false));
    }

    @Test
    void templateCollections() {
        int cap = Limits.TEMPLATE_COLLECTION_SIZE;
        JinjaChatTemplate at = new JinjaChatTemplate("{{ range(" + cap + ") | length }}", null, null);
        assertEquals(String.valueOf(cap), at.render(List.of(), false));
        JinjaChatTemplate past = new JinjaChatTemplate("{{ range(" + (cap + 1) + ") | length }}", null, null);
        refused(() -> past.render(List.of(), false), "chat template", "range() of " + (cap + 1) + " numbers exceeds");
        assertEquals("3,5,7|10,8|", new JinjaChatTemplate("{{ range(3, 9, 2) | join(',') }}|{{ range(10, 6, -2) | join(',') }}|"
                + "{{ range(5, 1) | join(',') }}", null, null).render(List.of(), false));
        JinjaChatTemplate huge = new JinjaChatTemplate("{{ range(-9223372036854775807, 9223372036854775807) | length }}", null, null);
        refused(() -> huge.render(List.of(), false), "range()", "exceeds");
    }

    @Test
    @Timeout(60)
    void templateNesting() {
        int cap = Limits.TEMPLATE_NESTING;
        assertEquals("1", new JinjaChatTemplate("{{ " + "(".repeat(cap) + "1" + ")".repeat(cap) + " }}", null, null)
                .render(List.of(), false));
        assertEquals("x", new JinjaChatTemplate("{% if true %}".repeat(cap) + "x" + "{% endif %}".repeat(cap), null, null)
                .render(List.of(), false));
        refused(() -> new JinjaChatTemplate("{{ " + "(".repeat(cap + 1) + "1" + ")".repeat(cap + 1) + " }}", null, null),
                "chat template: bracket nesting: " + (cap + 1) + " exceeds");
        refused(() -> new JinjaChatTemplate("{%- if true %}".repeat(cap + 1) + "{% endif %}".repeat(cap + 1), null, null),
                "chat template: block nesting");
        // Found by hand while fuzzing: 100k nested brackets kept Jinjava's parser busy for over ten minutes.
        int n = 100_000;
        refused(() -> new JinjaChatTemplate("{{ " + "(".repeat(n) + "1" + ")".repeat(n) + " }}", null, null), "nesting");
        refused(() -> new JinjaChatTemplate("{{ " + "[".repeat(n) + "]".repeat(n) + " }}", null, null), "nesting");
        // Long flat sums: 100 render; 50k overflow the stack of Jinjava's recursive evaluation, caught.
        assertEquals("100", new JinjaChatTemplate("{{ 0" + " + 1".repeat(100) + " }}", null, null).render(List.of(), false));
        refused(() -> new JinjaChatTemplate("{{ 0" + " + 1".repeat(50_000) + " }}", null, null).render(List.of(), false),
                "chat template: cannot render: nested too deeply");
    }

    @Test
    @Timeout(30)
    void templateRenderTime() {
        // Nested loops of 65536^3 iterations that print nothing: only the deadline can stop them.
        int n = Limits.TEMPLATE_COLLECTION_SIZE;
        JinjaChatTemplate loop = new JinjaChatTemplate("{% for i in range(" + n + ") %}{% for j in range(" + n
                + ") %}{% for k in range(" + n + ") %}{% set x = i %}{% endfor %}{% endfor %}{% endfor %}done", null, null);
        long t0 = System.nanoTime();
        refused(() -> loop.render(List.of(), false), "chat template", "longer than " + Limits.TEMPLATE_RENDER_MILLIS + " ms");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < Limits.TEMPLATE_RENDER_MILLIS * 5, "stopped after " + ms + " ms");
        // A template within the time renders as usual after a stopped one.
        assertEquals("ok", new JinjaChatTemplate("{% for i in range(10) %}{% endfor %}ok", null, null).render(List.of(), false));
    }
}

package dev.r1.models.fuzz;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.r1.models.config.Architecture;
import dev.r1.models.config.GgufConfigWriter;
import dev.r1.models.config.Llama3RopeScaling;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.gguf.GgufValue;
import dev.r1.models.gguf.GgufWriter;
import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tokenizer.Vocabulary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The seed corpora of the fuzz harnesses: tiny valid files, synthesized here so the committed seeds
 * (src/test/resources/.../*Inputs/<harness>/seed-*) can be regenerated and are checked to stay valid
 * ({@link FuzzSeedsTest}). Each is a few KB at most: libFuzzer mutates small inputs fastest.
 */
public final class FuzzSeeds {
    private FuzzSeeds() {}

    static final ObjectMapper JSON = new ObjectMapper();
    /** Separates the template from the message texts in a chat-template harness input. */
    public static final char SEP = '\0';

    // ------------------------------------------------------------------ GGUF

    /** A micro model: metadata a config and a vocabulary load from, and the tensors they look at. */
    static byte[] ggufModel(boolean llama) {
        ModelConfig c = new ModelConfig(llama ? Architecture.LLAMA : Architecture.QWEN2, 8, 1, 2, 1, 4, 8, 300, 64,
                llama ? 500000f : 10000f, 1e-6f, !llama, true,
                llama ? Optional.of(Llama3RopeScaling.LLAMA_3_1) : Optional.empty());
        return gguf(w -> {
            w.putString("general.architecture", c.arch().ggufName());
            w.putAll(GgufConfigWriter.metadata(c));
            w.putAll(Vocabulary.tinyByteLevel(300).toGgufMetadata(300));
            if (llama) {
                float[] f = Llama3RopeScaling.LLAMA_3_1.ropeFactors(c.headDim(), c.ropeTheta());
                w.addTensor("rope_freqs.weight", GgmlType.F32, f.length);
                w.addTensor("output.weight", GgmlType.Q4_0, 32, 1);
                ByteBuffer b = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : f) b.putFloat(v);
                w.writeTensorData("rope_freqs.weight", b.flip());
                w.writeTensorData("output.weight", ByteBuffer.allocate((int) GgmlType.Q4_0.byteSize(32)));
            } else {
                w.addTensor("blk.0.attn_q.bias", GgmlType.F32, 8);
                w.writeTensorData("blk.0.attn_q.bias", ByteBuffer.allocate(32));
            }
        });
    }

    /** Metadata of every value type, arrays included, and tensors of three types. */
    static byte[] ggufEveryType() {
        return gguf(w -> {
            Map<String, GgufValue> m = new LinkedHashMap<>();
            m.put("u8", GgufValue.uint8(7));
            m.put("i8", GgufValue.int8((byte) -7));
            m.put("u16", GgufValue.uint16(700));
            m.put("i16", GgufValue.int16((short) -700));
            m.put("u32", GgufValue.uint32(70000));
            m.put("i32", GgufValue.int32(-70000));
            m.put("f32", GgufValue.float32(0.5f));
            m.put("bool", GgufValue.bool(true));
            m.put("str", GgufValue.string("text"));
            m.put("u64", GgufValue.uint64(1L << 40));
            m.put("i64", GgufValue.int64(-(1L << 40)));
            m.put("f64", GgufValue.float64(0.25));
            m.put("general.alignment", GgufValue.uint32(64));
            w.putAll(m);
            w.putArray("arr.i32", dev.r1.models.gguf.GgufArray.of(dev.r1.models.gguf.GgufValueType.INT32, new int[] {1, 2, 3}));
            w.putStringArray("arr.str", "a", "b");
            w.addTensor("a", GgmlType.Q8_0, 32, 2);
            w.addTensor("b", GgmlType.F16, 3);
            w.addTensor("c", GgmlType.F32, 2, 1, 1);
            w.writeTensorData("a", ByteBuffer.allocate((int) GgmlType.Q8_0.byteSize(64)));
            w.writeTensorData("b", ByteBuffer.allocate(6));
            w.writeTensorData("c", ByteBuffer.allocate(8));
        });
    }

    private interface Fill { void fill(GgufWriter w); }

    private static byte[] gguf(Fill fill) {
        try {
            Path tmp = Files.createTempFile("seed", ".gguf");
            try (GgufWriter w = GgufWriter.create(tmp, true)) {
                fill.fill(w);
                w.commit();
            }
            byte[] b = Files.readAllBytes(tmp);
            Files.delete(tmp);
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ safetensors

    /** A safetensors file: {@code (name, dtype, shape...)} entries tiled in order, zero data. */
    static byte[] safetensors(boolean withMetadata, Object[]... tensors) {
        ObjectNode h = JSON.createObjectNode();
        if (withMetadata) h.putObject("__metadata__").put("format", "pt");
        long off = 0;
        for (Object[] t : tensors) {
            ObjectNode n = h.putObject((String) t[0]);
            n.put("dtype", (String) t[1]);
            ArrayNode shape = n.putArray("shape");
            long elems = 1;
            for (int i = 2; i < t.length; i++) {
                shape.add((Integer) t[i]);
                elems *= (Integer) t[i];
            }
            long bytes = elems * (t[1].equals("F32") ? 4 : 2);
            n.putArray("data_offsets").add(off).add(off + bytes);
            off += bytes;
        }
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + (int) off).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        for (int i = 0; i < off; i++) b.put((byte) (i * 37));
        return b.array();
    }

    // ------------------------------------------------------------------ Hugging Face directory

    /** config.json of an R1 distill shape, shrunk. */
    static byte[] configJson(boolean llama) {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(llama ? "LlamaForCausalLM" : "Qwen2ForCausalLM");
        c.put("model_type", llama ? "llama" : "qwen2");
        c.put("hidden_size", 8).put("num_hidden_layers", 1).put("num_attention_heads", 2)
                .put("num_key_value_heads", 1).put("intermediate_size", 8).put("vocab_size", 300)
                .put("max_position_embeddings", 64).put("rope_theta", llama ? 500000.0 : 10000.0)
                .put("rms_norm_eps", 1e-6).put("tie_word_embeddings", false).put("bos_token_id", 256)
                .put("eos_token_id", 257).put("torch_dtype", "bfloat16");
        if (llama) {
            c.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0)
                    .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 8192);
        }
        return bytes(c);
    }

    static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA3_SPLIT = QWEN2_SPLIT.replace("|\\p{N}|", "|\\p{N}{1,3}|");
    static final String BOS = "<\uFF5Cbegin\u2581of\u2581sentence\uFF5C>";
    static final String EOS = "<\uFF5Cend\u2581of\u2581sentence\uFF5C>";

    /** A byte-level BPE tokenizer.json: the 256 byte tokens, a few merges, added tokens. */
    static byte[] tokenizerJson(boolean llama) {
        ObjectNode tok = JSON.createObjectNode();
        tok.put("version", "1.0");
        ObjectNode model = tok.putObject("model");
        model.put("type", "BPE").put("ignore_merges", llama);
        ObjectNode vocab = model.putObject("vocab");
        int id = 0;
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(byteChar(b)), id++);
        id += 3; // 256..258 are added tokens below
        String[][] merges = {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"\u0120", "w"}, {"o", "r"}};
        for (String[] m : merges) vocab.put(m[0] + m[1], id++);
        ArrayNode ms = model.putArray("merges");
        for (int i = 0; i < merges.length; i++) {
            if (i % 2 == 0) ms.add(merges[i][0] + " " + merges[i][1]);
            else ms.addArray().add(merges[i][0]).add(merges[i][1]);
        }
        if (!llama) tok.putObject("normalizer").put("type", "NFC");
        ObjectNode split = tok.putObject("pre_tokenizer").put("type", "Sequence").putArray("pretokenizers").addObject();
        split.put("type", "Split").put("behavior", "Isolated").put("invert", false)
                .putObject("pattern").put("Regex", llama ? LLAMA3_SPLIT : QWEN2_SPLIT);
        ArrayNode added = tok.putArray("added_tokens");
        added.addObject().put("id", 256).put("content", BOS).put("special", true);
        added.addObject().put("id", 257).put("content", EOS).put("special", true);
        added.addObject().put("id", 258).put("content", "<think>").put("special", false);
        added.addObject().put("id", 270).put("content", "<|im_end|>").put("special", true);
        if (llama) {
            ObjectNode pp = tok.putObject("post_processor").put("type", "TemplateProcessing");
            pp.putArray("single").addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
            pp.putObject("special_tokens").putObject(BOS).put("id", BOS).putArray("ids").add(256);
        }
        return bytes(tok);
    }

    /** GPT-2's byte-to-unicode map (printable bytes stand for themselves). */
    static char byteChar(int b) {
        if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) return (char) b;
        int n = 0;
        for (int i = 0; i < b; i++) if (!((i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF))) n++;
        return (char) (256 + n);
    }

    /** An R1-style chat template (our own wording) exercising loops, tests, filters and string methods. */
    static final String R1_STYLE_TEMPLATE = """
            {% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}
            {{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ m['content'] }}{% endif %}{% endfor %}
            {% for m in messages %}
            {% if m['role'] == 'user' %}{{ '<｜User｜>' + m['content'] }}
            {% elif m['role'] == 'assistant' %}{% set c = m['content'] %}{% if '</think>' in c %}{% set c = c.split('</think>')[-1] %}{% endif %}{{ '<｜Assistant｜>' + c.strip() + eos_token }}
            {% elif m['role'] != 'system' %}{{ raise_exception('unknown role: ' + m['role']) }}
            {% endif %}
            {% endfor %}
            {% if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}{% endif %}""";

    /** A ChatML-style template with loop variables and filters. */
    static final String CHATML_STYLE_TEMPLATE = """
            {% for message in messages %}{% if loop.first and message.role != 'system' %}<|im_start|>system
            You are helpful.<|im_end|>
            {% endif %}<|im_start|>{{ message.role | lower }}
            {{ message.content | trim }}<|im_end|>
            {% endfor %}{% if add_generation_prompt %}<|im_start|>assistant
            {% endif %}{{ messages | length }}{{ range(3) | join(',') }}""";

    static byte[] tokenizerConfigJson(boolean llama) {
        ObjectNode c = JSON.createObjectNode();
        c.put("add_bos_token", true).put("add_eos_token", false);
        c.put("bos_token", BOS);
        c.putObject("eos_token").put("content", EOS).put("lstrip", false);
        c.put("model_max_length", 16384);
        if (llama) {
            c.putArray("chat_template").addObject().put("name", "default").put("template", R1_STYLE_TEMPLATE);
        } else {
            c.put("chat_template", R1_STYLE_TEMPLATE);
        }
        return bytes(c);
    }

    /** A chat-template harness input: the template, then message texts, separated by NUL. */
    static byte[] templateInput(String template, String... contents) {
        StringBuilder b = new StringBuilder(template);
        for (String c : contents) b.append(SEP).append(c);
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ObjectNode n) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every seed: resource directory (relative to src/test/resources) and file name to bytes. */
    static Map<String, byte[]> all() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        String gguf = "dev/r1/models/gguf/GgufFuzzHarnessInputs/gguf/";
        m.put(gguf + "seed-qwen2", ggufModel(false));
        m.put(gguf + "seed-llama", ggufModel(true));
        m.put(gguf + "seed-every-type", ggufEveryType());
        String st = "dev/r1/models/safetensors/SafetensorsFuzzHarnessInputs/safetensors/";
        m.put(st + "seed-three", safetensors(true, new Object[] {"a.weight", "F32", 2, 2},
                new Object[] {"b", "BF16", 3}, new Object[] {"c.bias", "F16", 1, 2}));
        m.put(st + "seed-empty-tensor", safetensors(false, new Object[] {"z", "F32", 0, 4}, new Object[] {"x", "BF16", 1}));
        String hf = "dev/r1/models/fuzz/HfDirFuzzHarnessInputs/";
        m.put(hf + "configJson/seed-qwen2", configJson(false));
        m.put(hf + "configJson/seed-llama", configJson(true));
        m.put(hf + "tokenizerJson/seed-qwen2", tokenizerJson(false));
        m.put(hf + "tokenizerJson/seed-llama", tokenizerJson(true));
        m.put(hf + "tokenizerConfigJson/seed-string-template", tokenizerConfigJson(false));
        m.put(hf + "tokenizerConfigJson/seed-named-templates", tokenizerConfigJson(true));
        String tpl = "dev/r1/models/template/ChatTemplateFuzzHarnessInputs/render/";
        m.put(tpl + "seed-r1-style", templateInput(R1_STYLE_TEMPLATE, "You are terse.", "Hi <think>", "x</think> Hello", "2+2?"));
        m.put(tpl + "seed-chatml-style", templateInput(CHATML_STYLE_TEMPLATE, "Hello", "{{ 7*7 }}", "  spaced  "));
        String tokz = "dev/r1/models/tokenizer/BpeFuzzHarnessInputs/";
        for (String h : new String[] {"qwen", "llama"}) {
            m.put(tokz + h + "/seed-text", "Hello world! It's 2025: déjà vu, 北京, 🙂\n\n  code()".getBytes(StandardCharsets.UTF_8));
            m.put(tokz + h + "/seed-special", ("<｜begin▁of▁sentence｜><｜User｜>1234567<think>\n</think><|im_end|>")
                    .getBytes(StandardCharsets.UTF_8));
        }
        return m;
    }

    /** Writes the seeds into {@code resources} (src/test/resources). */
    static void write(Path resources) throws IOException {
        for (Map.Entry<String, byte[]> e : all().entrySet()) {
            Path p = resources.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, e.getValue());
        }
    }
}

package dev.r1.quantize.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes a tiny but complete Hugging Face model directory, the converter's input: config.json, a small
 * byte-level BPE tokenizer.json + tokenizer_config.json (or a real tokenizer's files copied), and BF16
 * safetensors (single file or two shards + index), with random weights. The weights are kept as floats so
 * tests can compare what the converter made of them. For tests and tools; small models only.
 */
public final class SyntheticHfModel {
    static final ObjectMapper JSON = new ObjectMapper();

    public final boolean llama;
    public final int hidden, layers = 2, heads, kvHeads = 2, headDim, ffn, vocab;
    /** A real tokenizer directory to copy, or null for the small synthetic one. */
    public final Path tokenizerDir;
    /**
     * HF tensor name -> values (row-major, PyTorch shape [out, in]), already rounded to BF16. Mutable before
     * {@link #write}: tests plant NaNs or remove tensors to check the converter's errors.
     */
    public final Map<String, float[]> values = new LinkedHashMap<>();
    public final Map<String, long[]> shapes = new LinkedHashMap<>();

    /** Hidden 256, 4 heads of 64 (2 KV heads), FFN 512, 2 layers, vocabulary 32, the synthetic tokenizer. */
    public SyntheticHfModel(boolean llama, long seed) {
        this(llama, seed, 256, 4, 64, 512, 32, null);
    }

    /** @param tokenizerDir a real tokenizer directory to copy, or null for the small synthetic one (ids < 22) */
    public SyntheticHfModel(boolean llama, long seed, int hidden, int heads, int headDim, int ffn, int vocab, Path tokenizerDir) {
        this.llama = llama;
        this.hidden = hidden;
        this.heads = heads;
        this.headDim = headDim;
        this.ffn = ffn;
        this.vocab = vocab;
        this.tokenizerDir = tokenizerDir;
        Random r = new Random(seed);
        add("model.embed_tokens.weight", r, vocab, hidden);
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            add(p + "input_layernorm.weight", r, hidden);
            add(p + "self_attn.q_proj.weight", r, heads * headDim, hidden);
            add(p + "self_attn.k_proj.weight", r, kvHeads * headDim, hidden);
            add(p + "self_attn.v_proj.weight", r, kvHeads * headDim, hidden);
            if (!llama) {
                add(p + "self_attn.q_proj.bias", r, heads * headDim);
                add(p + "self_attn.k_proj.bias", r, kvHeads * headDim);
                add(p + "self_attn.v_proj.bias", r, kvHeads * headDim);
            }
            add(p + "self_attn.o_proj.weight", r, hidden, heads * headDim);
            add(p + "post_attention_layernorm.weight", r, hidden);
            add(p + "mlp.gate_proj.weight", r, ffn, hidden);
            add(p + "mlp.up_proj.weight", r, ffn, hidden);
            add(p + "mlp.down_proj.weight", r, hidden, ffn);
        }
        add("model.norm.weight", r, hidden);
        add("lm_head.weight", r, vocab, hidden);
    }

    private void add(String name, Random r, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[(int) n];
        boolean norm = name.contains("norm");
        for (int i = 0; i < v.length; i++) v[i] = bf16Round((float) (norm ? 1 + 0.1 * r.nextGaussian() : 0.05 * r.nextGaussian()));
        values.put(name, v);
        shapes.put(name, shape);
    }

    static float bf16Round(float f) {
        int u = Float.floatToRawIntBits(f);
        return Float.intBitsToFloat(((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) << 16);
    }

    /** Writes the directory; {@code shards} 1 (model.safetensors) or 2 (index + two shards). */
    public Path write(Path dir, int shards) throws IOException {
        Files.createDirectories(dir);
        ObjectNode cfg = JSON.createObjectNode();
        cfg.putArray("architectures").add(llama ? "LlamaForCausalLM" : "Qwen2ForCausalLM");
        cfg.put("model_type", llama ? "llama" : "qwen2");
        cfg.put("hidden_size", hidden).put("num_hidden_layers", layers).put("num_attention_heads", heads)
                .put("num_key_value_heads", kvHeads).put("intermediate_size", ffn).put("vocab_size", vocab)
                .put("max_position_embeddings", 4096).put("rope_theta", llama ? 500000.0 : 10000.0)
                .put("rms_norm_eps", 1e-6).put("tie_word_embeddings", false).put("bos_token_id", 1).put("eos_token_id", 2);
        if (llama) {
            ObjectNode rs = cfg.putObject("rope_scaling");
            rs.put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0)
                    .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 8192);
        }
        JSON.writeValue(dir.resolve("config.json").toFile(), cfg);
        if (tokenizerDir == null) {
            writeTokenizer(dir);
        } else {
            for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
                Files.copy(tokenizerDir.resolve(f), dir.resolve(f));
            }
        }
        List<String> names = List.copyOf(values.keySet());
        if (shards == 1) {
            writeSafetensors(dir.resolve("model.safetensors"), names);
        } else {
            List<String> a = names.subList(0, names.size() / 2), b = names.subList(names.size() / 2, names.size());
            writeSafetensors(dir.resolve("model-00001-of-00002.safetensors"), a);
            writeSafetensors(dir.resolve("model-00002-of-00002.safetensors"), b);
            ObjectNode idx = JSON.createObjectNode();
            ObjectNode wm = idx.putObject("weight_map");
            for (String n : a) wm.put(n, "model-00001-of-00002.safetensors");
            for (String n : b) wm.put(n, "model-00002-of-00002.safetensors");
            JSON.writeValue(dir.resolve("model.safetensors.index.json").toFile(), idx);
        }
        return dir;
    }

    private void writeTokenizer(Path dir) throws IOException {
        ObjectNode tok = JSON.createObjectNode();
        ObjectNode model = tok.putObject("model");
        model.put("type", "BPE");
        ObjectNode v = model.putObject("vocab");
        String[] base = {"a", "b", "ab", "Ġ", "Ġa", "c", "abc"};
        int id = 3;
        for (String s : base) v.put(s, id++);
        model.put("ignore_merges", llama); // Llama 3 skips BPE for whole-vocabulary pieces; Qwen does not
        ArrayNode merges = model.putArray("merges");
        merges.add("a b");
        merges.addArray().add("Ġ").add("a");
        merges.add("ab c");
        // The split regex and normalizer of the real Qwen2 / Llama 3 tokenizer.json: they name the pre-tokenizer.
        if (!llama) tok.putObject("normalizer").put("type", "NFC");
        ObjectNode split = tok.putObject("pre_tokenizer").put("type", "Sequence").putArray("pretokenizers").addObject();
        split.put("type", "Split").put("behavior", "Isolated").put("invert", false)
                .putObject("pattern").put("Regex", llama ? LLAMA3_SPLIT : QWEN2_SPLIT);
        ArrayNode added = tok.putArray("added_tokens");
        added.addObject().put("id", 0).put("content", "<unk>").put("special", true);
        added.addObject().put("id", 1).put("content", "<\uFF5Cbegin\u2581of\u2581sentence\uFF5C>").put("special", true);
        added.addObject().put("id", 2).put("content", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>").put("special", true);
        added.addObject().put("id", 20).put("content", "<think>").put("special", false);
        added.addObject().put("id", 21).put("content", "<|im_start|>").put("special", false);
        JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tok);
        ObjectNode tc = JSON.createObjectNode();
        tc.put("add_bos_token", true).put("add_eos_token", false);
        tc.put("bos_token", "<\uFF5Cbegin\u2581of\u2581sentence\uFF5C>");
        tc.putObject("eos_token").put("content", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>");
        tc.put("chat_template", "{% for m in messages %}{{ m['content'] }}{% endfor %}");
        JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), tc);
    }

    static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private void writeSafetensors(Path file, List<String> names) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long off = 0;
        for (String n : names) {
            ObjectNode t = header.putObject(n);
            t.put("dtype", "BF16");
            ArrayNode shape = t.putArray("shape");
            for (long d : shapes.get(n)) shape.add(d);
            long bytes = values.get(n).length * 2L;
            t.putArray("data_offsets").add(off).add(off + bytes);
            off += bytes;
        }
        byte[] h = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
            out.write(len.array());
            out.write(h);
            for (String n : names) {
                float[] v = values.get(n);
                ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) b.putShort((short) (Float.floatToRawIntBits(f) >>> 16));
                out.write(b.array());
            }
        }
    }
}

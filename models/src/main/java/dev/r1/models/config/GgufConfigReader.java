package dev.r1.models.config;

import dev.r1.models.Limits;
import dev.r1.models.ModelException;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufTensor;
import dev.r1.models.tensor.GgmlType;

import java.util.List;
import java.util.Optional;

/** {@link ModelConfig#fromGguf}: the keys llama.cpp's converter writes for qwen2 and llama. */
final class GgufConfigReader {
    private GgufConfigReader() {}

    /** Llama-3-family rope scalings we can recognise from a stored rope_freqs tensor. */
    private static final List<Llama3RopeScaling> KNOWN_SCALINGS = List.of(
            Llama3RopeScaling.LLAMA_3_1, new Llama3RopeScaling(32f, 1f, 4f, 8192));

    static ModelConfig read(GgufFile f) {
        Architecture arch = Architecture.fromGguf(f.getString("general.architecture"), f.path());
        String p = arch.ggufName() + ".";
        int hidden = capped(f, p + "embedding_length", Limits.MODEL_DIM);
        int heads = capped(f, p + "attention.head_count", Limits.HEADS);
        if (heads <= 0 || hidden % heads != 0 && !f.has(p + "attention.key_length")) {
            throw ModelException.at(f.path(), p + "attention.head_count", heads + " does not divide embedding_length " + hidden);
        }
        int headDim = f.optInt(p + "attention.key_length").orElse(hidden / Math.max(heads, 1));
        f.optInt(p + "attention.value_length").ifPresent(v -> {
            if (v != headDim) throw ModelException.at(f.path(), p + "attention.value_length", "expected " + headDim + " (= key_length), found " + v);
        });
        f.optInt(p + "rope.dimension_count").ifPresent(v -> {
            if (v != headDim) {
                throw ModelException.at(f.path(), p + "rope.dimension_count", "expected the head dim " + headDim
                        + " (r1 rotates whole heads), found " + v);
            }
        });
        int vocab = vocab(f, p);
        boolean qkvBias = f.hasTensor("blk.0.attn_q.bias");
        boolean tied = !f.hasTensor(TensorLayout.OUTPUT);
        Optional<Llama3RopeScaling> scaling = ropeScaling(f, headDim, f.optFloat(p + "rope.freq_base").orElse(10000f));
        try {
            return new ModelConfig(arch, hidden, capped(f, p + "block_count", Limits.LAYERS), heads,
                    f.optInt(p + "attention.head_count_kv").orElse(heads), headDim, f.getInt(p + "feed_forward_length"),
                    vocab, f.getInt(p + "context_length"), f.optFloat(p + "rope.freq_base").orElse(10000f),
                    f.getFloat(p + "attention.layer_norm_rms_epsilon"), qkvBias, tied, scaling);
        } catch (ModelException e) {
            if (e.getMessage().startsWith(f.path().toString())) throw e;
            throw new ModelException(f.path() + ": " + e.getMessage(), e);
        }
    }

    /** An integer key checked against its cap, so the error names the key. */
    private static int capped(GgufFile f, String key, int cap) {
        return (int) Limits.check(f.path(), key, f.getInt(key), cap, "");
    }

    /** {@code <arch>.vocab_size}, else the token list's length, checked against token_embd's rows. */
    private static int vocab(GgufFile f, String p) {
        Optional<GgufTensor> embd = f.findTensor(TensorLayout.TOKEN_EMBD);
        int vocab;
        String source;
        if (f.has(p + "vocab_size")) {
            vocab = capped(f, p + "vocab_size", Limits.VOCAB);
            source = p + "vocab_size";
        } else if (f.has("tokenizer.ggml.tokens")) {
            vocab = f.getArray("tokenizer.ggml.tokens").size();
            source = "tokenizer.ggml.tokens";
        } else if (embd.isPresent() && embd.get().nDims() == 2) {
            return (int) Limits.check(f.path(), "tensor '" + TensorLayout.TOKEN_EMBD + "' rows", embd.get().dim(1),
                    Limits.VOCAB, "tokens");
        } else {
            throw ModelException.at(f.path(), p + "vocab_size", "missing, and there is no tokenizer.ggml.tokens or "
                    + TensorLayout.TOKEN_EMBD + " to take the vocabulary size from");
        }
        if (embd.isPresent() && embd.get().dim(1) != vocab) {
            throw ModelException.at(f.path(), source, "vocabulary of " + vocab + " disagrees with "
                    + TensorLayout.TOKEN_EMBD + " rows " + embd.get().dim(1));
        }
        return vocab;
    }

    /** Llama 3.1 scaling, recognised from the stored rope_freqs tensor (converters write no keys for it). */
    private static Optional<Llama3RopeScaling> ropeScaling(GgufFile f, int headDim, float theta) {
        Optional<GgufTensor> t = f.findTensor(TensorLayout.ROPE_FREQS);
        if (t.isEmpty()) return Optional.empty();
        if (t.get().type() != GgmlType.F32 || t.get().nElements() != headDim / 2) {
            throw ModelException.at(f.path(), "tensor '" + TensorLayout.ROPE_FREQS + "'", "expected F32 [" + headDim / 2
                    + "], found " + t.get().type() + " " + java.util.Arrays.toString(t.get().dims()));
        }
        float[] stored = GgmlType.F32.dequantize(f.data(t.get()));
        for (Llama3RopeScaling s : KNOWN_SCALINGS) {
            if (RopeFreqs.closeTo(stored, s.ropeFactors(headDim, theta))) return Optional.of(s);
        }
        // Unknown parameters: the engine still applies the stored factors; the config just cannot name them.
        return Optional.empty();
    }
}

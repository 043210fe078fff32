package dev.r1.models.config;

import dev.r1.models.Limits;
import dev.r1.models.ModelException;
import dev.r1.models.gguf.GgufFile;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The shape and hyper-parameters of a Qwen2 or Llama decoder, as the engine needs them.
 *
 * @param headDim       per-head dimension (128 for every R1 distill)
 * @param ffn           feed-forward (intermediate) size
 * @param vocab         rows of the embedding / output matrices (may exceed the tokenizer's tokens)
 * @param qkvBias       whether q/k/v projections carry a bias (Qwen2: yes)
 * @param tiedEmbeddings whether the output projection reuses the token embedding (no output.weight)
 * @param ropeScaling   Llama 3.1 rope scaling, if any (stored in GGUF as {@code rope_freqs.weight})
 */
public record ModelConfig(Architecture arch, int hidden, int layers, int heads, int kvHeads, int headDim, int ffn,
                          int vocab, int contextLength, float ropeTheta, float rmsEps, boolean qkvBias,
                          boolean tiedEmbeddings, Optional<Llama3RopeScaling> ropeScaling) {

    /** @throws ModelException if the numbers cannot describe a working model */
    public ModelConfig {
        if (arch == null) throw new ModelException("model config: architecture is missing");
        ropeScaling = ropeScaling == null ? Optional.empty() : ropeScaling;
        positive("hidden size", hidden);
        positive("layer count", layers);
        positive("head count", heads);
        positive("kv head count", kvHeads);
        positive("head dim", headDim);
        positive("feed-forward size", ffn);
        positive("vocab size", vocab);
        positive("context length", contextLength);
        // Caps before anything is sized by them: TensorLayout.expected lists 12 tensors per layer.
        atMost("layer count", layers, Limits.LAYERS);
        atMost("hidden size", hidden, Limits.MODEL_DIM);
        atMost("head dim", headDim, Limits.MODEL_DIM);
        atMost("feed-forward size", ffn, Limits.MODEL_DIM);
        atMost("head count", heads, Limits.HEADS);
        atMost("kv head count", kvHeads, Limits.HEADS);
        atMost("vocab size", vocab, Limits.VOCAB);
        atMost("context length", contextLength, Limits.CONTEXT);
        if (heads % kvHeads != 0) {
            throw new ModelException("model config: head count " + heads + " is not a multiple of kv head count " + kvHeads);
        }
        if (headDim % 2 != 0) throw new ModelException("model config: head dim " + headDim + " must be even for RoPE");
        if (!(ropeTheta > 0) || Float.isInfinite(ropeTheta)) throw new ModelException("model config: rope theta " + ropeTheta + " must be positive");
        if (!(rmsEps > 0) || rmsEps >= 1) throw new ModelException("model config: rms norm epsilon " + rmsEps + " must be in (0, 1)");
        // Every tensor dimension and the KV cache row must fit in an int (Java arrays, kernel indexing).
        if ((long) heads * headDim > Integer.MAX_VALUE) throw new ModelException("model config: heads x head dim overflows");
    }

    private static void atMost(String what, int v, int cap) {
        if (v > cap) {
            throw new ModelException("model config: " + what + " " + v + " exceeds r1's limit of " + cap
                    + " (dev.r1.models.Limits): the file is corrupt or hostile");
        }
    }

    private static void positive(String what, int v) {
        if (v <= 0) throw new ModelException("model config: " + what + " must be positive, found " + v);
    }

    /** Width of the concatenated query heads ({@code heads * headDim}). */
    public int qDim() { return heads * headDim; }

    /** Width of the concatenated key (or value) heads ({@code kvHeads * headDim}). */
    public int kvDim() { return kvHeads * headDim; }

    /** Query heads per KV head. */
    public int groupSize() { return heads / kvHeads; }

    /** Number of weights (biases and norms included; rope_freqs and tied duplicates not). */
    public long parameterCount() {
        long n = 0;
        for (TensorLayout.TensorSpec t : TensorLayout.expected(this)) {
            if (!t.name().equals(TensorLayout.ROPE_FREQS)) n += t.nElements();
        }
        return n;
    }

    /** Reads the config from GGUF metadata ({@code <arch>.*} keys) and tensor infos. */
    public static ModelConfig fromGguf(GgufFile file) {
        return GgufConfigReader.read(file);
    }

    /** Reads a Hugging Face {@code config.json} (Qwen2ForCausalLM or LlamaForCausalLM). */
    public static ModelConfig fromHfConfig(Path configJson) {
        return HfConfigReader.read(configJson);
    }

    public ModelConfig withVocab(int v) {
        return new ModelConfig(arch, hidden, layers, heads, kvHeads, headDim, ffn, v, contextLength, ropeTheta, rmsEps,
                qkvBias, tiedEmbeddings, ropeScaling);
    }

    public ModelConfig withContextLength(int ctx) {
        return new ModelConfig(arch, hidden, layers, heads, kvHeads, headDim, ffn, vocab, ctx, ropeTheta, rmsEps,
                qkvBias, tiedEmbeddings, ropeScaling);
    }
}

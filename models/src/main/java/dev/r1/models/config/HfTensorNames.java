package dev.r1.models.config;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hugging Face (PyTorch) tensor names of Qwen2/Llama checkpoints mapped to their GGUF names, and the
 * row permutation llama.cpp's converter applies to Llama q/k projections.
 *
 * <p>Why the permutation: HF Llama rotates the two halves of each head (NeoX order) while llama.cpp's
 * {@code llama} architecture rotates adjacent pairs, so the converter reorders the rows of
 * {@code q_proj} (with {@code heads}) and {@code k_proj} (with {@code kvHeads}). Qwen2 runs with NeoX
 * rope in llama.cpp and is not permuted.
 */
public final class HfTensorNames {
    private HfTensorNames() {}

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");

    /** The GGUF name for {@code hfName}, or empty for tensors GGUF does not keep (e.g. rotary inv_freq). */
    public static Optional<String> toGguf(String hfName) {
        switch (hfName) {
            case "model.embed_tokens.weight": return Optional.of(TensorLayout.TOKEN_EMBD);
            case "model.norm.weight": return Optional.of(TensorLayout.OUTPUT_NORM);
            case "lm_head.weight": return Optional.of(TensorLayout.OUTPUT);
            default: break;
        }
        Matcher m = LAYER.matcher(hfName);
        if (!m.matches()) return Optional.empty();
        int layer = Integer.parseInt(m.group(1));
        String suffix = switch (m.group(2)) {
            case "input_layernorm.weight" -> "attn_norm.weight";
            case "self_attn.q_proj.weight" -> "attn_q.weight";
            case "self_attn.q_proj.bias" -> "attn_q.bias";
            case "self_attn.k_proj.weight" -> "attn_k.weight";
            case "self_attn.k_proj.bias" -> "attn_k.bias";
            case "self_attn.v_proj.weight" -> "attn_v.weight";
            case "self_attn.v_proj.bias" -> "attn_v.bias";
            case "self_attn.o_proj.weight" -> "attn_output.weight";
            case "post_attention_layernorm.weight" -> "ffn_norm.weight";
            case "mlp.gate_proj.weight" -> "ffn_gate.weight";
            case "mlp.up_proj.weight" -> "ffn_up.weight";
            case "mlp.down_proj.weight" -> "ffn_down.weight";
            default -> null;
        };
        return suffix == null ? Optional.empty() : Optional.of(TensorLayout.blk(layer, suffix));
    }

    /**
     * The number of heads whose rows must be permuted when converting {@code hfName} for {@code c},
     * or 0: Llama q_proj (weight or bias) uses {@code heads}, k_proj uses {@code kvHeads}.
     */
    public static int ropePermuteHeads(String hfName, ModelConfig c) {
        if (c.arch() != Architecture.LLAMA) return 0;
        if (hfName.endsWith("self_attn.q_proj.weight") || hfName.endsWith("self_attn.q_proj.bias")) return c.heads();
        if (hfName.endsWith("self_attn.k_proj.weight") || hfName.endsWith("self_attn.k_proj.bias")) return c.kvHeads();
        return 0;
    }

    /**
     * For the permuted tensor, the HF row that becomes GGUF row {@code outRow}. Within each head of
     * {@code headRows} rows, GGUF row {@code 2i + j} comes from HF row {@code j * headRows/2 + i}.
     */
    public static int ropePermuteSourceRow(int outRow, int headRows) {
        int head = outRow / headRows, r = outRow % headRows;
        return head * headRows + (r % 2) * (headRows / 2) + r / 2;
    }
}

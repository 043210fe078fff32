package dev.r1.quantize;

import dev.r1.models.tensor.GgmlType;

/**
 * Which type each tensor gets, following llama-quantize ({@code llama_tensor_get_type}) for the
 * targets r1 writes, without an importance matrix:
 * <ul>
 *   <li>only 2-D tensors whose name ends in {@code weight} and is not a norm are quantized; norms,
 *       biases and {@code rope_freqs} stay F32;</li>
 *   <li>{@code output.weight} (or {@code token_embd.weight} when the embeddings are tied) gets Q6_K,
 *       or Q8_0 when its rows are not a multiple of 256 or the target is Q8_0;</li>
 *   <li>Q4_K_M gives {@code attn_v} and {@code ffn_down} Q6_K in the layers where
 *       {@link #useMoreBits} holds (the first and last eighth, and every third in between);</li>
 *   <li>{@code pure} turns the mix off: every quantized tensor gets the target's type;</li>
 *   <li>a row length the chosen type cannot hold falls back (Q4_K and Q6_K to Q8_0 here, since r1 has
 *       no Q5_0; then F16) and the fallback is reported.</li>
 * </ul>
 */
public final class TensorPolicy {
    private TensorPolicy() {}

    /** A tensor's type and, when it differs from the plain rule, why. */
    public record Choice(GgmlType type, String note) {}

    /** llama.cpp's {@code use_more_bits(i_layer, n_layers)}. */
    public static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    /**
     * The type for tensor {@code name} with GGUF dims {@code dims} ({@code dims[0]} = row length).
     *
     * @param layers    the model's layer count (for Q4_K_M's layer rule)
     * @param tied      whether token_embd doubles as the output projection
     * @param llama70b  llama.cpp's 70B rule (attn_v Q4_K -> Q5_K; r1 uses Q6_K, having no Q5_K)
     */
    public static Choice choose(String name, long[] dims, TargetType target, boolean pure, int layers, boolean tied,
                                boolean llama70b) {
        boolean matrix = nDims(dims) >= 2;
        boolean quantizable = matrix && name.endsWith("weight") && !name.contains("_norm.weight");
        if (!quantizable) return new Choice(GgmlType.F32, null);
        if (!target.isQuantized()) return new Choice(target.baseType(), null);

        GgmlType type = target.baseType();
        String note = null;
        boolean output = name.equals("output.weight") || (tied && name.equals("token_embd.weight"));
        if (!pure) {
            if (output) {
                type = dims[0] % 256 != 0 || type == GgmlType.Q8_0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
            } else if (target == TargetType.Q4_K_M) {
                int layer = layerOf(name);
                if (name.contains("attn_v.weight") && layer >= 0) {
                    if (useMoreBits(layer, layers)) type = GgmlType.Q6_K;
                    else if (llama70b) {
                        type = GgmlType.Q6_K;
                        note = "llama-quantize uses Q5_K here (70B attn_v); r1 has no Q5_K and uses Q6_K";
                    }
                } else if (name.contains("ffn_down") && layer >= 0 && useMoreBits(layer, layers)) {
                    type = GgmlType.Q6_K;
                }
            }
        }
        long ncols = dims[0];
        if (ncols % type.blockSize() != 0) {
            GgmlType fallback = switch (type) {
                case Q4_K, Q6_K -> GgmlType.Q8_0;
                default -> GgmlType.F16;
            };
            if (ncols % fallback.blockSize() != 0) fallback = GgmlType.F16;
            String why = "rows of " + ncols + " are not a multiple of " + type.blockSize() + " (" + type
                    + "); falling back to " + fallback;
            if (type == GgmlType.Q4_K && fallback == GgmlType.Q8_0) why += " (llama-quantize would use Q5_0)";
            type = fallback;
            note = why;
        }
        return new Choice(type, note);
    }

    /** ggml_n_dims: trailing dimensions of 1 do not count. */
    private static int nDims(long[] dims) {
        for (int i = dims.length - 1; i >= 1; i--) if (dims[i] > 1) return i + 1;
        return 1;
    }

    /** The layer number of a {@code blk.N.} tensor, or -1. */
    static int layerOf(String name) {
        if (!name.startsWith("blk.")) return -1;
        int dot = name.indexOf('.', 4);
        try {
            return dot < 0 ? -1 : Integer.parseInt(name.substring(4, dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}

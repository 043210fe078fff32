package dev.r1.quantize;

import dev.r1.models.tensor.GgmlType;

/**
 * Which type each tensor gets, following llama-quantize ({@code llama_tensor_get_type}) for the
 * targets r1 writes, without an importance matrix:
 * <ul>
 *   <li>only 2-D tensors whose name ends in {@code weight} and is not a norm are quantized; norms,
 *       biases and {@code rope_freqs} stay F32;</li>
 *   <li>{@code output.weight} (or {@code token_embd.weight} when the embeddings are tied) gets Q6_K,
 *       or Q8_0 when its rows are not a whole number of the target's blocks or the target is Q8_0;</li>
 *   <li>the K-quant and IQ4 mixes give some {@code attn_v}, {@code ffn_down} and {@code attn_output}
 *       tensors more bits, by layer ({@link #useMoreBits}: the first and last eighth and every third in
 *       between) and by the model's grouped-query factor (heads / kv heads), see {@link #mix};</li>
 *   <li>{@code pure} turns the mix off: every quantized tensor gets the target's type;</li>
 *   <li>a row length the chosen type cannot hold falls back as llama-quantize does (Q2_K and Q3_K to
 *       Q4_0, Q4_K to Q5_0, Q5_K to Q5_1, Q6_K to Q8_0, IQ4_XS to IQ4_NL; then F16) and the fallback is
 *       reported.</li>
 * </ul>
 * Layer numbers come from the {@code blk.N.} names; llama-quantize counts tensors in file order, which
 * is the same for the dense models r1 handles.
 */
public final class TensorPolicy {
    private TensorPolicy() {}

    /** A tensor's type and, when it differs from the plain rule, why. */
    public record Choice(GgmlType type, String note) {}

    /** What of the model (and run) the mixes look at besides the tensor itself. */
    public record Model(int layers, boolean tied, boolean llama70b, int gqa, boolean imatrix) {
        public Model(int layers, boolean tied, boolean llama70b, int gqa) {
            this(layers, tied, llama70b, gqa, false);
        }
    }

    /** llama.cpp's {@code use_more_bits(i_layer, n_layers)}. */
    public static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    /**
     * The type for tensor {@code name} with GGUF dims {@code dims} ({@code dims[0]} = row length).
     *
     * @param layers    the model's layer count (for the layer rules)
     * @param tied      whether token_embd doubles as the output projection
     * @param llama70b  llama.cpp's 70B rule (attn_v Q3_K/Q4_K -> Q5_K)
     * @param gqa       attention heads per kv head (llama.cpp's {@code n_gqa()})
     */
    public static Choice choose(String name, long[] dims, TargetType target, boolean pure, int layers, boolean tied,
                                boolean llama70b, int gqa) {
        return choose(name, dims, target, pure, new Model(layers, tied, llama70b, gqa));
    }

    public static Choice choose(String name, long[] dims, TargetType target, boolean pure, Model m) {
        boolean matrix = nDims(dims) >= 2;
        boolean quantizable = matrix && name.endsWith("weight") && !name.contains("_norm.weight");
        if (!quantizable) return new Choice(GgmlType.F32, null);
        if (!target.isQuantized()) return new Choice(target.baseType(), null);

        GgmlType type = target.baseType();
        if (!pure) type = mix(name, dims, target, m);
        long ncols = dims[0];
        if (ncols % type.blockSize() == 0) return new Choice(type, null);
        GgmlType fallback = switch (type) {
            case Q2_K, Q3_K -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            case IQ4_XS -> GgmlType.IQ4_NL;
            default -> GgmlType.F16; // llama-quantize gives up here; F16 keeps the model usable
        };
        if (ncols % fallback.blockSize() != 0) fallback = GgmlType.F16;
        return new Choice(fallback, "rows of " + ncols + " are not a multiple of " + type.blockSize() + " (" + type
                + "); falling back to " + fallback);
    }

    /** llama-quantize's choice for one tensor under {@code target}'s mix, before the row-length fallback. */
    static GgmlType mix(String name, long[] dims, TargetType target, Model m) {
        GgmlType type = target.baseType();
        int layer = layerOf(name), n = m.layers();
        boolean output = name.equals("output.weight") || (m.tied() && name.equals("token_embd.weight"));
        if (output) {
            return dims[0] % type.blockSize() != 0 || type == GgmlType.Q8_0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
        }
        if (layer < 0) return type;
        boolean iq4 = target == TargetType.IQ4_NL || target == TargetType.IQ4_XS;
        if (name.contains("attn_v.weight") || name.contains("attn_qkv.weight") || name.contains("attn_kv_b.weight")) {
            switch (target) {
                case Q2_K -> type = m.gqa() >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
                case Q3_K_M -> type = layer < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case Q3_K_L -> type = GgmlType.Q5_K;
                case IQ4_NL, IQ4_XS -> { if (m.gqa() >= 4) type = GgmlType.Q5_K; }
                case Q4_K_M, Q5_K_M -> { if (useMoreBits(layer, n)) type = GgmlType.Q6_K; }
                case Q4_K_S -> { if (layer < 4) type = GgmlType.Q5_K; }
                default -> { }
            }
            if (m.llama70b() && (type == GgmlType.Q3_K || type == GgmlType.Q4_K)) type = GgmlType.Q5_K;
        } else if (name.contains("ffn_down")) {
            switch (target) {
                case Q2_K -> type = GgmlType.Q3_K;
                case Q3_K_M -> type = layer < n / 16 ? GgmlType.Q5_K : GgmlType.Q4_K;
                case Q3_K_L -> type = GgmlType.Q5_K;
                case Q4_K_M, Q5_K_M -> { if (useMoreBits(layer, n)) type = GgmlType.Q6_K; }
                case Q4_K_S -> { if (layer < n / 8) type = GgmlType.Q5_K; }
                default -> {
                    if (iq4 && layer < n / 8 && !m.imatrix()) type = GgmlType.Q5_K;
                    // with an imatrix, llama-quantize guards the first eighth of Q4_0/Q5_0 ffn_down with a min
                    if (m.imatrix() && layer < n / 8 && target == TargetType.Q4_0) type = GgmlType.Q4_1;
                    if (m.imatrix() && layer < n / 8 && target == TargetType.Q5_0) type = GgmlType.Q5_1;
                }
            }
        } else if (name.contains("attn_output.weight")) {
            switch (target) {
                case Q2_K -> type = GgmlType.Q3_K;
                case Q3_K_M -> type = GgmlType.Q4_K;
                case Q3_K_L -> type = GgmlType.Q5_K;
                default -> { }
            }
        }
        return type;
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

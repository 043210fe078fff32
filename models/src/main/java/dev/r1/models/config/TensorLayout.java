package dev.r1.models.config;

import dev.r1.models.ModelException;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufTensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The GGUF tensor names and shapes of a qwen2/llama model, as llama.cpp names them, so the synthetic
 * model generator, the quantizer and the engine agree. Shapes are in GGUF order: {@code ne0} (the
 * input / column dimension of a weight matrix) first, so a PyTorch {@code [out, in]} weight is
 * {@code [in, out]} here.
 */
public final class TensorLayout {
    private TensorLayout() {}

    public static final String TOKEN_EMBD = "token_embd.weight";
    public static final String OUTPUT_NORM = "output_norm.weight";
    public static final String OUTPUT = "output.weight";
    public static final String ROPE_FREQS = "rope_freqs.weight";

    public static String attnNorm(int layer) { return blk(layer, "attn_norm.weight"); }
    public static String attnQ(int layer) { return blk(layer, "attn_q.weight"); }
    public static String attnQBias(int layer) { return blk(layer, "attn_q.bias"); }
    public static String attnK(int layer) { return blk(layer, "attn_k.weight"); }
    public static String attnKBias(int layer) { return blk(layer, "attn_k.bias"); }
    public static String attnV(int layer) { return blk(layer, "attn_v.weight"); }
    public static String attnVBias(int layer) { return blk(layer, "attn_v.bias"); }
    public static String attnOutput(int layer) { return blk(layer, "attn_output.weight"); }
    public static String ffnNorm(int layer) { return blk(layer, "ffn_norm.weight"); }
    public static String ffnGate(int layer) { return blk(layer, "ffn_gate.weight"); }
    public static String ffnUp(int layer) { return blk(layer, "ffn_up.weight"); }
    public static String ffnDown(int layer) { return blk(layer, "ffn_down.weight"); }

    /** {@code blk.<layer>.<suffix>}. */
    public static String blk(int layer, String suffix) { return "blk." + layer + "." + suffix; }

    /** One expected tensor: name and GGUF dims ({@code ne0} first). */
    public record TensorSpec(String name, long[] dims) {
        public TensorSpec {
            dims = dims.clone();
        }

        @Override public long[] dims() { return dims.clone(); }

        public long nElements() {
            long n = 1;
            for (long d : dims) n = Math.multiplyExact(n, d);
            return n;
        }

        /** True for 1-D tensors (norms, biases, rope factors), which stay F32 in quantized files. */
        public boolean isVector() { return dims.length == 1; }

        @Override public boolean equals(Object o) {
            return o instanceof TensorSpec s && s.name.equals(name) && Arrays.equals(s.dims, dims);
        }

        @Override public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(dims); }

        @Override public String toString() { return name + Arrays.toString(dims); }
    }

    /** Every tensor a model with config {@code c} has, in the order llama.cpp-converted files use. */
    public static List<TensorSpec> expected(ModelConfig c) {
        List<TensorSpec> out = new ArrayList<>();
        long h = c.hidden(), q = c.qDim(), kv = c.kvDim(), ffn = c.ffn();
        out.add(new TensorSpec(TOKEN_EMBD, new long[] {h, c.vocab()}));
        if (c.ropeScaling().isPresent()) out.add(new TensorSpec(ROPE_FREQS, new long[] {c.headDim() / 2}));
        for (int i = 0; i < c.layers(); i++) {
            out.add(new TensorSpec(attnNorm(i), new long[] {h}));
            out.add(new TensorSpec(attnQ(i), new long[] {h, q}));
            if (c.qkvBias()) out.add(new TensorSpec(attnQBias(i), new long[] {q}));
            out.add(new TensorSpec(attnK(i), new long[] {h, kv}));
            if (c.qkvBias()) out.add(new TensorSpec(attnKBias(i), new long[] {kv}));
            out.add(new TensorSpec(attnV(i), new long[] {h, kv}));
            if (c.qkvBias()) out.add(new TensorSpec(attnVBias(i), new long[] {kv}));
            out.add(new TensorSpec(attnOutput(i), new long[] {q, h}));
            out.add(new TensorSpec(ffnNorm(i), new long[] {h}));
            out.add(new TensorSpec(ffnGate(i), new long[] {h, ffn}));
            out.add(new TensorSpec(ffnUp(i), new long[] {h, ffn}));
            out.add(new TensorSpec(ffnDown(i), new long[] {ffn, h}));
        }
        out.add(new TensorSpec(OUTPUT_NORM, new long[] {h}));
        if (!c.tiedEmbeddings()) out.add(new TensorSpec(OUTPUT, new long[] {h, c.vocab()}));
        return out;
    }

    /**
     * Checks that {@code file} holds every tensor {@code c} needs, with the expected shape
     * (trailing 1-dims ignored, as ggml does).
     *
     * @throws ModelException naming the file and the first missing or misshapen tensor
     */
    public static void verify(GgufFile file, ModelConfig c) {
        for (TensorSpec spec : expected(c)) {
            GgufTensor t = file.findTensor(spec.name()).orElseThrow(() -> ModelException.at(file.path(),
                    "tensor '" + spec.name() + "'", "missing; a " + c.arch().ggufName() + " model with this config needs it"));
            long[] want = spec.dims();
            for (int d = 0; d < Math.max(want.length, t.nDims()); d++) {
                long w = d < want.length ? want[d] : 1;
                if (t.dim(d) != w) {
                    throw ModelException.at(file.path(), "tensor '" + spec.name() + "'", "expected shape "
                            + Arrays.toString(want) + ", found " + Arrays.toString(t.dims()));
                }
            }
        }
    }
}

package dev.r1.engine.model;

import dev.r1.models.ModelException;
import dev.r1.models.config.Architecture;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.TensorLayout;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufTensor;
import dev.r1.models.tensor.GgmlType;

/**
 * A model's tensors handed to a backend: matrices stay where the file maps them (the CPU backend reads
 * them in place), small vectors (norms, biases) are widened to float.
 */
public final class ModelWeights {

    /** One decoder layer; biases are null when the architecture has none. */
    public record Layer(Backend.Buffer attnNorm, Backend.Matrix q, Backend.Matrix k, Backend.Matrix v,
                        Backend.Buffer qBias, Backend.Buffer kBias, Backend.Buffer vBias, Backend.Matrix o,
                        Backend.Buffer ffnNorm, Backend.Matrix gate, Backend.Matrix up, Backend.Matrix down) {}

    public final ModelConfig config;
    public final Backend.Matrix tokenEmbd;
    public final Backend.Matrix output;
    public final Backend.Buffer outputNorm;
    public final Layer[] layers;
    public final Backend.Rope rope;

    private ModelWeights(ModelConfig config, Backend.Matrix tokenEmbd, Backend.Matrix output, Backend.Buffer outputNorm,
                         Layer[] layers, Backend.Rope rope) {
        this.config = config;
        this.tokenEmbd = tokenEmbd;
        this.output = output;
        this.outputNorm = outputNorm;
        this.layers = layers;
        this.rope = rope;
    }

    /**
     * @throws ModelException naming the file and tensor when one is missing, misshapen, or of a type
     *                        the engine cannot compute with
     */
    public static ModelWeights load(GgufFile file, ModelConfig c, Backend be) {
        TensorLayout.verify(file, c);
        Layer[] layers = new Layer[c.layers()];
        for (int i = 0; i < c.layers(); i++) {
            layers[i] = new Layer(
                    vec(file, TensorLayout.attnNorm(i), be),
                    mat(file, TensorLayout.attnQ(i), be), mat(file, TensorLayout.attnK(i), be), mat(file, TensorLayout.attnV(i), be),
                    c.qkvBias() ? vec(file, TensorLayout.attnQBias(i), be) : null,
                    c.qkvBias() ? vec(file, TensorLayout.attnKBias(i), be) : null,
                    c.qkvBias() ? vec(file, TensorLayout.attnVBias(i), be) : null,
                    mat(file, TensorLayout.attnOutput(i), be),
                    vec(file, TensorLayout.ffnNorm(i), be),
                    mat(file, TensorLayout.ffnGate(i), be), mat(file, TensorLayout.ffnUp(i), be), mat(file, TensorLayout.ffnDown(i), be));
        }
        Backend.Matrix embd = mat(file, TensorLayout.TOKEN_EMBD, be, !c.tiedEmbeddings());
        Backend.Matrix out = c.tiedEmbeddings() ? embd : mat(file, TensorLayout.OUTPUT, be);
        float[] factors = null;
        if (file.hasTensor(TensorLayout.ROPE_FREQS)) {
            factors = floats(file, TensorLayout.ROPE_FREQS);
            if (factors.length != c.headDim() / 2) {
                throw ModelException.at(file.path(), "tensor '" + TensorLayout.ROPE_FREQS + "'",
                        "has " + factors.length + " factors, expected head dim / 2 = " + c.headDim() / 2);
            }
        }
        // GGUF llama files carry Q/K permuted for ggml's adjacent-pair ("normal") rotation; qwen2 uses NEOX.
        boolean neox = c.arch() == Architecture.QWEN2;
        Backend.Rope rope = Backend.Rope.of(c.ropeTheta(), c.headDim(), factors, neox);
        return new ModelWeights(c, embd, out, vec(file, TensorLayout.OUTPUT_NORM, be), layers, rope);
    }

    private static Backend.Matrix mat(GgufFile file, String name, Backend be) {
        return mat(file, name, be, false);
    }

    private static Backend.Matrix mat(GgufFile file, String name, Backend be, boolean tableOnly) {
        GgufTensor t = file.tensor(name);
        long cols = t.dim(0), rows = t.nElements() / Math.max(1, cols);
        if (cols > Integer.MAX_VALUE || rows > Integer.MAX_VALUE) {
            throw ModelException.at(file.path(), "tensor '" + name + "'", "is too large: " + rows + " x " + cols);
        }
        if (t.type().isQuantized() && cols % 32 != 0) {
            throw ModelException.at(file.path(), "tensor '" + name + "'", "rows of " + cols + " are not a multiple of 32");
        }
        return tableOnly ? be.table(name, t.type(), (int) rows, (int) cols, file.data(t))
                : be.matrix(name, t.type(), (int) rows, (int) cols, file.data(t));
    }

    private static Backend.Buffer vec(GgufFile file, String name, Backend be) {
        return be.vector(floats(file, name));
    }

    private static float[] floats(GgufFile file, String name) {
        GgufTensor t = file.tensor(name);
        if (t.nElements() > Integer.MAX_VALUE - 8) throw ModelException.at(file.path(), "tensor '" + name + "'", "is too large for a vector");
        GgmlType type = t.type();
        return type.dequantize(file.data(t));
    }
}

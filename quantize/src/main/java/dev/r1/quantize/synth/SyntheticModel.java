package dev.r1.quantize.synth;

import dev.r1.models.config.GgufConfigWriter;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.TensorLayout;
import dev.r1.models.config.TensorLayout.TensorSpec;
import dev.r1.models.gguf.GgufValue;
import dev.r1.models.gguf.GgufWriter;
import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tokenizer.Vocabulary;
import dev.r1.quantize.Quantizers;
import dev.r1.quantize.RowQuantizer;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.stream.IntStream;

/**
 * Writes a model with the real shapes, tensor names and metadata of a config but random weights, since no
 * real weights can be downloaded here. Values are a pure function of (seed, tensor name, element index), so
 * a file is reproducible byte for byte whatever the thread count. Scales keep activations finite and
 * logits peaked enough that greedy decoding is not decided by float noise:
 * matrices ~ U with sd 1/sqrt(fan-in) (unit variance through each matmul), norms ~ 1 ± 0.1, biases sd 0.1,
 * embeddings sd 1, and the output head sd 3/sqrt(hidden) (logits sd ~3).
 */
public final class SyntheticModel {

    /** Rows generated and quantized at a time: bounds memory for the 150k-row embedding tables. */
    private static final int CHUNK_ELEMENTS = 1 << 22;

    private SyntheticModel() {}

    /**
     * @param typeOf     the ggml type each tensor is stored as (vectors should stay F32)
     * @param tokenizer  the {@code tokenizer.ggml.*} metadata (tokens padded to {@code cfg.vocab()})
     * @param progress   receives bytes written so far (for a progress bar)
     */
    public static void write(Path out, boolean overwrite, ModelConfig cfg, String name, long seed,
                             Function<TensorSpec, GgmlType> typeOf, Map<String, GgufValue> tokenizer,
                             int fileType, LongConsumer progress) {
        try (GgufWriter w = GgufWriter.create(out, overwrite)) {
            w.putString("general.architecture", cfg.arch().ggufName());
            w.putString("general.name", name);
            w.putString("general.description", "r1 synthetic model: real shapes, random weights (seed " + seed + ")");
            w.putUInt32("general.file_type", fileType);
            w.putUInt32("general.quantization_version", 2);
            w.putAll(GgufConfigWriter.metadata(cfg));
            w.putAll(tokenizer);
            var specs = TensorLayout.expected(cfg);
            for (TensorSpec s : specs) w.addTensor(s.name(), typeOf.apply(s), s.dims());
            long[] written = {0};
            for (TensorSpec s : specs) {
                GgmlType type = typeOf.apply(s);
                if (s.name().equals(TensorLayout.ROPE_FREQS)) {
                    float[] f = cfg.ropeScaling().orElseThrow().ropeFactors(cfg.headDim(), cfg.ropeTheta());
                    ByteBuffer b = ByteBuffer.allocate(f.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    b.asFloatBuffer().put(f);
                    w.writeTensorData(s.name(), b);
                    continue;
                }
                w.writeTensorData(s.name(), ch -> {
                    RowQuantizer q = Quantizers.forId(type.id());
                    long[] dims = s.dims();
                    int cols = (int) dims[0];
                    long rows = s.nElements() / cols;
                    int rowsPerChunk = (int) Math.max(1, Math.min(rows, CHUNK_ELEMENTS / cols));
                    float[] buf = new float[rowsPerChunk * cols];
                    byte[] qbuf = new byte[Math.toIntExact(rowsPerChunk * q.rowBytes(cols))];
                    Init init = Init.of(s, cfg);
                    long salt = mix(seed ^ s.name().hashCode() * 0x9E3779B97F4A7C15L);
                    for (long r0 = 0; r0 < rows; r0 += rowsPerChunk) {
                        int n = (int) Math.min(rowsPerChunk, rows - r0);
                        long base = r0 * cols;
                        IntStream.range(0, n).parallel().forEach(r -> {
                            for (int c = 0; c < cols; c++) {
                                long idx = base + (long) r * cols + c;
                                buf[r * cols + c] = init.value(uniform(salt, idx));
                            }
                        });
                        Quantizers.quantizeRows(q, s.name(), buf, 0, n, cols, MemorySegment.ofArray(qbuf), 0);
                        ByteBuffer bb = ByteBuffer.wrap(qbuf, 0, Math.toIntExact(n * q.rowBytes(cols)));
                        while (bb.hasRemaining()) ch.write(bb);
                        written[0] += n * q.rowBytes(cols);
                        progress.accept(written[0]);
                    }
                });
            }
            w.commit();
        }
    }

    /** How a tensor's values are drawn: {@code mean + scale * u} with u uniform in [-1, 1). */
    record Init(float mean, float scale) {
        static final float SQRT3 = (float) Math.sqrt(3);

        static Init of(TensorSpec s, ModelConfig cfg) {
            String n = s.name();
            if (n.endsWith("norm.weight")) return new Init(1f, 0.1f);
            if (n.endsWith(".bias")) return new Init(0f, 0.1f * SQRT3);
            if (n.equals(TensorLayout.TOKEN_EMBD)) {
                // Tied heads read logits off the embedding: same peaked scale as an output head.
                return cfg.tiedEmbeddings() ? new Init(0f, 3f * SQRT3 / (float) Math.sqrt(cfg.hidden())) : new Init(0f, SQRT3);
            }
            if (n.equals(TensorLayout.OUTPUT)) return new Init(0f, 3f * SQRT3 / (float) Math.sqrt(cfg.hidden()));
            return new Init(0f, SQRT3 / (float) Math.sqrt(s.dims()[0])); // unit variance through the matmul
        }

        float value(float u) {
            return mean + scale * u;
        }
    }

    /** splitmix64 finalizer: a strong 64-bit mix, cheap enough for billions of weights. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [-1, 1) from the top 24 bits of the mixed index. */
    static float uniform(long salt, long index) {
        long z = mix(salt + index * 0x9E3779B97F4A7C15L);
        return ((z >>> 40) * 0x1.0p-23f) - 1f;
    }

    /**
     * A vocabulary of {@code n} tokens where token i is the text {@code "t" + i}: no merges, pieces easy to
     * predict, for random-weight models that are fed token ids (bos 1, eos 2, no BOS added). Write it with
     * {@code numberedVocabulary(n).toGgufMetadata(n)}.
     */
    public static Vocabulary numberedVocabulary(int n) {
        List<String> tokens = new ArrayList<>(n);
        for (int i = 0; i < n; i++) tokens.add("t" + i);
        int[] types = new int[n];
        Arrays.fill(types, Vocabulary.TYPE_NORMAL);
        return Vocabulary.of(tokens, types, List.of(), 1, 2, false, "qwen2");
    }
}

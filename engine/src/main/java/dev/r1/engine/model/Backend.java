package dev.r1.engine.model;

import dev.r1.models.tensor.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * The ops the forward pass needs, on buffers that live where the backend computes (Java heap for the
 * CPU, device memory for CUDA). {@link Transformer} is written once against this; a backend only
 * implements ops. Activation buffers hold {@code n} token rows of {@code dim} floats, row-major.
 *
 * <p>One backend serves a model: the weights are prepared once and shared by all its sessions, each with
 * its own cache and buffers. Ops may be called from several sessions' threads at once; a backend whose
 * scratch or thread pool is shared serializes them.
 */
public interface Backend extends AutoCloseable {

    /** Floats resident on the backend. */
    interface Buffer {
        int size();
    }

    /** A weight matrix of {@code rows x cols} (ggml layout: each row contiguous), resident on the backend. */
    interface Matrix {
        int rows();
        int cols();
    }

    /** Keys and values of all layers for a context of {@code contextSize()} positions. */
    interface Cache {
        int contextSize();
        long bytes();
    }

    /**
     * Rotary embedding parameters: pair i of a head rotates by {@code pos * thetaScale^i / factors[i]}
     * ({@code thetaScale = base^(-2/headDim)}; {@code factors} is llama3's {@code rope_freqs}, or null),
     * and the pairing (NEOX: i with i + headDim/2; normal: 2i with 2i+1).
     */
    record Rope(float thetaScale, float[] factors, boolean neox) {
        /** ggml's ratio {@code powf(base, -2/headDim)}, so both engines build the same float angles. */
        public static Rope of(float base, int headDim, float[] factors, boolean neox) {
            return new Rope((float) Math.pow(base, -2.0f / headDim), factors, neox);
        }
    }

    /**
     * Where each row of a forward step goes: row {@code t} is at position {@code positions[t]} of the
     * sequence whose cache is {@code caches[t]} (a prefill chunk: one cache, consecutive positions; a
     * batched decode: one row per sequence). Held by the backend (device memory on a GPU) and read by
     * {@link #rope} and {@link #attention}, so a captured step stays valid as the values change.
     */
    interface Step {
        int capacity();
    }

    String name();

    /** A step description for up to {@code rows} rows. */
    Step step(int rows);

    /** Sets the first {@code n} rows of {@code step}. */
    void setStep(Step step, int n, Cache[] caches, int[] positions);

    /**
     * After {@link #setStep}: the step is part of a batch of {@code rows} query rows in all, as llama.cpp would
     * run it in one ubatch (a long prompt runs here in steps of at most 64 rows; llama.cpp runs up to its
     * ubatch at once). ggml picks its attention kernel by the ubatch's row count, so a backend that follows
     * ggml's numerics picks by this. Without the call a step's batch is its own rows; the default ignores it.
     */
    default void setStepBatchRows(Step step, int rows) {}

    Buffer buffer(int floats);

    /** Wraps or uploads a matrix; {@code data} is the tensor's bytes (typically a slice of the mapped file). */
    Matrix matrix(String name, GgmlType type, int rows, int cols, MemorySegment data);

    /**
     * A matrix only ever read by {@link #embed} (the token embedding when the output head is separate):
     * a backend may keep it as it is instead of preparing it for {@link #matmul}.
     */
    default Matrix table(String name, GgmlType type, int rows, int cols, MemorySegment data) {
        return matrix(name, type, rows, cols, data);
    }

    /** Uploads a small vector (norm weights, biases). */
    Buffer vector(float[] values);

    Cache kvCache(int layers, int ctx, int kvDim, boolean f16);

    /** {@code out[t] = table.row(tokens[from + t])}. */
    void embed(Matrix table, int[] tokens, int from, int n, Buffer out);

    /** {@code out[t] = x[t] / rms(x[t]) * w}. */
    void rmsNorm(Buffer x, Buffer w, float eps, int n, int dim, Buffer out);

    /** {@code outs[i][t] = ws[i] . x[t]} for matrices sharing one input (q/k/v, gate/up). */
    void matmul(Buffer x, int n, Matrix[] ws, Buffer[] outs);

    /**
     * {@link #matmul} for rows that are single tokens of different sequences (a batched decoding step):
     * each row must come out exactly as it would alone. Consecutive tokens of one sequence may instead be
     * taken the way llama.cpp takes them (on the CPU, repacked Q4_K adds four tokens at a time in a finer
     * grain), which is how the engines stay bit-identical there.
     */
    default void matmulSequences(Buffer x, int n, Matrix[] ws, Buffer[] outs) {
        matmul(x, n, ws, outs);
    }

    void addBias(Buffer x, Buffer bias, int n, int dim);

    /**
     * {@link #matmul} (or {@link #matmulSequences}) and then {@code addBias(outs[i], biases[i], n, ws[i].rows())}
     * for every matrix with a bias: a backend may add the bias as it stores the product (the CUDA backend does
     * in decode steps, a launch saved per matrix), the same float add either way.
     */
    default void matmulBiased(Buffer x, int n, Matrix[] ws, Buffer[] outs, Buffer[] biases, boolean sequences) {
        if (sequences) matmulSequences(x, n, ws, outs);
        else matmul(x, n, ws, outs);
        for (int i = 0; i < ws.length; i++) if (biases[i] != null) addBias(outs[i], biases[i], n, ws[i].rows());
    }

    /** Rotates {@code n} rows of {@code heads x headDim}, each by its position in {@code step}. */
    void rope(Buffer x, int n, int heads, int headDim, Step step, Rope rope);

    /**
     * Stores each row's k/v in its cache at its position (per {@code step}), then causal GQA attention:
     * row t attends to positions {@code 0..positions[t]} of its own cache, into {@code out}.
     */
    void attention(Step step, int layer, int n, Buffer q, Buffer k, Buffer v,
                   int heads, int kvHeads, int headDim, Buffer out);

    /** {@code gate = silu(gate) * up} over {@code len} floats. */
    void swiglu(Buffer gate, Buffer up, int len);

    /** {@code x += y} over {@code len} floats. */
    void add(Buffer x, Buffer y, int len);

    /** Copies row {@code row} ({@code dim} floats) of {@code src} to row 0 of {@code dst}. */
    void copyRow(Buffer src, int row, int dim, Buffer dst);

    /** Reads {@code len} floats from {@code src[off]} into host memory. */
    void toHost(Buffer src, int off, int len, float[] dst);

    /**
     * Copies positions {@code 0..positions} of every layer's keys and values from {@code from} to {@code to}
     * (two caches of this backend with the same layout); what {@code to} holds beyond is left as it is.
     *
     * @return false when this backend cannot copy caches (the default)
     */
    default boolean copyCache(Cache from, Cache to, int positions) { return false; }

    /**
     * The most tokens a session's forward pass should take at once. 64 on the CPU (longer chunks gain
     * little and cost activation memory); the CUDA backend takes a 512-token prompt in one pass, since its
     * prefill dequantizes each weight once a pass (8 chunks of 64 made a 7B prefill 205 ms instead of 42).
     */
    default int prefillChunk() { return 64; }

    /**
     * {@link dev.r1.engine.Model#warmUp}, once the model's weights are all loaded: a backend that compiles its code while
     * running (the Java engine, through the JIT) may run it here on small inputs, so that the first prompt does not pay.
     */
    default void warmUp() {}

    /**
     * A recorded decode step that replays with another token and position: one launch for the whole step
     * where launches dominate (a CUDA graph). {@link #valid} turns false once something the recording
     * points at was reallocated; then record again.
     */
    interface Replay extends AutoCloseable {
        boolean valid();

        /** Runs the step for {@code token} at {@code position}; its host outputs are written on return. */
        void run(int token, int position);

        @Override void close();
    }

    /**
     * Records {@code step} (one token's forward pass, its host outputs included) for {@link Replay#run}, or
     * null where this backend replays nothing (the default). Run the step once before, so that scratch
     * memory has its size; an {@link IllegalStateException} says the recording could not be made.
     */
    default Replay captureStep(Runnable step) { return null; }

    /** Releases a session's cache (device memory); the default leaves it to the garbage collector. */
    default void free(Cache cache) {}

    /** Releases a session's buffer (device memory); the default leaves it to the garbage collector. */
    default void free(Buffer buffer) {}

    /** Releases the model's weights and the backend's threads; sessions must be closed first. */
    @Override
    void close();
}

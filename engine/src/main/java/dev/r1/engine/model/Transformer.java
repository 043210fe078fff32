package dev.r1.engine.model;

import dev.r1.engine.Session;
import dev.r1.models.config.ModelConfig;

/**
 * The decoder forward pass (Qwen2 and Llama), written once over {@link Backend}: for a step of up to
 * {@code batch} rows it runs every layer as matrix-matrix products (each weight read once per step),
 * appends keys/values to the caches and attends causally. A step's rows are either a chunk of one
 * sequence (prefill) or one token of each of several sequences ({@link #decodeBatch}); where each row goes
 * (cache, position) is a backend-owned {@link Backend.Step}, so the ops never take positions as arguments.
 *
 * <p>One per session: it holds that session's KV cache and activations; the weights and the backend are
 * the model's, shared, and not closed here. Not thread-safe.
 */
public final class Transformer implements AutoCloseable {
    private final ModelConfig c;
    private final ModelWeights w;
    private final Backend be;
    private final Backend.Cache cache;
    private final Backend.Step step;
    private final int batch;
    private final Backend.Cache[] rowCaches;
    private final int[] rowPos;
    // Activations for a step: x (residual), xb (normed), q/k/v, att (attention out), ob (projection),
    // gate/up (FFN), last (one row), logits (one row; allLogits: a row per step row, made on first use).
    private final Backend.Buffer x, xb, q, k, v, att, ob, gate, up, last, lastNorm, logits;
    private Backend.Buffer allLogits;
    private float[] row;
    private Observer observer;

    /**
     * Sees the forward pass from inside (evaluation's distillation signals: hidden states, attention inputs;
     * {@code r1 imatrix}: what each weight matrix multiplies). Off (null) by default, when it costs a null
     * check per layer and site.
     */
    public interface Observer {
        /** The activations a weight matrix is multiplied with (what llama-imatrix collects per matrix). */
        enum Input {
            /** attn_q, attn_k and attn_v: the attention norm's output ({@code hidden} wide). */
            ATTN_QKV,
            /** attn_output: the attention's output, heads concatenated ({@code qDim} wide). */
            ATTN_OUTPUT,
            /** ffn_gate and ffn_up: the FFN norm's output ({@code hidden} wide). */
            FFN_GATE_UP,
            /** ffn_down: silu(gate) * up ({@code ffn} wide). */
            FFN_DOWN,
            /** output: the final norm's output ({@code hidden} wide); only on the path that emits every row's logits. */
            OUTPUT
        }

        /**
         * Called before the matrices of {@code site} read {@code x}: {@code n} rows of {@code dim} floats, the step's
         * rows in order; {@code layer} is -1 for {@link Input#OUTPUT}. Read with {@link Backend#toHost} before returning.
         */
        default void input(int layer, Input site, int n, Backend be, Backend.Buffer x, int dim) {}

        /**
         * Called at the end of layer {@code layer} of a step of {@code n} rows (in order: a prefill chunk's
         * tokens, layer 0 first). {@code residual} holds the residual stream after the layer ({@code n x hidden}),
         * {@code q} and {@code k} the layer's rotated queries and keys ({@code n x qDim}, {@code n x kvDim});
         * read them with {@link Backend#toHost} before returning.
         */
        default void layer(int layer, int n, Backend be, Backend.Buffer residual, Backend.Buffer q, Backend.Buffer k) {}
    }

    /** Sets (or with null removes) the observer of this session's forward passes. */
    public void observe(Observer o) { this.observer = o; }

    /** Whether an observer watches the forward passes (a recorded step would skip its callbacks). */
    public boolean observed() { return observer != null; }

    public Transformer(ModelWeights weights, Backend backend, int ctx, int batch, boolean f16Cache) {
        this.c = weights.config;
        this.w = weights;
        this.be = backend;
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        if (ctx < 1) throw new IllegalArgumentException("context must be >= 1, got " + ctx);
        this.batch = batch;
        this.ubatch = batch;
        this.cache = be.kvCache(c.layers(), ctx, c.kvDim(), f16Cache);
        this.step = be.step(batch);
        this.rowCaches = new Backend.Cache[batch];
        this.rowPos = new int[batch];
        int h = c.hidden();
        x = be.buffer(batch * h);
        xb = be.buffer(batch * h);
        q = be.buffer(batch * c.qDim());
        k = be.buffer(batch * c.kvDim());
        v = be.buffer(batch * c.kvDim());
        att = be.buffer(batch * c.qDim());
        ob = be.buffer(batch * h);
        gate = be.buffer(batch * c.ffn());
        up = be.buffer(batch * c.ffn());
        last = be.buffer(h);
        lastNorm = be.buffer(h);
        logits = be.buffer(c.vocab());
    }

    public ModelConfig config() { return c; }
    public int contextSize() { return cache.contextSize(); }
    public int batch() { return batch; }

    /**
     * The batch llama.cpp would run at once for the same options ({@code n_ubatch}): a prompt is cut into
     * pieces of this size first, each then run in chunks of {@link #batch()}; the backend is told each piece's
     * size ({@link Backend#setStepBatchRows}). Defaults to {@link #batch()}.
     */
    public void ubatch(int rows) {
        if (rows < 1) throw new IllegalArgumentException("ubatch must be >= 1, got " + rows);
        this.ubatch = rows;
    }
    private int ubatch;
    public long cacheBytes() { return cache.bytes(); }
    public Backend backend() { return be; }

    /** Copies the first {@code n} positions of {@code src}'s cache into this one; false when the backend cannot. */
    boolean copyCacheFrom(Transformer src, int n) {
        if (src.be != be) throw new IllegalArgumentException("the sessions run on different backends");
        return be.copyCache(src.cache, cache, n);
    }

    /**
     * Runs {@code n} tokens ({@code tokens[from ..]}) at positions {@code pos0 ..}, any n (split into
     * chunks of {@link #batch()}). If {@code logitsOut} is non-null it receives the last token's logits;
     * if {@code all} is non-null it receives every token's logits, in order.
     */
    public void forward(int[] tokens, int from, int n, int pos0, float[] logitsOut, Session.LogitsSink all) {
        if (pos0 < 0 || pos0 + n > contextSize()) {
            throw new IllegalStateException(n + " tokens at position " + pos0 + " do not fit the context of " + contextSize());
        }
        for (int done = 0; done < n; ) {
            // llama.cpp's ubatch holding this chunk: a chunk stays inside one, and says how many rows it has
            int u0 = done / ubatch * ubatch, uEnd = Math.min(n, u0 + ubatch);
            int m = Math.min(batch, uEnd - done);
            for (int t = 0; t < m; t++) {
                rowCaches[t] = cache;
                rowPos[t] = pos0 + done + t;
            }
            be.setStep(step, m, rowCaches, rowPos);
            be.setStepBatchRows(step, uEnd - u0);
            // The last layer's feed-forward only feeds the logits: with no one reading every row, it runs on the
            // row whose logits are asked for (none before the last chunk), as llama.cpp's graphs do. Less work,
            // and the row then takes the one-row kernels there too (repacked Q4_K adds four rows in another grain).
            boolean lastChunk = done + m == n;
            int keep = all != null || observer != null ? ALL_ROWS : lastChunk && logitsOut != null ? m - 1 : NO_ROWS;
            layers(tokens, from + done, m, keep);
            if (all != null) emitAll(m, done, all);
            done += m;
        }
        if (logitsOut != null && n > 0) {
            if (all != null || observer != null) be.copyRow(x, (n - 1) % batch, c.hidden(), last); // else layers() left it there
            be.rmsNorm(last, w.outputNorm, c.rmsEps(), 1, c.hidden(), lastNorm);
            be.matmul(lastNorm, 1, new Backend.Matrix[] {w.output}, new Backend.Buffer[] {logits});
            be.toHost(logits, 0, c.vocab(), logitsOut);
        }
    }

    /** The logits of the step's {@code m} rows, handed to {@code sink} as tokens {@code base ..}. */
    private void emitAll(int m, int base, Session.LogitsSink sink) {
        int vocab = c.vocab();
        if (allLogits == null) {
            allLogits = be.buffer(batch * vocab);
            row = new float[vocab];
        }
        be.rmsNorm(x, w.outputNorm, c.rmsEps(), m, c.hidden(), xb);
        if (observer != null) observer.input(-1, Observer.Input.OUTPUT, m, be, xb, c.hidden());
        matmul(xb, m, new Backend.Matrix[] {w.output}, new Backend.Buffer[] {allLogits});
        for (int t = 0; t < m; t++) {
            be.toHost(allLogits, t * vocab, vocab, row);
            sink.accept(base + t, row);
        }
    }

    /**
     * One token for each of several sequences in one step: {@code tokens[i]} goes into {@code ts[i]}'s cache
     * at {@code pos[i]}, and {@code out[i]} receives its next-token logits. The activations of {@code ts[0]}
     * carry the step (so at most its {@link #batch()} sequences); each weight is read once for all of them.
     */
    public static void decodeBatch(Transformer[] ts, int[] tokens, int[] pos, float[][] out) {
        Transformer lead = ts[0];
        int n = ts.length;
        if (n > lead.batch) throw new IllegalArgumentException(n + " sequences in one step; at most " + lead.batch);
        for (int i = 0; i < n; i++) {
            if (ts[i].w != lead.w) throw new IllegalArgumentException("sequences of different models in one step");
            if (pos[i] < 0 || pos[i] >= ts[i].contextSize())
                throw new IllegalStateException("position " + pos[i] + " does not fit the context of " + ts[i].contextSize());
            lead.rowCaches[i] = ts[i].cache;
            lead.rowPos[i] = pos[i];
        }
        lead.be.setStep(lead.step, n, lead.rowCaches, lead.rowPos);
        // each sequence's row as if decoded alone (a batch of one), so its logits do not depend on the load
        lead.be.setStepBatchRows(lead.step, 1);
        lead.sequences = true;
        try {
            lead.layers(tokens, 0, n, ALL_ROWS);
            lead.emitAll(n, 0, (i, logits) -> System.arraycopy(logits, 0, out[i], 0, logits.length));
        } finally {
            lead.sequences = false;
        }
    }

    /** Rows of the step in progress are single tokens of different sequences ({@link #decodeBatch}). */
    private boolean sequences;

    private void matmul(Backend.Buffer x, int n, Backend.Matrix[] ws, Backend.Buffer[] outs) {
        if (sequences) be.matmulSequences(x, n, ws, outs);
        else be.matmul(x, n, ws, outs);
    }

    private static final int ALL_ROWS = -1, NO_ROWS = -2;

    /**
     * The layers over {@code n} rows. {@code keep}: {@link #ALL_ROWS}, or the one row whose output is needed
     * (the last layer's feed-forward then runs on it alone, leaving it in {@code last}), or {@link #NO_ROWS}
     * (the last layer stops after attention: only the KV cache is wanted).
     */
    private void layers(int[] tokens, int from, int n, int keep) {
        int h = c.hidden();
        be.embed(w.tokenEmbd, tokens, from, n, x);
        for (int l = 0; l < c.layers(); l++) {
            ModelWeights.Layer L = w.layers[l];
            be.rmsNorm(x, L.attnNorm(), c.rmsEps(), n, h, xb);
            if (observer != null) observer.input(l, Observer.Input.ATTN_QKV, n, be, xb, h);
            Backend.Matrix[] qkv = {L.q(), L.k(), L.v()};
            Backend.Buffer[] qkvOut = {q, k, v};
            if (L.qBias() != null) be.matmulBiased(xb, n, qkv, qkvOut, new Backend.Buffer[] {L.qBias(), L.kBias(), L.vBias()}, sequences);
            else matmul(xb, n, qkv, qkvOut);
            be.rope(q, n, c.heads(), c.headDim(), step, w.rope);
            be.rope(k, n, c.kvHeads(), c.headDim(), step, w.rope);
            be.attention(step, l, n, q, k, v, c.heads(), c.kvHeads(), c.headDim(), att);
            if (observer != null) observer.input(l, Observer.Input.ATTN_OUTPUT, n, be, att, c.qDim());
            matmul(att, n, new Backend.Matrix[] {L.o()}, new Backend.Buffer[] {ob});
            be.add(x, ob, n * h);
            Backend.Buffer xs = x;
            int rows = n;
            if (l == c.layers() - 1 && keep != ALL_ROWS) {
                if (keep == NO_ROWS) return;
                be.copyRow(x, keep, h, last);
                xs = last;
                rows = 1;
            }
            be.rmsNorm(xs, L.ffnNorm(), c.rmsEps(), rows, h, xb);
            if (observer != null) observer.input(l, Observer.Input.FFN_GATE_UP, n, be, xb, h);
            matmul(xb, rows, new Backend.Matrix[] {L.gate(), L.up()}, new Backend.Buffer[] {gate, up});
            be.swiglu(gate, up, rows * c.ffn());
            if (observer != null) observer.input(l, Observer.Input.FFN_DOWN, n, be, gate, c.ffn());
            matmul(gate, rows, new Backend.Matrix[] {L.down()}, new Backend.Buffer[] {ob});
            be.add(xs, ob, rows * h);
            if (observer != null) observer.layer(l, n, be, x, q, k);
        }
    }

    /** Frees this session's cache and activations (backends that hold device memory release it). */
    @Override
    public void close() {
        be.free(cache);
        for (Backend.Buffer b : new Backend.Buffer[] {x, xb, q, k, v, att, ob, gate, up, last, lastNorm, logits, allLogits}) {
            if (b != null) be.free(b);
        }
    }
}

package dev.r1.engine.model;

import dev.r1.models.config.ModelConfig;

/**
 * The decoder forward pass (Qwen2 and Llama), written once over {@link Backend}: for a chunk of up to
 * {@code batch} tokens it runs every layer as matrix-matrix products (each weight read once per chunk),
 * appends keys/values to the cache and attends causally; logits are computed for the last token only.
 * Not thread-safe: one per session.
 */
public final class Transformer implements AutoCloseable {
    private final ModelConfig c;
    private final ModelWeights w;
    private final Backend be;
    private final Backend.Cache cache;
    private final int batch;
    // Activations for a chunk: x (residual), xb (normed), q/k/v, att (attention out), ob (projection),
    // gate/up (FFN), last (one row), logits.
    private final Backend.Buffer x, xb, q, k, v, att, ob, gate, up, last, lastNorm, logits;

    public Transformer(ModelWeights weights, Backend backend, int ctx, int batch, boolean f16Cache) {
        this.c = weights.config;
        this.w = weights;
        this.be = backend;
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        if (ctx < 1) throw new IllegalArgumentException("context must be >= 1, got " + ctx);
        this.batch = batch;
        this.cache = be.kvCache(c.layers(), ctx, c.kvDim(), f16Cache);
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
    public long cacheBytes() { return cache.bytes(); }
    public Backend backend() { return be; }

    /**
     * Runs {@code n} tokens ({@code tokens[from ..]}) at positions {@code pos0 ..}, any n (split into
     * chunks of {@link #batch()}). If {@code logitsOut} is non-null it receives the last token's logits.
     */
    public void forward(int[] tokens, int from, int n, int pos0, float[] logitsOut) {
        if (pos0 < 0 || pos0 + n > contextSize()) {
            throw new IllegalStateException(n + " tokens at position " + pos0 + " do not fit the context of " + contextSize());
        }
        for (int done = 0; done < n; ) {
            int m = Math.min(batch, n - done);
            chunk(tokens, from + done, m, pos0 + done);
            done += m;
        }
        if (logitsOut != null && n > 0) {
            int rowOfLast = (n - 1) % batch;
            be.copyRow(x, rowOfLast, c.hidden(), last);
            be.rmsNorm(last, w.outputNorm, c.rmsEps(), 1, c.hidden(), lastNorm);
            be.matmul(lastNorm, 1, new Backend.Matrix[] {w.output}, new Backend.Buffer[] {logits});
            be.toHost(logits, 0, c.vocab(), logitsOut);
        }
    }

    private void chunk(int[] tokens, int from, int n, int pos0) {
        int h = c.hidden();
        be.embed(w.tokenEmbd, tokens, from, n, x);
        for (int l = 0; l < c.layers(); l++) {
            ModelWeights.Layer L = w.layers[l];
            be.rmsNorm(x, L.attnNorm(), c.rmsEps(), n, h, xb);
            be.matmul(xb, n, new Backend.Matrix[] {L.q(), L.k(), L.v()}, new Backend.Buffer[] {q, k, v});
            if (L.qBias() != null) {
                be.addBias(q, L.qBias(), n, c.qDim());
                be.addBias(k, L.kBias(), n, c.kvDim());
                be.addBias(v, L.vBias(), n, c.kvDim());
            }
            be.rope(q, n, c.heads(), c.headDim(), pos0, w.rope);
            be.rope(k, n, c.kvHeads(), c.headDim(), pos0, w.rope);
            be.attention(cache, l, pos0, n, q, k, v, c.heads(), c.kvHeads(), c.headDim(), att);
            be.matmul(att, n, new Backend.Matrix[] {L.o()}, new Backend.Buffer[] {ob});
            be.add(x, ob, n * h);
            be.rmsNorm(x, L.ffnNorm(), c.rmsEps(), n, h, xb);
            be.matmul(xb, n, new Backend.Matrix[] {L.gate(), L.up()}, new Backend.Buffer[] {gate, up});
            be.swiglu(gate, up, n * c.ffn());
            be.matmul(gate, n, new Backend.Matrix[] {L.down()}, new Backend.Buffer[] {ob});
            be.add(x, ob, n * h);
        }
    }

    @Override
    public void close() {
        be.close();
    }
}

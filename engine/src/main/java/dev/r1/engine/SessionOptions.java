package dev.r1.engine;

/**
 * How a session runs.
 *
 * @param threads  CPU threads for prefill and decode (1 makes llama.cpp's results bit-reproducible)
 * @param ctx      context size in tokens; 0 = the model's training context, capped at {@link #DEFAULT_CTX}
 * @param batch    most tokens fed forward in one call during prefill
 */
public record SessionOptions(int threads, int ctx, int batch) {
    public static final int DEFAULT_CTX = 4096;
    public static final int DEFAULT_BATCH = 512;

    public SessionOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        if (ctx < 0) throw new IllegalArgumentException("context size must be >= 0 (0 = model default), got " + ctx);
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
    }

    /** All cores, default context and batch. */
    public static SessionOptions defaults() {
        return new SessionOptions(Runtime.getRuntime().availableProcessors(), 0, DEFAULT_BATCH);
    }

    public SessionOptions withThreads(int t) {
        return new SessionOptions(t, ctx, batch);
    }

    public SessionOptions withCtx(int c) {
        return new SessionOptions(threads, c, batch);
    }

    public SessionOptions withBatch(int b) {
        return new SessionOptions(threads, ctx, b);
    }
}

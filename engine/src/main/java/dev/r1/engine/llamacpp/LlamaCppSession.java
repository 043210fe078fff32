package dev.r1.engine.llamacpp;

import dev.r1.bindings.llama.Llama;
import dev.r1.bindings.llama.llama_batch;
import dev.r1.bindings.llama.llama_context_params;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * {@link Session} over a llama.cpp context (CPU), through the generated bindings. At one thread
 * llama.cpp's results are bit-reproducible run to run, which is what makes it a usable test reference.
 */
public final class LlamaCppSession implements Session {
    private final LlamaCppModel model;
    private final boolean ownsModel;
    private final MemorySegment vocab;
    private final int nVocab, nCtx, nBatch;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment batchStruct;   // reused llama_batch, filled by llama_batch_get_one
    private MemorySegment tokenBuf;            // token ids handed to llama_decode, grown on demand
    private MemorySegment fullBatch;           // llama_batch_init'ed batch asking for every row's logits, on first use
    private MemorySegment ctx;
    private int pos;
    private float[] last;

    /** Loads {@code gguf} and opens one session that owns (and on close frees) the model. */
    public static LlamaCppSession open(Path gguf, SessionOptions options) {
        LlamaCppModel m = LlamaCppModel.load(gguf);
        try {
            return new LlamaCppSession(m, options, true);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    LlamaCppSession(LlamaCppModel model, SessionOptions o, boolean ownsModel) {
        this.model = model;
        this.ownsModel = ownsModel;
        this.vocab = model.vocab();
        this.nVocab = Llama.llama_vocab_n_tokens(vocab);
        int train = Llama.llama_model_n_ctx_train(model.handle());
        int ctxWanted = o.ctx() > 0 ? o.ctx() : Math.min(train > 0 ? train : SessionOptions.DEFAULT_CTX, SessionOptions.DEFAULT_CTX);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = Llama.llama_context_default_params(a);
            llama_context_params.n_ctx(p, ctxWanted);
            llama_context_params.n_batch(p, o.batch());
            llama_context_params.n_ubatch(p, o.batch());
            llama_context_params.n_seq_max(p, 1);
            llama_context_params.n_threads(p, o.threads());
            llama_context_params.n_threads_batch(p, o.threads());
            llama_context_params.no_perf(p, true);
            MemorySegment c = Llama.llama_init_from_model(model.handle(), p);
            if (c.equals(MemorySegment.NULL))
                throw new LlamaCppException("llama.cpp could not create a context of " + ctxWanted + " tokens (batch "
                        + o.batch() + ") for " + model.file() + "; try a smaller --ctx");
            this.ctx = c;
        }
        this.nCtx = (int) Llama.llama_n_ctx(ctx);
        this.nBatch = (int) Math.min(Llama.llama_n_batch(ctx), o.batch());
        this.batchStruct = arena.allocate(Llama.llama_batch_get_one$descriptor().returnLayout().orElseThrow());
        this.tokenBuf = arena.allocate(ValueLayout.JAVA_INT, Math.min(nBatch, 1024));
    }

    @Override
    public int[] tokenize(String text, boolean addBos, boolean parseSpecial) {
        return model.tokenize(text, addBos, parseSpecial);
    }

    @Override
    public String detokenize(int[] tokens) {
        return model.detokenize(tokens);
    }

    @Override
    public String piece(int token) {
        checkToken(token);
        return model.piece(token);
    }

    @Override
    public void prefill(int[] tokens, LogitsSink all) {
        if (tokens.length == 0) throw new IllegalArgumentException("prefill needs at least one token");
        for (int t : tokens) checkToken(t);
        if ((long) pos + tokens.length > nCtx)
            throw new IllegalArgumentException(tokens.length + " tokens at position " + pos
                    + " exceed the context of " + nCtx + " tokens");
        for (int off = 0; off < tokens.length; off += nBatch) {
            int n = Math.min(nBatch, tokens.length - off);
            if (all == null) {
                feed(tokens, off, n);
            } else {
                feedAll(tokens, off, n);
                float[] row = new float[nVocab];
                for (int i = 0; i < n; i++) {
                    MemorySegment p = Llama.llama_get_logits_ith(handle(), i);
                    if (p.equals(MemorySegment.NULL)) throw new LlamaCppException("llama_get_logits_ith(" + i + ") returned no logits");
                    MemorySegment.copy(p.reinterpret(4L * nVocab), ValueLayout.JAVA_FLOAT, 0, row, 0, nVocab);
                    all.accept(off + i, row);
                }
            }
        }
        last = readLastLogits();
    }

    /** As {@link #feed}, with explicit positions and every row's logits requested. */
    private void feedAll(int[] tokens, int off, int n) {
        MemorySegment ctx = handle();
        if (fullBatch == null) fullBatch = Llama.llama_batch_init(arena, nBatch, 0, 1);
        MemorySegment tok = llama_batch.token(fullBatch).reinterpret(4L * nBatch), ps = llama_batch.pos(fullBatch).reinterpret(4L * nBatch),
                nSeq = llama_batch.n_seq_id(fullBatch).reinterpret(4L * nBatch), seqs = llama_batch.seq_id(fullBatch).reinterpret(8L * nBatch),
                lg = llama_batch.logits(fullBatch).reinterpret(nBatch);
        for (int i = 0; i < n; i++) {
            tok.setAtIndex(ValueLayout.JAVA_INT, i, tokens[off + i]);
            ps.setAtIndex(ValueLayout.JAVA_INT, i, pos + i);
            nSeq.setAtIndex(ValueLayout.JAVA_INT, i, 1);
            seqs.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(4).set(ValueLayout.JAVA_INT, 0, 0);
            lg.set(ValueLayout.JAVA_BYTE, i, (byte) 1);
        }
        llama_batch.n_tokens(fullBatch, n);
        int rc = Llama.llama_decode(ctx, fullBatch);
        if (rc != 0)
            throw new LlamaCppException("llama_decode failed (" + rc + (rc == 1 ? ": no room in the KV cache" : "")
                    + ") feeding " + n + " tokens at position " + pos);
        pos += n;
    }

    /** Drops positions {@code n..} from llama.cpp's memory (sequence 0). */
    @Override
    public void truncate(int n) {
        if (n < 0 || n > pos) throw new IllegalArgumentException("cannot truncate to " + n + " of " + pos + " positions");
        if (n == pos) { last = null; return; }
        if (!Llama.llama_memory_seq_rm(Llama.llama_get_memory(handle()), 0, n, -1))
            throw new LlamaCppException("llama.cpp could not drop positions " + n + ".." + pos + " of its cache");
        pos = n;
        last = null;
    }

    @Override
    public float[] decode(int token) {
        checkToken(token);
        if (pos + 1 > nCtx) throw new IllegalArgumentException("the context of " + nCtx + " tokens is full");
        feed(new int[]{token}, 0, 1);
        last = readLastLogits();
        return last.clone();
    }

    // llama_batch_get_one: no explicit positions (llama.cpp continues from its memory), logits for the
    // last token only, which is all a Session exposes.
    private void feed(int[] tokens, int off, int n) {
        MemorySegment ctx = handle();
        if (tokenBuf.byteSize() < 4L * n) tokenBuf = arena.allocate(ValueLayout.JAVA_INT, n);
        MemorySegment.copy(tokens, off, tokenBuf, ValueLayout.JAVA_INT, 0, n);
        MemorySegment batch = Llama.llama_batch_get_one(SegmentAllocator.prefixAllocator(batchStruct), tokenBuf, n);
        int rc = Llama.llama_decode(ctx, batch);
        if (rc != 0)
            throw new LlamaCppException("llama_decode failed (" + rc + (rc == 1 ? ": no room in the KV cache" : "")
                    + ") feeding " + n + " tokens at position " + pos);
        pos += n;
    }

    private float[] readLastLogits() {
        MemorySegment p = Llama.llama_get_logits_ith(handle(), -1);
        if (p.equals(MemorySegment.NULL)) throw new LlamaCppException("llama_get_logits_ith returned no logits");
        return p.reinterpret(4L * nVocab).toArray(ValueLayout.JAVA_FLOAT);
    }

    private void checkToken(int t) {
        if (t < 0 || t >= nVocab) throw new IllegalArgumentException("token id " + t + " outside the vocabulary [0, " + nVocab + ")");
    }

    @Override
    public float[] lastLogits() {
        if (last == null) throw new IllegalStateException("no logits yet: prefill or decode first");
        return last.clone();
    }

    @Override
    public int position() {
        return pos;
    }

    @Override
    public void reset() {
        Llama.llama_memory_clear(Llama.llama_get_memory(handle()), true);
        pos = 0;
        last = null;
    }

    @Override
    public int contextSize() {
        return nCtx;
    }

    @Override
    public int vocabSize() {
        return nVocab;
    }

    @Override
    public boolean isEog(int token) {
        return token >= 0 && token < nVocab && Llama.llama_vocab_is_eog(vocab, token);
    }

    @Override
    public int bos() {
        return Llama.llama_vocab_bos(vocab);
    }

    @Override
    public LlamaCppModel model() {
        return model;
    }

    private MemorySegment handle() {
        if (ctx == null) throw new IllegalStateException("session is closed");
        return ctx;
    }

    @Override
    public synchronized void close() {
        if (ctx == null) return;
        Llama.llama_free(ctx);
        ctx = null;
        if (fullBatch != null) Llama.llama_batch_free(fullBatch);
        arena.close();
        if (ownsModel) model.close();
    }
}

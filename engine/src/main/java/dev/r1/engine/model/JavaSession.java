package dev.r1.engine.model;

import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.models.ModelException;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.tokenizer.BpeTokenizer;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * A session of our engine: its own KV cache and activations ({@link Transformer}) over the weights of a
 * {@link JavaModel}. Prefill runs the prompt in chunks; decode feeds one token.
 */
public final class JavaSession implements Session {

    private final JavaModel model;
    private final Transformer tf;
    private final boolean ownsModel;
    private final float[] logits;
    private int pos;
    private boolean haveLogits;
    private boolean closed;

    JavaSession(JavaModel model, Transformer tf, boolean ownsModel) {
        this.model = model;
        this.tf = tf;
        this.ownsModel = ownsModel;
        this.logits = new float[model.vocabSize()];
    }

    /** Loads {@code path} and opens one session with an F16 KV cache that owns (and on close frees) the model. */
    public static JavaSession open(Path path, SessionOptions o) {
        return open(path, o, true);
    }

    /**
     * @param f16Kv F16 key/value cache (half the memory) rather than F32
     * @throws ModelException naming the file and field when it is not a model this engine runs
     */
    public static JavaSession open(Path path, SessionOptions o, boolean f16Kv) {
        return open(path, o, f16Kv, t -> new dev.r1.engine.cpu.CpuBackend(t));
    }

    /** As {@link #open(Path, SessionOptions)} on the backend {@code backends} makes (CPU, CUDA). */
    public static JavaSession open(Path path, SessionOptions o, java.util.function.IntFunction<Backend> backends) {
        return open(path, o, true, backends);
    }

    private static JavaSession open(Path path, SessionOptions o, boolean f16Kv, java.util.function.IntFunction<Backend> backends) {
        JavaModel m = JavaModel.load(path, backends, o.threads());
        try {
            return m.openSession(o, f16Kv, true);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    @Override public JavaModel model() { return model; }

    /** @throws ModelException when the file's vocabulary is not a byte-level BPE one */
    public BpeTokenizer tokenizer() { return model.tokenizer(); }

    public ModelConfig config() { return model.config(); }

    /** Watches this session's forward passes (null: off); see {@link Transformer.Observer}. */
    public void observe(Transformer.Observer o) { tf.observe(o); }
    public GgufFile file() { return model.file(); }
    @Override public int position() { return pos; }
    @Override public int contextSize() { return tf.contextSize(); }

    @Override
    public void prefill(int[] tokens, LogitsSink all) {
        if (tokens.length == 0) return;
        check(tokens.length);
        tf.forward(tokens, 0, tokens.length, pos, logits, all);
        pos += tokens.length;
        haveLogits = true;
    }

    @Override
    public float[] decode(int token) {
        check(1);
        if (!replayed(token)) tf.forward(new int[] {token}, 0, 1, pos, logits, null);
        pos++;
        haveLogits = true;
        return logits.clone();
    }

    // A backend that records steps (CUDA: a graph of the ~450 launches of a 1.5B step) replays one decode
    // step per token; the first decode runs plainly so that scratch memory has its size, and a step whose
    // memory moved (a longer prompt grew a scratch buffer) is recorded again. -Dr1.cuda.graphs=false: off.
    private Backend.Replay replay;
    private boolean decodedOnce, noReplay;

    private boolean replayed(int token) {
        if (noReplay || tf.observed() || "false".equals(System.getProperty("r1.cuda.graphs"))) return false;
        if (replay != null && !replay.valid()) {
            replay.close();
            replay = null;
        }
        if (replay == null) {
            if (!decodedOnce) {
                decodedOnce = true;
                return false;
            }
            int[] tok = {token};
            int at = pos;
            try {
                replay = tf.backend().captureStep(() -> tf.forward(tok, 0, 1, at, logits, null));
            } catch (IllegalStateException e) { // a scratch buffer had to grow: this token plainly, record the next
                return false;
            }
            if (replay == null) {
                noReplay = true; // the backend records nothing (the CPU)
                return false;
            }
        }
        replay.run(token, pos);
        return true;
    }

    /** One token for each session in one pass through the weights; see {@link JavaModel#decodeBatch}. */
    static float[][] decodeBatch(JavaSession[] ss, int[] tokens) {
        int n = ss.length, batch = ss[0].tf.batch();
        float[][] out = new float[n][];
        for (int s0 = 0; s0 < n; s0 += batch) { // the first session's activations carry up to its batch at once
            int m = Math.min(batch, n - s0);
            Transformer[] ts = new Transformer[m];
            int[] pos = new int[m], ids = Arrays.copyOfRange(tokens, s0, s0 + m);
            float[][] part = new float[m][];
            for (int i = 0; i < m; i++) {
                JavaSession s = ss[s0 + i];
                s.check(1);
                ts[i] = s.tf;
                pos[i] = s.pos;
                part[i] = s.logits;
            }
            Transformer.decodeBatch(ts, ids, pos, part);
            for (int i = 0; i < m; i++) {
                JavaSession s = ss[s0 + i];
                s.pos++;
                s.haveLogits = true;
                out[s0 + i] = s.logits.clone();
            }
        }
        return out;
    }

    @Override
    public float[] lastLogits() {
        if (!haveLogits) throw new IllegalStateException("no logits yet: prefill or decode first");
        return logits.clone();
    }

    @Override
    public void reset() {
        pos = 0;
        haveLogits = false;
        Arrays.fill(logits, 0f);
    }

    /** Keeps the first {@code n} positions (the cache beyond is overwritten by later tokens). */
    @Override
    public void truncate(int n) {
        if (n < 0 || n > pos) throw new IllegalArgumentException("cannot truncate to " + n + " of " + pos + " positions");
        pos = n;
        haveLogits = false;
    }

    @Override
    public boolean copyFrom(Session source, int n) {
        if (!(source instanceof JavaSession s) || s.model != model) throw new IllegalArgumentException("the source session belongs to another model");
        if (closed || s.closed) throw new IllegalStateException("session is closed");
        if (n < 0 || n > s.pos) throw new IllegalArgumentException("cannot copy " + n + " of the source's " + s.pos + " positions");
        if (n > contextSize()) throw new IllegalArgumentException(n + " positions do not fit the context of " + contextSize());
        if (s == this) {
            truncate(n);
            return true;
        }
        if (!tf.copyCacheFrom(s.tf, n)) return false;
        pos = n;
        haveLogits = n == s.pos && s.haveLogits;
        if (haveLogits) System.arraycopy(s.logits, 0, logits, 0, logits.length);
        return true;
    }

    private void check(int more) {
        if (closed) throw new IllegalStateException("session is closed");
        if (pos + more > contextSize()) {
            throw new IllegalArgumentException("the context is full (" + pos + " + " + more + " tokens > " + contextSize()
                    + "); reset the conversation or raise the context size");
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (replay != null) replay.close();
        tf.close();
        if (ownsModel) model.close();
    }
}

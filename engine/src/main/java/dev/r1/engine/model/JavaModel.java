package dev.r1.engine.model;

import dev.r1.engine.Model;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.cpu.CpuBackend;
import dev.r1.engine.generate.TextDecoder;
import dev.r1.models.ModelException;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.tokenizer.BpeTokenizer;
import dev.r1.models.tokenizer.Vocabulary;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.function.IntFunction;

/**
 * Our engine's model: the GGUF file stays mapped, its weights are handed once to one backend (which may
 * repack or upload them), and every session opened here shares them; a session adds only its KV cache and
 * activations. The backend's ops are safe to call from several sessions' threads.
 */
public final class JavaModel implements Model {

    private final GgufFile file;
    private final ModelConfig cfg;
    private final Backend backend;
    private final ModelWeights weights;
    private final BitSet eog = new BitSet();
    private final int bos;
    private volatile BpeTokenizer tokenizer; // built on first use: ids-only callers (bench, tests) need no vocabulary
    private volatile boolean closed;

    private JavaModel(GgufFile file, ModelConfig cfg, Backend backend, ModelWeights weights) {
        this.file = file;
        this.cfg = cfg;
        this.backend = backend;
        this.weights = weights;
        this.bos = file.optInt("tokenizer.ggml.bos_token_id").orElse(-1);
        for (String key : new String[] {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
            file.optInt(key).ifPresent(id -> { if (id >= 0 && id < cfg.vocab()) eog.set(id); });
        }
        if (file.has("tokenizer.ggml.tokens")) {
            String[] tokens = file.getStringArray("tokenizer.ggml.tokens");
            for (int i = 0; i < Math.min(tokens.length, cfg.vocab()); i++) if (Vocabulary.isEogText(tokens[i])) eog.set(i);
        }
    }

    /** Loads {@code path} on the Java CPU backend with {@code threads} threads. */
    public static JavaModel load(Path path, int threads) {
        return load(path, t -> new CpuBackend(t), threads);
    }

    /**
     * Loads {@code path} on the backend {@code backends} makes for {@code threads}.
     *
     * @throws ModelException naming the file and field when it is not a model this engine runs
     */
    public static JavaModel load(Path path, IntFunction<Backend> backends, int threads) {
        GgufFile file = GgufFile.open(path);
        try {
            ModelConfig cfg = ModelConfig.fromGguf(file);
            Backend be = backends.apply(threads);
            try {
                return new JavaModel(file, cfg, be, ModelWeights.load(file, cfg, be));
            } catch (RuntimeException e) {
                be.close();
                throw e;
            }
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    public ModelConfig config() { return cfg; }
    public GgufFile file() { return file; }

    /** @throws ModelException when the file's vocabulary is not a byte-level BPE one */
    public BpeTokenizer tokenizer() {
        BpeTokenizer t = tokenizer;
        if (t == null) {
            synchronized (this) {
                if (tokenizer == null) tokenizer = new BpeTokenizer(Vocabulary.fromGguf(file));
                t = tokenizer;
            }
        }
        return t;
    }

    @Override public Path path() { return file.path(); }
    @Override public String backend() { return "java"; }

    @Override public void warmUp() { backend.warmUp(); }
    @Override public String description() { return backend.name(); }
    @Override public int vocabSize() { return cfg.vocab(); }
    @Override public int trainContext() { return cfg.contextLength(); }
    @Override public int bos() { return bos; }
    @Override public boolean isEog(int token) { return token >= 0 && eog.get(token); }
    @Override public int[] tokenize(String text, boolean addBos, boolean parseSpecial) { return tokenizer().encode(text, addBos, parseSpecial); }
    @Override public String detokenize(int[] tokens) { return tokenizer().decode(tokens); }
    @Override public String piece(int token) { return tokenizer().piece(token); }
    @Override public TextDecoder textDecoder() { return TextDecoder.of(tokenizer().streamingDecoder()); }

    /** A session with an F16 KV cache (as llama.cpp's default). */
    @Override
    public JavaSession newSession(SessionOptions o) {
        return newSession(o, true);
    }

    /** @param f16Kv F16 key/value cache (half the memory) rather than F32 */
    public JavaSession newSession(SessionOptions o, boolean f16Kv) {
        return openSession(o, f16Kv, false);
    }

    /** @param ownsModel the session closes this model when it closes (a model opened for one session) */
    JavaSession openSession(SessionOptions o, boolean f16Kv, boolean ownsModel) {
        if (closed) throw new IllegalStateException("model " + file.path() + " is closed");
        int ctx = o.ctx() == 0 ? Math.min(SessionOptions.DEFAULT_CTX, cfg.contextLength()) : Math.min(o.ctx(), cfg.contextLength());
        Transformer tf = new Transformer(weights, backend, ctx, Math.min(o.batch(), backend.prefillChunk()), f16Kv);
        tf.ubatch(o.batch()); // as LlamaCppSession sets n_ubatch (where ggml picks its attention kernel by it)
        return new JavaSession(this, tf, ownsModel);
    }

    /** Decodes the sessions' tokens in one pass through the weights (see {@link Transformer#decodeBatch}). */
    @Override
    public float[][] decodeBatch(Session[] sessions, int[] tokens) {
        if (sessions.length != tokens.length) throw new IllegalArgumentException(sessions.length + " sessions, " + tokens.length + " tokens");
        if (sessions.length == 1) return new float[][] {sessions[0].decode(tokens[0])};
        JavaSession[] js = new JavaSession[sessions.length];
        for (int i = 0; i < sessions.length; i++) {
            if (!(sessions[i] instanceof JavaSession s) || s.model() != this)
                throw new IllegalArgumentException("session " + i + " belongs to another model");
            for (int j = 0; j < i; j++) if (js[j] == s) throw new IllegalArgumentException("session " + i + " appears twice in one batch");
            js[i] = s;
        }
        return JavaSession.decodeBatch(js, tokens);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        backend.close();
        file.close();
    }
}

package dev.r1.engine.model;

import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.cpu.CpuBackend;
import dev.r1.models.ModelException;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.tokenizer.BpeTokenizer;
import dev.r1.models.tokenizer.Vocabulary;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Set;

/**
 * Our engine's session over a GGUF file: the file stays mapped, weights are read in place, the KV cache
 * is sized by the context. Prefill runs the prompt in chunks; decode feeds one token.
 */
public final class JavaSession implements Session {

    /** Texts of control tokens that end a turn in the distills' vocabularies (as llama.cpp's EOG set). */
    private static final Set<String> EOG_TEXTS = Set.of("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|eom_id|>",
            "<|end_of_text|>", "<｜end▁of▁sentence｜>");

    private final GgufFile file;
    private final Transformer tf;
    private final ModelConfig cfg;
    private final float[] logits;
    private final BitSet eog = new BitSet();
    private final int bos;
    private BpeTokenizer tokenizer; // built on first use: ids-only callers (bench, tests) need no vocabulary
    private int pos;
    private boolean haveLogits;

    private JavaSession(GgufFile file, Transformer tf) {
        this.file = file;
        this.tf = tf;
        this.cfg = tf.config();
        this.logits = new float[cfg.vocab()];
        this.bos = file.optInt("tokenizer.ggml.bos_token_id").orElse(-1);
        for (String key : new String[] {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
            file.optInt(key).ifPresent(id -> { if (id >= 0 && id < cfg.vocab()) eog.set(id); });
        }
        if (file.has("tokenizer.ggml.tokens")) {
            String[] tokens = file.getStringArray("tokenizer.ggml.tokens");
            for (int i = 0; i < Math.min(tokens.length, cfg.vocab()); i++) if (EOG_TEXTS.contains(tokens[i])) eog.set(i);
        }
    }

    /** Opens {@code path} with an F16 KV cache (as llama.cpp); the caller closes the session (which unmaps the file). */
    public static JavaSession open(Path path, SessionOptions o) {
        return open(path, o, true);
    }

    /**
     * @param f16Kv F16 key/value cache (half the memory) rather than F32
     * @throws ModelException naming the file and field when it is not a model this engine runs
     */
    public static JavaSession open(Path path, SessionOptions o, boolean f16Kv) {
        GgufFile file = GgufFile.open(path);
        try {
            ModelConfig cfg = ModelConfig.fromGguf(file);
            int ctx = o.ctx() == 0 ? Math.min(SessionOptions.DEFAULT_CTX, cfg.contextLength()) : Math.min(o.ctx(), cfg.contextLength());
            CpuBackend be = new CpuBackend(o.threads());
            try {
                ModelWeights w = ModelWeights.load(file, cfg, be);
                // Chunks past a few dozen tokens gain little on CPU and cost activation memory.
                return new JavaSession(file, new Transformer(w, be, ctx, Math.min(o.batch(), 64), f16Kv));
            } catch (RuntimeException e) {
                be.close();
                throw e;
            }
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** @throws ModelException when the file's vocabulary is not a byte-level BPE one */
    public BpeTokenizer tokenizer() {
        if (tokenizer == null) tokenizer = new BpeTokenizer(Vocabulary.fromGguf(file));
        return tokenizer;
    }

    @Override public int[] tokenize(String text, boolean addBos, boolean parseSpecial) { return tokenizer().encode(text, addBos, parseSpecial); }
    @Override public String detokenize(int[] tokens) { return tokenizer().decode(tokens); }
    @Override public String piece(int token) { return tokenizer().piece(token); }

    public ModelConfig config() { return cfg; }
    public GgufFile file() { return file; }
    @Override public int vocabSize() { return cfg.vocab(); }
    @Override public int bos() { return bos; }
    @Override public boolean isEog(int token) { return token >= 0 && eog.get(token); }
    @Override public int position() { return pos; }
    @Override public int contextSize() { return tf.contextSize(); }

    @Override
    public void prefill(int[] tokens) {
        if (tokens.length == 0) return;
        check(tokens.length);
        tf.forward(tokens, 0, tokens.length, pos, logits);
        pos += tokens.length;
        haveLogits = true;
    }

    @Override
    public float[] decode(int token) {
        check(1);
        tf.forward(new int[] {token}, 0, 1, pos, logits);
        pos++;
        haveLogits = true;
        return logits.clone();
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
    public void truncate(int n) {
        if (n < 0 || n > pos) throw new IllegalArgumentException("cannot truncate to " + n + " of " + pos + " positions");
        pos = n;
        haveLogits = false;
    }

    private void check(int more) {
        if (pos + more > contextSize()) {
            throw new IllegalArgumentException("the context is full (" + pos + " + " + more + " tokens > " + contextSize()
                    + "); reset the conversation or raise the context size");
        }
    }

    @Override
    public void close() {
        tf.close();
        file.close();
    }
}

package dev.r1.engine.eval;

import dev.r1.engine.Model;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.model.JavaModel;

/** What evaluation needs from a loaded model beyond {@link Model}: the BOS rule, the text's tokens, a scoring session. */
public final class EvalModels {
    private EvalModels() {}

    /** Whether the model's tokenizer puts BOS in front of a text (GGUF {@code tokenizer.ggml.add_bos_token}). */
    public static boolean addsBos(Model m) {
        if (m.bos() < 0) return false;
        if (m instanceof JavaModel jm) return jm.tokenizer().vocabulary().addBos();
        // llama.cpp adds BOS on request only when the vocabulary says so.
        return m.tokenize("a", true, false).length > m.tokenize("a", false, false).length;
    }

    /** The text's tokens as llama-perplexity takes them: special tokens as plain text, BOS when the model adds one. */
    public static int[] tokenize(Model m, String text) {
        boolean bos = addsBos(m);
        int[] t = m.tokenize(text, bos, false);
        return t;
    }

    /** The text cut into windows for {@code m}. */
    public static Windows windows(Model m, String text, int ctx, int maxChunks) {
        return Windows.of(tokenize(m, text), ctx, maxChunks, addsBos(m) ? m.bos() : -1);
    }

    /** A session holding one window, fed in one batch where the backend allows. */
    public static Session scoringSession(Model m, int ctx, int threads) {
        Session s = m.newSession(new SessionOptions(threads, ctx, Math.min(ctx, SessionOptions.DEFAULT_BATCH)));
        if (s.contextSize() < ctx) {
            int have = s.contextSize();
            s.close();
            throw new EvalException(m.path() + " holds at most " + have + " positions on " + m.backend()
                    + "; use --ctx " + have + " or less");
        }
        return s;
    }

    /**
     * Refuses two models whose tokenizers cut {@code text} differently: their logits would describe
     * different token sequences. Equal token ids over a whole text is the test that matters for scoring.
     */
    public static void requireSameTokens(String what, int[] a, int[] b, Model ma, Model mb) {
        int n = Math.min(a.length, b.length);
        for (int i = 0; i < n; i++) {
            if (a[i] != b[i])
                throw new EvalException(what + ": the two models use different tokenizers (token " + i + " of the text is "
                        + a[i] + " '" + safePiece(ma, a[i]) + "' for one and " + b[i] + " '" + safePiece(mb, b[i])
                        + "' for the other); KL and the other comparisons need one tokenizer");
        }
        if (a.length != b.length)
            throw new EvalException(what + ": the two models use different tokenizers (the text is " + a.length + " tokens for one, "
                    + b.length + " for the other); KL and the other comparisons need one tokenizer");
    }

    private static String safePiece(Model m, int id) {
        try {
            return m == null ? "?" : m.piece(id).replace("\n", "\\n");
        } catch (RuntimeException e) {
            return "?";
        }
    }
}

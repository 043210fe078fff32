package dev.r1.engine.eval;

import java.util.Arrays;

/**
 * A tokenized text cut as {@code llama-perplexity} cuts it: non-overlapping windows of {@code ctx} tokens
 * ({@code tokens.length / ctx} of them, or fewer with a chunk limit; the tail is dropped), each fed from
 * position 0 of an empty cache with its first token replaced by BOS when the model adds one. Only the second
 * half is scored, so every scored token has at least {@code ctx/2} tokens of context: the logits after
 * position {@code j} predict token {@code j+1} for {@code j} in {@code [ctx/2, ctx-2]}, i.e.
 * {@code ctx - 1 - ctx/2} tokens per window.
 *
 * @param tokens the whole text's tokens (with the model's BOS in front when it adds one)
 * @param bos    the id written over each window's first token, or -1 when the model adds no BOS
 */
public record Windows(int[] tokens, int ctx, int chunks, int bos) {

    public Windows {
        if (ctx < 4) throw new EvalException("the context must be at least 4 tokens, got " + ctx);
        if (chunks < 1 || (long) chunks * ctx > tokens.length)
            throw new EvalException(chunks + " windows of " + ctx + " tokens do not fit " + tokens.length + " tokens");
    }

    /**
     * @param maxChunks the most windows to take (0 or less: all)
     * @throws EvalException when the text has fewer than {@code 2 * ctx} tokens (as llama-perplexity refuses)
     */
    public static Windows of(int[] tokens, int ctx, int maxChunks, int bos) {
        if (ctx < 4) throw new EvalException("--ctx must be at least 4, got " + ctx);
        if (tokens.length < 2L * ctx)
            throw new EvalException("the text tokenizes to only " + tokens.length + " tokens; a context of " + ctx
                    + " needs at least " + 2 * ctx + " (give a longer --text or a smaller --ctx)");
        int n = tokens.length / ctx;
        return new Windows(tokens, ctx, maxChunks > 0 ? Math.min(maxChunks, n) : n, bos);
    }

    /** First position whose logits are scored. */
    public int first() { return ctx / 2; }

    /** Tokens scored per window. */
    public int scoredPerChunk() { return ctx - 1 - first(); }

    public long scoredTotal() { return (long) chunks * scoredPerChunk(); }

    /** The tokens fed for window {@code c} (a copy: BOS over the first when the model adds one). */
    public int[] window(int c) {
        int[] w = Arrays.copyOfRange(tokens, c * ctx, (c + 1) * ctx);
        if (bos >= 0) w[0] = bos;
        return w;
    }

    /** The token the logits after position {@code j} of window {@code c} are scored against. */
    public int target(int c, int j) { return tokens[c * ctx + j + 1]; }
}

package dev.r1.models.template;

import dev.r1.models.tokenizer.BpeTokenizer;

/** Turns a rendered chat prompt into token ids. */
public final class ChatPrompt {
    private ChatPrompt() {}

    /**
     * Encodes a rendered prompt, parsing its special tokens. BOS is added only when the vocabulary wants it
     * and the text does not already start with it, since chat templates usually write BOS themselves: a
     * doubled BOS shifts the model off the distribution it was trained on.
     */
    public static int[] encode(BpeTokenizer tokenizer, String rendered) {
        String bos = tokenizer.bosText();
        boolean addBos = tokenizer.vocabulary().addBos() && (bos == null || !rendered.startsWith(bos));
        return tokenizer.encode(rendered, addBos, true);
    }
}

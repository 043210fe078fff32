package dev.r1.models.tokenizer;

import java.nio.file.Path;

/**
 * A Hugging Face directory's tokenizer.json read once, for the fuzz harnesses of the directory's other files
 * (config.json, tokenizer_config.json): {@link #vocabulary} is {@link Vocabulary#fromHf} without re-reading
 * the unchanged tokenizer.json on every input, which took most of each input's time.
 */
public final class TokenizerJsonOnce {
    private final HfVocabularyReader.TokenizerJson json;

    private TokenizerJsonOnce(HfVocabularyReader.TokenizerJson json) { this.json = json; }

    public static TokenizerJsonOnce read(Path tokenizerJson) {
        return new TokenizerJsonOnce(HfVocabularyReader.readTokenizerJson(tokenizerJson));
    }

    /** {@code Vocabulary.fromHf(dir)}, where dir's tokenizer.json is the file this was read from, unchanged. */
    public Vocabulary vocabulary(Path dir) {
        return HfVocabularyReader.read(dir, json);
    }
}

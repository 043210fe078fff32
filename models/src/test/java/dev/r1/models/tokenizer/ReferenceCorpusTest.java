package dev.r1.models.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every string of the committed corpus must encode to exactly the ids the npm packages' own JS tokenizer
 * produced (models/src/test/node/make-tokenizer-fixtures.mjs), and decode back to the NFC form of itself.
 */
class ReferenceCorpusTest {

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "llama3_1"})
    void encodeMatchesReferenceOnEveryString(String name) {
        BpeTokenizer tok = TokenizerFixtures.hf(name);
        List<String> corpus = TokenizerFixtures.corpus();
        int[][] expected = TokenizerFixtures.expectedIds(name);
        assertEquals(corpus.size(), expected.length, "fixture sizes");
        assertTrue(corpus.size() >= 500, "corpus has " + corpus.size() + " strings");
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < corpus.size(); i++) {
            int[] got = tok.encode(corpus.get(i), false, true);
            if (!Arrays.equals(expected[i], got)) {
                failures.add("#" + i + " " + escape(corpus.get(i)) + "\n   want " + Arrays.toString(expected[i])
                        + "\n   got  " + Arrays.toString(got));
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + corpus.size() + " strings differ:\n"
                + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "llama3_1"})
    void decodeInvertsEncode(String name) {
        BpeTokenizer tok = TokenizerFixtures.hf(name);
        boolean nfc = name.equals("qwen3");
        for (String s : TokenizerFixtures.corpus()) {
            String want = nfc ? java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC) : s;
            assertEquals(want, tok.decode(tok.encode(s, false, true)), () -> escape(s));
        }
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().limit(120).forEach(c -> {
            if (c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", c));
            else b.appendCodePoint(c);
        });
        return b.append(s.length() > 120 ? "...\"" : "\"").toString();
    }
}

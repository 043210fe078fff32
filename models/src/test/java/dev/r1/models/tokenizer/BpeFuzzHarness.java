package dev.r1.models.tokenizer;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jazzer harness: arbitrary text (bytes decoded as UTF-8, bad sequences as U+FFFD) through the real R1
 * tokenizers (Qwen2 and Llama 3 vocabularies from .deps). Encoding never throws, every id is in the
 * vocabulary, and decoding gives the text back: exactly for Llama 3, up to NFC (which Qwen2 applies
 * before splitting) for Qwen2; with and without parsing special tokens.
 */
class BpeFuzzHarness {
    /**
     * Only the first 512 bytes of an input are used. The tokenizer works piece by piece: the pre-tokenizer
     * carries nothing past a piece, the piece cache stops at 64 code points, the longest special token is 30
     * bytes; 512 bytes hold many pieces, pieces past the cache, several scripts and special tokens. Longer
     * inputs (libFuzzer grows them to 4 KB) run the same paths at a cost linear in their length: the
     * harnesses ran 835 (Llama) and 1 560 (Qwen) inputs a second without the cap.
     */
    static final int MAX_TEXT_BYTES = 512;

    @FuzzTest
    void qwen(byte[] data) {
        roundTrip(TokenizerFixtures.r1Qwen(), text(data), true);
    }

    @FuzzTest
    void llama(byte[] data) {
        roundTrip(TokenizerFixtures.r1Llama(), text(data), false);
    }

    private static String text(byte[] data) {
        return new String(data, 0, Math.min(data.length, MAX_TEXT_BYTES), StandardCharsets.UTF_8);
    }

    static void roundTrip(BpeTokenizer t, String text, boolean nfc) {
        String want = nfc ? Normalizer.normalize(text, Normalizer.Form.NFC) : text;
        for (boolean special : new boolean[] {false, true}) {
            int[] ids = t.encode(text, false, special);
            for (int id : ids) assertTrue(id >= 0 && id < t.vocabSize(), "id " + id);
            String back = t.decode(ids);
            assertEquals(want, nfc ? Normalizer.normalize(back, Normalizer.Form.NFC) : back,
                    () -> "special=" + special + " ids=" + Arrays.toString(ids));
        }
    }
}

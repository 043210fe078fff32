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
    @FuzzTest
    void qwen(byte[] data) {
        roundTrip(TokenizerFixtures.r1Qwen(), new String(data, StandardCharsets.UTF_8), true);
    }

    @FuzzTest
    void llama(byte[] data) {
        roundTrip(TokenizerFixtures.r1Llama(), new String(data, StandardCharsets.UTF_8), false);
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

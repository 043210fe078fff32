package dev.r1.models.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TinyVocabularyTest {
    @Test
    void exactSizeSpecialsAtTheEndAndDeterministic() {
        Vocabulary v = Vocabulary.tinyByteLevel(512);
        assertEquals(512, v.size());
        assertEquals(TinyVocabulary.R1_SPECIALS, v.tokens().subList(506, 512));
        assertEquals(506, v.bosId());
        assertEquals(507, v.eosId());
        assertEquals("qwen2", v.pre());
        assertEquals(512 - 256 - 6, v.merges().size(), "the built-in text yields enough merges for 512");
        Vocabulary again = Vocabulary.tinyByteLevel(512);
        assertEquals(v.tokens(), again.tokens());
        assertEquals(v.merges(), again.merges());
        assertEquals(v, again);
        assertEquals(v.hashCode(), again.hashCode());
        assertTrue(!v.equals(Vocabulary.tinyByteLevel(513)));
        assertEquals(262, Vocabulary.tinyByteLevel(262).size());
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.tinyByteLevel(261));
        Vocabulary big = Vocabulary.tinyByteLevel(4096);
        assertEquals(4096, big.size());
        assertEquals(Vocabulary.TYPE_UNUSED, big.tokenTypes()[4000], "past what the text teaches: unused padding");
    }

    @Test
    void encodesEverythingAndCompresses() {
        BpeTokenizer t = new BpeTokenizer(Vocabulary.tinyByteLevel(512));
        for (String s : TokenizerFixtures.corpus()) {
            assertEquals(java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC), t.decode(t.encode(s, false, false)));
        }
        String text = "The answer is 55. Let me think step by step.";
        int[] ids = t.encode(text, false, false);
        assertTrue(ids.length < text.length() / 2, "merges are used: " + ids.length + " ids");
        int[] chat = t.encode("<｜User｜>hi<｜Assistant｜><think>\n", true, true);
        assertArrayEquals(new int[] {506, 508}, new int[] {chat[0], chat[1]});
        assertEquals(List.of(509, 510), List.of(chat[chat.length - 3], chat[chat.length - 2]));
    }
}

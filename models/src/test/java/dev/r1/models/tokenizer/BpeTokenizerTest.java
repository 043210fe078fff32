package dev.r1.models.tokenizer;

import dev.r1.models.ModelException;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BpeTokenizerTest {
    @TempDir Path dir;

    @Test
    void hfVocabulariesReadTheirSettings() {
        Vocabulary q = TokenizerFixtures.hf("qwen3").vocabulary();
        assertEquals("qwen2", q.pre());
        assertEquals(-1, q.bosId());
        assertFalse(q.addBos());
        assertEquals("<|im_end|>", q.tokens().get(q.eosId()));
        assertEquals("<|endoftext|>", q.tokens().get(q.padId()));
        assertEquals(Vocabulary.TYPE_USER_DEFINED, q.tokenTypes()[q.tokens().indexOf("<think>")]);
        assertEquals(Vocabulary.TYPE_CONTROL, q.tokenTypes()[151644]);
        Vocabulary l = TokenizerFixtures.hf("llama3_1").vocabulary();
        assertEquals("llama-bpe", l.pre());
        assertEquals(128000, l.bosId());
        assertTrue(l.addBos(), "the Llama-3 post-processor prepends BOS");
        assertEquals(128009, l.eosId());
        assertEquals(-1, l.padId());
        assertEquals(128256, l.size());
        assertTrue(Arrays.stream(l.eogIds()).boxed().toList().containsAll(List.of(128001, 128009)));
    }

    @Test
    void specialTokensAreTextUnlessParsed() {
        BpeTokenizer q = TokenizerFixtures.hf("qwen3");
        String s = "<|im_start|>user\nhi<think>x</think><|im_end|>";
        int[] parsed = q.encode(s, false, true);
        assertEquals(151644, parsed[0]);
        assertEquals(151645, parsed[parsed.length - 1]);
        int[] plain = q.encode(s, false, false);
        assertTrue(Arrays.stream(plain).noneMatch(id -> id == 151644 || id == 151645), Arrays.toString(plain));
        // <think> is user-defined: matched even when special tokens are not parsed, as llama.cpp does.
        int think = q.addedTokenId("<think>");
        assertTrue(think > 0 && Arrays.stream(plain).anyMatch(id -> id == think));
        assertEquals(s, q.decode(plain));
        assertEquals(s, q.decode(parsed));
        assertTrue(q.isSpecial(151644));
        assertFalse(q.isSpecial(think));
        assertFalse(q.isSpecial(9707));
        assertTrue(q.isEog(151645));
    }

    @Test
    void bosIsAddedOnlyWhenAsked() {
        BpeTokenizer l = TokenizerFixtures.hf("llama3_1");
        int[] without = l.encode("Hello world", false, true);
        int[] with = l.encode("Hello world", true, true);
        assertEquals(128000, with[0]);
        assertArrayEquals(without, Arrays.copyOfRange(with, 1, with.length));
        assertArrayEquals(with, l.encode("Hello world"));
    }

    @Test
    void piecesAndBytes() {
        BpeTokenizer q = TokenizerFixtures.hf("qwen3");
        assertEquals(" world", q.piece(1879));
        assertArrayEquals(" world".getBytes(StandardCharsets.UTF_8), q.pieceBytes(1879));
        assertEquals("<|im_start|>", q.piece(151644));
        byte[] b = q.pieceBytes(1879);
        b[0] = 'X';
        assertEquals(" world", q.piece(1879), "pieceBytes returns a copy");
        assertThrows(IllegalArgumentException.class, () -> q.piece(-1));
        assertThrows(IllegalArgumentException.class, () -> q.decode(new int[] {q.vocabSize()}));
    }

    @Test
    void r1QwenVocabulary() {
        BpeTokenizer r1 = TokenizerFixtures.r1Qwen();
        Vocabulary v = r1.vocabulary();
        assertEquals(151665, v.size());
        assertEquals("deepseek-r1-qwen", v.pre());
        assertEquals(151646, v.bosId());
        assertEquals(151643, v.eosId());
        assertEquals(151643, v.padId());
        assertTrue(v.addBos());
        assertEquals("<｜User｜>", v.tokens().get(151644));
        assertEquals("<|file_sep|>", v.tokens().get(151664));
        int[] ids = r1.encode("<｜User｜>What is 1+1?<｜Assistant｜><think>\nok</think>", true, true);
        assertEquals(List.of(151646, 151644), List.of(ids[0], ids[1]));
        assertTrue(Arrays.stream(ids).anyMatch(i -> i == 151645));
        assertEquals(151649, ids[ids.length - 1]);
        assertEquals(151648, r1.addedTokenId("<think>"));
        // Base ids below 151643 are the Qwen2 ones.
        BpeTokenizer base = TokenizerFixtures.hf("qwen3");
        for (String s : TokenizerFixtures.corpus().subList(0, 100)) {
            if (s.contains("<")) continue;
            assertArrayEquals(base.encode(s, false, true), r1.encode(s, false, true), s);
        }
        assertTrue(r1.isEog(151643));
        assertTrue(r1.isSpecial(151646));
    }

    @Test
    void r1LlamaVocabulary() {
        BpeTokenizer r1 = TokenizerFixtures.r1Llama();
        Vocabulary v = r1.vocabulary();
        assertEquals(128256, v.size());
        assertEquals(128000, v.bosId());
        assertEquals(128001, v.eosId());
        int[] ids = r1.encode("<｜User｜>hi<｜Assistant｜><think>\n", true, true);
        assertEquals(List.of(128000, 128011), List.of(ids[0], ids[1]));
        assertEquals(128012, ids[ids.length - 3]);
        assertEquals(128013, ids[ids.length - 2]);
        assertEquals(128014, r1.addedTokenId("</think>"));
    }

    @Test
    void ggufMetadataRoundTrip() throws Exception {
        BpeTokenizer r1 = TokenizerFixtures.r1Qwen();
        Vocabulary v = r1.vocabulary();
        Path out = dir.resolve("tok.gguf");
        try (GgufWriter w = GgufWriter.create(out)) {
            w.putString("general.architecture", "qwen2");
            w.putAll(v.toGgufMetadata(151936));
            w.commit();
        }
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals("gpt2", f.getString("tokenizer.ggml.model"));
            Vocabulary back = Vocabulary.fromGguf(f);
            assertEquals(151936, back.size());
            assertEquals("[PAD151665]", back.tokens().get(151665));
            assertEquals(Vocabulary.TYPE_UNUSED, back.tokenTypes()[151935]);
            assertEquals(v.tokens(), back.tokens().subList(0, v.size()));
            assertArrayEquals(v.tokenTypes(), Arrays.copyOf(back.tokenTypes(), v.size()));
            assertEquals(v.merges(), back.merges());
            assertEquals(List.of(v.bosId(), v.eosId(), v.padId()), List.of(back.bosId(), back.eosId(), back.padId()));
            assertEquals(v.addBos(), back.addBos());
            assertEquals(v.pre(), back.pre());
            assertArrayEquals(v.eogIds(), back.eogIds());
        }
    }

    @Test
    void vocabularyOfGgufValues() {
        Vocabulary t = Vocabulary.tinyByteLevel(512);
        Vocabulary v = Vocabulary.of(t.tokens(), t.tokenTypes(), t.merges(), t.bosId(), t.eosId(), true, "qwen2");
        assertEquals(-1, v.padId());
        assertArrayEquals(t.eogIds(), v.eogIds());
        assertEquals(t.addedTokens(), v.addedTokens());
        assertEquals(t.bosId(), v.addedTokens().get("<｜begin▁of▁sentence｜>"));
        BpeTokenizer a = new BpeTokenizer(t), b = new BpeTokenizer(v);
        for (String s : List.of("hello world", "<think>x</think>", "数字 12345")) {
            assertArrayEquals(a.encode(s, true, true), b.encode(s, true, true), s);
        }
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.of(t.tokens(), new int[3], t.merges(), 0, 1, true, "qwen2"));
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.of(t.tokens(), t.tokenTypes(), t.merges(), 0, 1, true, "gpt-17"));
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.of(t.tokens(), t.tokenTypes(), t.merges(), 9999, 1, true, "qwen2"));
    }

    @Test
    void tinyVocabularyThroughGgufEncodesTheSame() throws Exception {
        Vocabulary v = Vocabulary.tinyByteLevel(512);
        Path out = dir.resolve("tiny.gguf");
        try (GgufWriter w = GgufWriter.create(out)) {
            w.putAll(v.toGgufMetadata(520));
            w.commit();
        }
        try (GgufFile f = GgufFile.open(out)) {
            BpeTokenizer a = new BpeTokenizer(v), b = new BpeTokenizer(Vocabulary.fromGguf(f));
            assertEquals(520, b.vocabSize());
            for (String s : TokenizerFixtures.corpus()) assertArrayEquals(a.encode(s, true, true), b.encode(s, true, true), s);
        }
    }

    @Test
    void ggufWithoutTokenizerIsAClearError() throws Exception {
        Path out = dir.resolve("none.gguf");
        try (GgufWriter w = GgufWriter.create(out)) {
            w.putString("general.architecture", "qwen2");
            w.commit();
        }
        try (GgufFile f = GgufFile.open(out)) {
            ModelException e = assertThrows(ModelException.class, () -> Vocabulary.fromGguf(f));
            assertTrue(e.getMessage().contains("tokenizer.ggml.model") && e.getMessage().contains("none.gguf"),
                    e.getMessage());
        }
        Path spm = dir.resolve("spm.gguf");
        try (GgufWriter w = GgufWriter.create(spm)) {
            w.putString("tokenizer.ggml.model", "llama");
            w.commit();
        }
        try (GgufFile f = GgufFile.open(spm)) {
            assertTrue(assertThrows(ModelException.class, () -> Vocabulary.fromGguf(f)).getMessage()
                    .contains("'llama' is not supported"));
        }
    }

    @Test
    void badHfDirectoriesAreClearErrors() throws Exception {
        ModelException missing = assertThrows(ModelException.class, () -> Vocabulary.fromHf(dir));
        assertTrue(missing.getMessage().contains("tokenizer.json"), missing.getMessage());
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": [1,2]}}");
        ModelException notObject = assertThrows(ModelException.class, () -> Vocabulary.fromHf(dir));
        assertTrue(notObject.getMessage().contains("model.vocab"), notObject.getMessage());
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": ");
        assertTrue(assertThrows(ModelException.class, () -> Vocabulary.fromHf(dir)).getMessage()
                .contains("cannot read JSON"));
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Unigram\"}}");
        assertTrue(assertThrows(ModelException.class, () -> Vocabulary.fromHf(dir)).getMessage()
                .contains("Unigram"));
    }

    @Test
    void longInputsStayFast() {
        BpeTokenizer q = TokenizerFixtures.hf("qwen3");
        // One 200k-letter word and 200k spaces: quadratic merging or regex backtracking would hang here.
        String word = "ab".repeat(100_000);
        assertEquals(word, q.decode(q.encode(word, false, false)));
        String spaces = " ".repeat(200_000) + "x";
        assertEquals(spaces, q.decode(q.encode(spaces, false, false)));
    }

    @Test
    void streamingDecoderEmitsWholeCharacters() {
        for (BpeTokenizer tok : List.of(TokenizerFixtures.hf("qwen3"), TokenizerFixtures.hf("llama3_1"))) {
            for (String s : TokenizerFixtures.corpus()) {
                int[] ids = tok.encode(s, false, true);
                StreamingDecoder d = tok.streamingDecoder();
                StringBuilder b = new StringBuilder();
                for (int id : ids) {
                    String chunk = d.feed(id);
                    assertFalse(chunk.contains("\uFFFD"), () -> "half a character emitted for " + ReferenceCorpusTest.escape(s));
                    b.append(chunk);
                }
                b.append(d.flush());
                assertEquals(tok.decode(ids), b.toString());
            }
        }
    }

    @Test
    void streamingDecoderFlushesAnUnfinishedCharacter() {
        BpeTokenizer q = TokenizerFixtures.hf("qwen3");
        // A character the vocabulary splits over several byte tokens.
        int[] ids = "𝔘𐌰🫨ꙮ".codePoints().mapToObj(Character::toString).map(c -> q.encode(c, false, false))
                .filter(a -> a.length > 1).findFirst().orElseThrow();
        StreamingDecoder d = q.streamingDecoder();
        assertEquals("", d.feed(ids[0]));
        assertEquals("\uFFFD", d.flush());
        assertEquals("", d.flush());
    }

    @Test
    void completePrefixOfUtf8() {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        assertEquals(0, StreamingDecoder.completePrefix(Arrays.copyOf(euro, 2)));
        assertEquals(3, StreamingDecoder.completePrefix(euro));
        assertEquals(1, StreamingDecoder.completePrefix(new byte[] {'a', (byte) 0xF0, (byte) 0x9F}));
        assertEquals(2, StreamingDecoder.completePrefix(new byte[] {'a', (byte) 0xFF}), "invalid byte is let through");
    }
}

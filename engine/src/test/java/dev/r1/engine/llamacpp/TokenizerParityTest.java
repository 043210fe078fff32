package dev.r1.engine.llamacpp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.r1.engine.SessionOptions;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tokenizer.BpeTokenizer;
import dev.r1.models.tokenizer.R1Vocabularies;
import dev.r1.models.tokenizer.Vocabulary;
import dev.r1.quantize.synth.SyntheticModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our tokenizer against llama.cpp's {@code llama_tokenize} on the same GGUF, which carries a distill's real
 * vocabulary (tiny layers, full-size embedding), over the whole tokenizer corpus.
 */
class TokenizerParityTest {
    @TempDir static Path dir;

    static Path deps() {
        return Path.of(System.getProperty("r1.deps", "../.deps"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen", "llama"})
    void ourTokenizerEqualsLlamaCppOnTheCorpus(String family) throws Exception {
        boolean llama = family.equals("llama");
        Vocabulary v = llama ? R1Vocabularies.llama(deps().resolve("tokenizers/llama3_1"))
                : R1Vocabularies.qwen(deps().resolve("tokenizers/qwen3"));
        ModelConfig cfg = Presets.get(llama ? "tiny-llama" : "tiny-qwen2").withVocab(llama ? 128256 : 151936);
        Path gguf = dir.resolve(family + ".gguf");
        SyntheticModel.write(gguf, true, cfg, "parity " + family, 1, s -> s.isVector() ? GgmlType.F32 : GgmlType.Q8_0,
                v.toGgufMetadata(cfg.vocab()), 7, b -> {});
        BpeTokenizer ours;
        try (GgufFile f = GgufFile.open(gguf)) {
            ours = new BpeTokenizer(Vocabulary.fromGguf(f));
        }
        List<String> corpus = new ObjectMapper().readValue(
                Path.of("../models/src/test/resources/tokenizer/corpus.json").toFile(),
                new com.fasterxml.jackson.core.type.TypeReference<List<String>>() {});
        assertTrue(corpus.size() >= 500, "corpus has " + corpus.size() + " strings");
        List<String> mismatches = new ArrayList<>();
        try (LlamaCppSession s = LlamaCppSession.open(gguf, new SessionOptions(1, 64, 64))) {
            for (boolean bos : new boolean[]{false, true}) {
                for (String text : corpus) {
                    // The distills' tokenizer.json normalizes to NFC (Qwen2) and llama.cpp has no normalizer:
                    // it would tokenize decomposed text differently from the model's own tokenizer. Ours follows
                    // tokenizer.json, so llama.cpp is given the NFC form (identical for all but a few strings).
                    String nfc = java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);
                    int[] ref = s.tokenize(llama ? text : nfc, bos, true);
                    int[] got = ours.encode(text, bos, true);
                    if (!java.util.Arrays.equals(ref, got) && mismatches.size() < 10)
                        mismatches.add((bos ? "[bos] " : "") + text + "\n  llama.cpp " + java.util.Arrays.toString(ref)
                                + "\n  r1        " + java.util.Arrays.toString(got));
                }
            }
            // Decoding agrees too (ids -> text), on ids llama.cpp produced. Not for llama-bpe: llama.cpp's
            // detokenizer applies clean_up_tokenization_spaces there (" 're" -> "'re"), which a streaming
            // decoder must not.
            if (!llama) {
                for (String text : corpus) {
                    int[] ids = s.tokenize(text, false, false);
                    assertEquals(s.detokenize(ids), ours.decode(ids), text);
                }
            }
        }
        assertEquals(List.of(), mismatches, "tokenizer mismatches vs llama.cpp");
    }
}

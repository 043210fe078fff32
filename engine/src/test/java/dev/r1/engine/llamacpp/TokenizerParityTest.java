package dev.r1.engine.llamacpp;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.r1.models.config.GgufConfigWriter;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.gguf.GgufWriter;
import dev.r1.models.tokenizer.BpeTokenizer;
import dev.r1.models.tokenizer.R1Vocabularies;
import dev.r1.models.tokenizer.Vocabulary;
import java.nio.file.Files;
import java.text.Normalizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our tokenizer against llama.cpp's on the committed tokenizer corpus (models' test resources), for a GGUF
 * carrying the real R1-Distill vocabulary. llama.cpp reads only the vocabulary (vocab_only), so the file
 * has the config and tokenizer metadata and no tensors.
 *
 * <p>One known difference, kept visible: Qwen's tokenizer.json (which ours follows) NFC-normalizes its input
 * and llama.cpp has no normalizer, so for Qwen llama.cpp is given the NFC form; strings already in NFC are
 * compared as they are, so this only excuses the normalization step. (Written twice, by the bind and tok
 * helpers; merged here: vocabulary-only GGUF for speed, decode check from the tok helper's version.)
 */
class TokenizerParityTest {
    @TempDir Path dir;

    static Path repo() {
        // surefire sets r1.deps to <repo>/.deps
        return Path.of(System.getProperty("r1.deps", "../.deps")).toAbsolutePath().getParent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen", "llama"})
    void ourTokenizerEqualsLlamaTokenizeOnTheCorpus(String family) throws Exception {
        Path deps = repo().resolve(".deps/tokenizers");
        Vocabulary vocab = family.equals("qwen") ? R1Vocabularies.qwen(deps.resolve("qwen3"))
                : R1Vocabularies.llama(deps.resolve("llama3_1"));
        ModelConfig tiny = Presets.get(family.equals("qwen") ? "tiny-qwen2" : "tiny-llama");
        Path gguf = dir.resolve(family + "-vocab.gguf");
        try (GgufWriter w = GgufWriter.create(gguf)) {
            w.putAll(GgufConfigWriter.metadata(tiny));
            w.putAll(vocab.toGgufMetadata(vocab.size()));
            w.commit();
        }
        String[] corpus = new ObjectMapper().readValue(
                Files.readAllBytes(repo().resolve("models/src/test/resources/tokenizer/corpus.json")), String[].class);
        assertTrue(corpus.length >= 500, "corpus of " + corpus.length);
        BpeTokenizer ours = new BpeTokenizer(vocab);
        List<String> diffs = new ArrayList<>();
        try (LlamaCppModel ref = LlamaCppModel.loadVocabOnly(gguf)) {
            assertEquals(vocab.size(), ref.vocabSize());
            boolean nfc = family.equals("qwen");
            for (String s : corpus) {
                String refInput = nfc ? Normalizer.normalize(s, Normalizer.Form.NFC) : s;
                for (boolean special : new boolean[]{false, true}) {
                    int[] want = ref.tokenize(refInput, false, special), got = ours.encode(s, false, special);
                    if (!Arrays.equals(want, got))
                        diffs.add((special ? "[special] " : "") + quote(s) + "\n  llama.cpp " + Arrays.toString(want)
                                + "\n  r1        " + Arrays.toString(got));
                }
            }
            // Decoding agrees too, on ids llama.cpp produced. Not for llama-bpe: llama.cpp's detokenizer
            // applies clean_up_tokenization_spaces there (" 're" -> "'re"), which a streaming decoder must not.
            if (nfc) {
                for (String s : corpus) {
                    int[] ids = ref.tokenize(s, false, false);
                    if (!ref.detokenize(ids).equals(ours.decode(ids))) diffs.add("[decode] " + quote(s));
                    // streaming, token by token: whole characters only, the same text in the end
                    dev.r1.engine.generate.TextDecoder d = ref.textDecoder();
                    StringBuilder streamed = new StringBuilder();
                    for (int id : ids) {
                        String part = d.feed(id);
                        if (part.indexOf('\uFFFD') >= 0 && s.indexOf('\uFFFD') < 0) diffs.add("[stream, split char] " + quote(s));
                        streamed.append(part);
                    }
                    streamed.append(d.flush());
                    if (!streamed.toString().equals(ref.detokenize(ids))) diffs.add("[stream] " + quote(s));
                }
            }
            // With BOS: both prepend the same id.
            assertArrayEquals(ref.tokenize("Hello", true, false), ours.encode("Hello", true, false));
            for (int id : new int[]{0, 100, vocab.size() - 1})
                assertEquals(ref.piece(id), ours.piece(id), "piece " + id);
        }
        assertTrue(diffs.isEmpty(), diffs.size() + " of " + 2 * corpus.length + " encodings differ:\n"
                + String.join("\n", diffs.subList(0, Math.min(8, diffs.size()))));
    }

    private static String quote(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return "\"" + t.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "\"";
    }
}

package dev.r1.models.gguf;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.r1.models.ModelException;
import dev.r1.models.fuzz.Expected;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.template.JinjaChatTemplate;
import dev.r1.models.tokenizer.BpeTokenizer;
import dev.r1.models.tokenizer.Vocabulary;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Jazzer harness: arbitrary bytes as a GGUF file. Parsing the header, metadata and tensor table, reading
 * every value and tensor slice, and loading a model config, a vocabulary (and a tokenizer and chat
 * template from it) may only fail with a ModelException: anything else, an OOM or a hang is a finding.
 * Seeds: {@code GgufFuzzHarnessInputs/gguf/} (regression inputs too); long run: docs/RELIABILITY.md.
 */
class GgufFuzzHarness {
    private static final Path NAME = Path.of("fuzz.gguf");

    @FuzzTest
    @DictionaryFile(resourcePath = "/fuzz/gguf.dict")
    void gguf(byte[] data) {
        GgufFile f;
        try {
            // A heap segment: Layouts are unaligned, so the parser reads it as it reads a mapping.
            f = GgufFile.parse(NAME, MemorySegment.ofArray(data));
        } catch (ModelException expected) {
            Expected.refusal(expected);
            return;
        }
        f.metadata().forEach((k, v) -> v.toString());
        for (GgufTensor t : f.tensors()) f.data(t);
        try {
            ModelConfig.fromGguf(f);
        } catch (ModelException expected) {
            Expected.refusal(expected);
            // a header can be valid GGUF without being a model
        }
        try {
            Vocabulary v = Vocabulary.fromGguf(f);
            new BpeTokenizer(v).encode("Hello world <think>");
        } catch (ModelException expected) {
            Expected.refusal(expected);
            // nor need it carry a (byte-level) tokenizer
        }
        try {
            JinjaChatTemplate.fromGguf(f).ifPresent(t -> t.render(java.util.List.of(), true));
        } catch (ModelException expected) {
            Expected.refusal(expected);
            // nor a template that renders
        }
    }
}

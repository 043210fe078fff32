package dev.r1.models.gguf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.r1.models.ModelException;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.tokenizer.Vocabulary;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Jazzer harness: arbitrary bytes as a GGUF file. Opening it, reading every metadata value and tensor
 * slice, and loading a model config and vocabulary from it may only fail with a ModelException.
 */
class GgufFuzzHarness {
    private static final Path NAME = Path.of("fuzz.gguf");

    @FuzzTest(maxDuration = "10s")
    void gguf(byte[] data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(Math.max(data.length, 1));
            MemorySegment.copy(data, 0, seg, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, data.length);
            GgufFile f;
            try {
                f = GgufFile.parse(NAME, seg.asSlice(0, data.length));
            } catch (ModelException expected) {
                return;
            }
            f.metadata().forEach((k, v) -> v.toString());
            for (GgufTensor t : f.tensors()) f.data(t);
            try {
                ModelConfig.fromGguf(f);
            } catch (ModelException expected) {
                // a header can be valid GGUF without being a model
            }
            try {
                Vocabulary.fromGguf(f);
            } catch (ModelException expected) {
                // nor need it carry a tokenizer
            }
        }
    }
}

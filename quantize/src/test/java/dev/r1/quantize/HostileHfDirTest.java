package dev.r1.quantize;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.r1.models.ModelException;
import dev.r1.quantize.synth.SyntheticHfModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HF directories whose config.json claims a model far larger than its weights: the converter must
 * refuse with one clear line before building anything sized by the claim (it used to run out of heap).
 */
class HostileHfDirTest {
    @TempDir Path tmp;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path dirWith(String key, long value) throws IOException {
        Path dir = new SyntheticHfModel(false, 1).write(tmp.resolve("m"), 1);
        ObjectNode cfg = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        cfg.put(key, value);
        JSON.writeValue(dir.resolve("config.json").toFile(), cfg);
        return dir;
    }

    private void assertRefused(Path dir, String field) {
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> Converter.convert(dir, tmp.resolve("out.gguf"), ConvertOptions.of(TargetType.Q4_0)));
        assertTrue(e instanceof ModelException || e instanceof QuantizeException, "wrong error type: " + e);
        assertTrue(e.getMessage().contains(field), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    @Timeout(20)
    void billionLayersIsRefusedNotAnOutOfMemory() throws IOException {
        assertRefused(dirWith("num_hidden_layers", 1_000_000_000), "num_hidden_layers");
    }

    @Test
    @Timeout(20)
    void hugeDimensionsAreRefused() throws IOException {
        assertRefused(dirWith("hidden_size", 1L << 30), "hidden_size");
        assertRefused(dirWith("vocab_size", Integer.MAX_VALUE), "vocab_size");
        assertRefused(dirWith("intermediate_size", Integer.MAX_VALUE), "intermediate_size");
    }
}

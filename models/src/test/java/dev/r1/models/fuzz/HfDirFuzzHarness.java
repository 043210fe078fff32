package dev.r1.models.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.r1.models.ModelException;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.template.ChatMessage;
import dev.r1.models.template.JinjaChatTemplate;
import dev.r1.models.tokenizer.BpeTokenizer;
import dev.r1.models.tokenizer.Vocabulary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Jazzer harnesses: the files of a Hugging Face model directory. Each fuzzes one file (config.json,
 * tokenizer.json, tokenizer_config.json) with the other two valid, and runs everything r1 does with a
 * directory before touching weights: the model config, the vocabulary (which reads all three), a
 * tokenizer from it, and the chat template rendered. Only ModelException may come out.
 */
class HfDirFuzzHarness {
    @FuzzTest
    @DictionaryFile(resourcePath = "/fuzz/json.dict")
    void configJson(byte[] data) {
        readDir(dir("config", data, null, null));
    }

    @FuzzTest
    @DictionaryFile(resourcePath = "/fuzz/json.dict")
    void tokenizerJson(byte[] data) {
        readDir(dir("tokenizer", null, data, null));
    }

    @FuzzTest
    @DictionaryFile(resourcePath = "/fuzz/json.dict")
    @DictionaryFile(resourcePath = "/fuzz/jinja.dict")
    void tokenizerConfigJson(byte[] data) {
        readDir(dir("tokenizer_config", null, null, data));
    }

    static void readDir(Path dir) {
        try {
            ModelConfig.fromHfConfig(dir.resolve("config.json"));
        } catch (ModelException expected) {
            Expected.refusal(expected);
            // next stage
        }
        try {
            Vocabulary v = Vocabulary.fromHf(dir);
            new BpeTokenizer(v).encode("Hello world <think>", true, true);
        } catch (ModelException expected) {
            Expected.refusal(expected);
            // next stage
        }
        try {
            JinjaChatTemplate.fromHf(dir).ifPresent(t -> t.render(List.of(ChatMessage.system("s"),
                    ChatMessage.user("Hi"), ChatMessage.assistant("<think>x</think>Hello")), true));
        } catch (ModelException expected) {
            Expected.refusal(expected);
            // done
        }
    }

    /** A directory per harness (in /dev/shm when there is one), the fuzzed file written over the valid one. */
    private static Path dir(String name, byte[] config, byte[] tokenizer, byte[] tokenizerConfig) {
        try {
            Path dir = DIRS.computeIfAbsent(name, HfDirFuzzHarness::createDir);
            Files.write(dir.resolve("config.json"), config != null ? config : FuzzSeeds.configJson(false));
            Files.write(dir.resolve("tokenizer.json"), tokenizer != null ? tokenizer : VALID_TOKENIZER);
            Files.write(dir.resolve("tokenizer_config.json"), tokenizerConfig != null ? tokenizerConfig : VALID_TOKENIZER_CONFIG);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final byte[] VALID_TOKENIZER = FuzzSeeds.tokenizerJson(false);
    private static final byte[] VALID_TOKENIZER_CONFIG = FuzzSeeds.tokenizerConfigJson(false);
    private static final java.util.Map<String, Path> DIRS = new java.util.concurrent.ConcurrentHashMap<>();

    private static Path createDir(String name) {
        try {
            Path shm = Path.of("/dev/shm");
            Path dir = Files.isDirectory(shm) && Files.isWritable(shm)
                    ? Files.createTempDirectory(shm, "r1-fuzz-" + name) : Files.createTempDirectory("r1-fuzz-" + name);
            dir.toFile().deleteOnExit();
            for (String f : new String[] {"config.json", "tokenizer.json", "tokenizer_config.json"}) {
                dir.resolve(f).toFile().deleteOnExit();
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package dev.r1.models.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.r1.models.ModelException;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.template.ChatMessage;
import dev.r1.models.template.FuzzRender;
import dev.r1.models.template.JinjaChatTemplate;
import dev.r1.models.tokenizer.BpeTokenizer;
import dev.r1.models.tokenizer.TokenizerJsonOnce;
import dev.r1.models.tokenizer.Vocabulary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Jazzer harnesses: the files of a Hugging Face model directory. Each fuzzes one file (config.json,
 * tokenizer.json, tokenizer_config.json) with the other two valid, and runs what r1 does with that file
 * before touching weights: the model config, the vocabulary (which reads all three), a tokenizer built
 * from it and used, the chat template rendered. Only a one-line ModelException may come out.
 */
class HfDirFuzzHarness {
    @FuzzTest
    @DictionaryFile(resourcePath = "/fuzz/json.dict")
    void configJson(byte[] data) {
        Path dir = dir("config", "config.json", data);
        try {
            ModelConfig.fromHfConfig(dir.resolve("config.json"));
        } catch (ModelException expected) {
            Expected.refusal(expected);
        }
        // Reads config.json's bos/eos/pad ids: this directory's tokenizer_config.json names no special token.
        vocabulary(dir);
    }

    @FuzzTest
    @DictionaryFile(resourcePath = "/fuzz/json.dict")
    void tokenizerJson(byte[] data) {
        Vocabulary v = vocabulary(dir("tokenizer", "tokenizer.json", data));
        if (v == null) return;
        try {
            new BpeTokenizer(v).encode("Hello world <think>", true, true);
        } catch (ModelException expected) {
            Expected.refusal(expected);
        }
    }

    @FuzzTest
    @DictionaryFile(resourcePath = "/fuzz/json.dict")
    @DictionaryFile(resourcePath = "/fuzz/jinja.dict")
    void tokenizerConfigJson(byte[] data) {
        Path dir = dir("tokenizer_config", "tokenizer_config.json", data);
        vocabulary(dir);
        try {
            // While fuzzing, stopped after FuzzRender.FUZZ_RENDER_MILLIS (a looping template costs 2 s otherwise).
            JinjaChatTemplate.fromHf(dir).ifPresent(t -> FuzzRender.render(t, List.of(ChatMessage.system("s"),
                    ChatMessage.user("Hi"), ChatMessage.assistant("<think>x</think>Hello")), true));
        } catch (ModelException expected) {
            Expected.refusal(expected);
        }
    }

    /**
     * {@code Vocabulary.fromHf(dir)}; where tokenizer.json is not the fuzzed file, without re-reading it: it
     * was read once when the directory was made (re-reading it cost the config and tokenizer_config harnesses
     * most of each input's time).
     */
    private static Vocabulary vocabulary(Path dir) {
        try {
            TokenizerJsonOnce once = TOKENIZER_JSON.get(dir);
            return once != null ? once.vocabulary(dir) : Vocabulary.fromHf(dir);
        } catch (ModelException expected) {
            Expected.refusal(expected);
            return null;
        }
    }

    /**
     * A directory per harness (in /dev/shm when there is one) holding the valid files, with the fuzzed one
     * written over its own each time.
     */
    private static Path dir(String harness, String file, byte[] data) {
        try {
            Path dir = DIRS.computeIfAbsent(harness, HfDirFuzzHarness::createDir);
            Files.write(dir.resolve(file), data);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final byte[] VALID_TOKENIZER = FuzzSeeds.tokenizerJson(false);
    private static final byte[] VALID_TOKENIZER_CONFIG = FuzzSeeds.tokenizerConfigJson(false);
    private static final java.util.Map<String, Path> DIRS = new java.util.concurrent.ConcurrentHashMap<>();
    /** The tokenizer.json of each directory whose fuzzed file is another one, read once. */
    private static final java.util.Map<Path, TokenizerJsonOnce> TOKENIZER_JSON =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** For the config harness: adds BOS as the seeds do, names no special token (so config.json's ids count). */
    private static final byte[] NO_SPECIAL_TOKENS_CONFIG =
            "{\"add_bos_token\": true, \"add_eos_token\": false}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private static Path createDir(String name) {
        try {
            Path shm = Path.of("/dev/shm");
            Path dir = Files.isDirectory(shm) && Files.isWritable(shm)
                    ? Files.createTempDirectory(shm, "r1-fuzz-" + name) : Files.createTempDirectory("r1-fuzz-" + name);
            dir.toFile().deleteOnExit();
            Files.write(dir.resolve("config.json"), FuzzSeeds.configJson(false));
            Files.write(dir.resolve("tokenizer.json"), VALID_TOKENIZER);
            Files.write(dir.resolve("tokenizer_config.json"),
                    name.equals("config") ? NO_SPECIAL_TOKENS_CONFIG : VALID_TOKENIZER_CONFIG);
            for (String f : new String[] {"config.json", "tokenizer.json", "tokenizer_config.json"}) {
                dir.resolve(f).toFile().deleteOnExit();
            }
            if (!name.equals("tokenizer")) TOKENIZER_JSON.put(dir, TokenizerJsonOnce.read(dir.resolve("tokenizer.json")));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

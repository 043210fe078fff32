package dev.r1.models.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The real tokenizer files from .deps (system property r1.deps) and the committed reference fixtures. */
final class TokenizerFixtures {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, BpeTokenizer> CACHE = new ConcurrentHashMap<>();

    private TokenizerFixtures() {}

    static Path depsDir(String name) {
        Path dir = Path.of(System.getProperty("r1.deps", ".deps")).resolve("tokenizers").resolve(name);
        // Deps come from native/fetch-deps.sh (the README's test command runs it); without them the test
        // cannot run and says so rather than passing silently.
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IllegalStateException(dir.resolve("tokenizer.json") + " is missing: run native/fetch-deps.sh");
        }
        return dir;
    }

    static BpeTokenizer hf(String name) {
        return CACHE.computeIfAbsent("hf:" + name, k -> new BpeTokenizer(Vocabulary.fromHf(depsDir(name))));
    }

    static BpeTokenizer r1Qwen() {
        return CACHE.computeIfAbsent("r1qwen", k -> new BpeTokenizer(R1Vocabularies.qwen(depsDir("qwen3"))));
    }

    static BpeTokenizer r1Llama() {
        return CACHE.computeIfAbsent("r1llama", k -> new BpeTokenizer(R1Vocabularies.llama(depsDir("llama3_1"))));
    }

    static <T> T resource(String name, Class<T> type) {
        try (InputStream in = TokenizerFixtures.class.getResourceAsStream("/tokenizer/" + name)) {
            Assumptions.assumeTrue(in != null, "fixture " + name);
            return JSON.readValue(in, type);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    static List<String> corpus() {
        return List.of(resource("corpus.json", String[].class));
    }

    static int[][] expectedIds(String name) {
        return resource(name + ".ids.json", int[][].class);
    }
}

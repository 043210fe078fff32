package dev.r1.models.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.HashMap;

/** The real tokenizer files from .deps (system property r1.deps) and the committed reference fixtures. */
final class TokenizerFixtures {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, BpeTokenizer> CACHE = new HashMap<>();

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

    // Reading a 10 MB tokenizer.json takes seconds on a busy 2-core CI box: read each once per test JVM.
    static synchronized BpeTokenizer hf(String name) {
        return cached("hf:" + name, () -> new BpeTokenizer(Vocabulary.fromHf(depsDir(name))));
    }

    static synchronized BpeTokenizer r1Qwen() {
        return cached("r1qwen", () -> new BpeTokenizer(R1Vocabularies.qwen(hf("qwen3").vocabulary())));
    }

    static synchronized BpeTokenizer r1Llama() {
        return cached("r1llama", () -> new BpeTokenizer(R1Vocabularies.llama(hf("llama3_1").vocabulary())));
    }

    private static BpeTokenizer cached(String key, java.util.function.Supplier<BpeTokenizer> make) {
        BpeTokenizer t = CACHE.get(key);
        if (t == null) CACHE.put(key, t = make.get());
        return t;
    }

    static <T> T resource(String name, Class<T> type) {
        try (InputStream in = TokenizerFixtures.class.getResourceAsStream("/tokenizer/" + name)) {
            // Committed fixtures: a missing one is a broken checkout, never a reason to skip.
            if (in == null) throw new IllegalStateException("test resource /tokenizer/" + name + " is missing");
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

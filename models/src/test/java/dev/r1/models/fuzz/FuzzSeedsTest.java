package dev.r1.models.fuzz;

import dev.r1.models.config.ModelConfig;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.safetensors.SafetensorsFile;
import dev.r1.models.template.ChatMessage;
import dev.r1.models.template.JinjaChatTemplate;
import dev.r1.models.tokenizer.BpeTokenizer;
import dev.r1.models.tokenizer.TokenizerJsonOnce;
import dev.r1.models.tokenizer.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed seeds are valid and reach the deep code: a seed that fails early would leave the
 * fuzzer mutating from the front door only. {@code -Dr1.fuzz.writeSeeds=true} regenerates them.
 */
class FuzzSeedsTest {
    @TempDir Path tmp;

    @Test
    @EnabledIfSystemProperty(named = "r1.fuzz.writeSeeds", matches = "true")
    void writeSeeds() throws IOException {
        FuzzSeeds.write(Path.of("src/test/resources"));
    }

    private static byte[] committed(String resource) throws IOException {
        try (InputStream in = FuzzSeeds.class.getResourceAsStream("/" + resource)) {
            assertNotNull(in, resource + " is not committed: run with -Dr1.fuzz.writeSeeds=true");
            return in.readAllBytes();
        }
    }

    @Test
    void ggufSeedsLoadAModelAndATokenizer() throws IOException {
        for (String name : List.of("seed-qwen2", "seed-llama", "seed-every-type")) {
            Path p = tmp.resolve(name + ".gguf");
            Files.write(p, committed("dev/r1/models/gguf/GgufFuzzHarnessInputs/gguf/" + name));
            try (GgufFile f = GgufFile.open(p)) {
                assertFalse(f.tensors().isEmpty());
                if (name.equals("seed-every-type")) continue;
                ModelConfig c = ModelConfig.fromGguf(f);
                assertEquals(name.equals("seed-llama"), c.ropeScaling().isPresent(), name);
                new BpeTokenizer(Vocabulary.fromGguf(f)).encode("Hello world");
            }
        }
    }

    @Test
    void safetensorsSeedsOpen() throws IOException {
        for (String name : List.of("seed-three", "seed-empty-tensor")) {
            Path p = tmp.resolve(name + ".safetensors");
            Files.write(p, committed("dev/r1/models/safetensors/SafetensorsFuzzHarnessInputs/safetensors/" + name));
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                assertTrue(f.tensors().size() >= 2, name);
            }
        }
    }

    @Test
    void hfSeedsReadFullyAndRender() throws IOException {
        String base = "dev/r1/models/fuzz/HfDirFuzzHarnessInputs/";
        for (String[] dir : new String[][] {{"seed-qwen2", "seed-qwen2", "seed-string-template"},
                {"seed-llama", "seed-llama", "seed-named-templates"}}) {
            Path d = Files.createDirectories(tmp.resolve(dir[0]));
            Files.write(d.resolve("config.json"), committed(base + "configJson/" + dir[0]));
            Files.write(d.resolve("tokenizer.json"), committed(base + "tokenizerJson/" + dir[1]));
            Files.write(d.resolve("tokenizer_config.json"), committed(base + "tokenizerConfigJson/" + dir[2]));
            ModelConfig c = ModelConfig.fromHfConfig(d.resolve("config.json"));
            Vocabulary v = Vocabulary.fromHf(d);
            assertTrue(v.size() <= c.vocab());
            // What the config and tokenizer_config harnesses use in place of fromHf.
            assertEquals(v, TokenizerJsonOnce.read(d.resolve("tokenizer.json")).vocabulary(d));
            int[] ids = new BpeTokenizer(v).encode("hello world<think>", false, true);
            assertTrue(ids.length < "hello world".length(), "merges apply: " + ids.length);
            String out = JinjaChatTemplate.fromHf(d).orElseThrow().render(List.of(ChatMessage.user("Hi"),
                    ChatMessage.assistant("<think>x</think> Hello")), true);
            assertTrue(out.contains("Hi") && out.contains("Hello") && !out.contains("<think>x"), out);
        }
    }

    @Test
    void templateSeedsRender() throws IOException {
        for (String name : List.of("seed-r1-style", "seed-chatml-style")) {
            String[] parts = new String(committed("dev/r1/models/template/ChatTemplateFuzzHarnessInputs/render/" + name),
                    StandardCharsets.UTF_8).split("\0", -1);
            List<ChatMessage> ms = new ArrayList<>();
            String[] roles = {"system", "user", "assistant", "user"};
            for (int i = 1; i < parts.length; i++) ms.add(new ChatMessage(roles[(i - 1) % 4], parts[i]));
            String out = new JinjaChatTemplate(parts[0], "<s>", "</s>").render(ms, true);
            assertTrue(out.contains(parts[parts.length - 1].trim()), name + ": " + out);
        }
    }

    @Test
    void seedsAreTiny() {
        for (Map.Entry<String, byte[]> e : FuzzSeeds.all().entrySet()) {
            assertTrue(e.getValue().length < 16 << 10, e.getKey() + " is " + e.getValue().length + " bytes");
        }
    }
}

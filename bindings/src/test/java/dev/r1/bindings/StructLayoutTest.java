package dev.r1.bindings;

import static org.junit.jupiter.api.Assertions.*;

import dev.r1.bindings.llama.llama_batch;
import dev.r1.bindings.llama.llama_context_params;
import dev.r1.bindings.llama.llama_model_params;
import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The structs passed by value to llama.cpp must match the pinned header byte for byte, or a header bump
 * silently corrupts memory. gcc compiles a program against .deps/llama-include (native/fetch-deps.sh) that
 * prints sizeof and offsetof every field the generated layouts name; both sides must agree.
 */
class StructLayoutTest {
    private static final Map<String, GroupLayout> STRUCTS = new LinkedHashMap<>();
    static {
        STRUCTS.put("llama_model_params", llama_model_params.layout());
        STRUCTS.put("llama_context_params", llama_context_params.layout());
        STRUCTS.put("llama_batch", llama_batch.layout());
    }

    @Test
    void generatedLayoutsMatchGcc(@TempDir Path tmp) throws Exception {
        Path include = Path.of(System.getProperty("r1.deps", ".deps"), "llama-include");
        assertTrue(Files.isRegularFile(include.resolve("llama.h")),
                "no pinned headers in " + include.toAbsolutePath() + "; run native/fetch-deps.sh");

        Map<String, Long> expected = new LinkedHashMap<>();
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include \"llama.h\"\nint main(void) {\n");
        STRUCTS.forEach((name, layout) -> {
            c.append("  printf(\"%s sizeof %zu\\n\", \"").append(name).append("\", sizeof(struct ").append(name).append("));\n");
            expected.put(name + " sizeof", layout.byteSize());
            int fields = 0;
            for (MemoryLayout m : layout.memberLayouts()) {
                if (m instanceof PaddingLayout) continue;
                String f = m.name().orElseThrow();
                c.append("  printf(\"%s %s %zu\\n\", \"").append(name).append("\", \"").append(f)
                        .append("\", offsetof(struct ").append(name).append(", ").append(f).append("));\n");
                expected.put(name + " " + f, layout.byteOffset(MemoryLayout.PathElement.groupElement(f)));
                fields++;
            }
            assertTrue(fields >= 5, name + " has only " + fields + " fields");
        });
        c.append("  return 0;\n}\n");
        Path src = tmp.resolve("layout.c");
        Files.writeString(src, c);

        Path exe = tmp.resolve("layout");
        run(List.of("gcc", "-std=c11", "-I", include.toString(), "-o", exe.toString(), src.toString()));
        Map<String, Long> actual = new HashMap<>();
        for (String line : run(List.of(exe.toString())).split("\n")) {
            int sp = line.lastIndexOf(' ');
            actual.put(line.substring(0, sp), Long.parseLong(line.substring(sp + 1)));
        }
        List<String> wrong = new ArrayList<>();
        expected.forEach((k, v) -> {
            if (!v.equals(actual.get(k))) wrong.add(k + ": generated " + v + ", gcc " + actual.get(k));
        });
        assertEquals(List.of(), wrong, "bindings out of date with the pinned llama.h; run native/gen-bindings.sh");
        assertEquals(expected.size(), actual.size());
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("cannot run " + cmd.getFirst() + " (the layout test needs gcc): " + e.getMessage(), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), cmd + " timed out");
        assertEquals(0, p.exitValue(), cmd + " failed:\n" + out);
        return out;
    }
}

package dev.r1.cli;

import static dev.r1.cli.CliTest.r1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.r1.models.gguf.GgufWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** info, tokenize, list, completion, synth and quantize as llama.cpp and ollama users expect them. */
class CommandsCliTest {
    @TempDir static Path dir;
    static Path f16;

    @BeforeAll
    static void model() {
        f16 = dir.resolve("m-f16.gguf");
        assertEquals(0, r1("synth", "--preset", "tiny-qwen2", "--type", "f16", "-o", f16.toString()).code());
    }

    @Test
    void infoJsonAndNothingOnStdoutBeforeAFailure() throws Exception {
        CliTest.Run r = r1("info", f16.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("tiny-qwen2", j.get("preset").asText());
        assertEquals(Files.size(f16), j.get("size_bytes").asLong());
        assertEquals(128, j.get("shape").get("hidden").asInt());
        assertTrue(j.get("types").has("F16") && j.get("types").has("F32"), j.toString());
        assertEquals(512, j.get("tokenizer").get("tokens").asInt());
        // F16 matrices: the Java engine's kernels decode them faster than llama.cpp (HalfKernels), so auto picks it and says why
        assertEquals("java", j.get("auto_backend").asText(), j.toString());
        assertTrue(j.get("auto_backend_why").asText().contains("run at llama.cpp's speed"), j.toString());
        assertTrue(j.get("java_weight_bytes").asLong() > 0 && j.get("java_weight_bytes").asLong() <= Files.size(f16), j.toString());
        // on a GPU every tensor of this file stays as stored: the device holds exactly the tensors' bytes
        long tensorBytes = 0;
        try (var g = dev.r1.models.gguf.GgufFile.open(f16)) {
            for (var t : g.tensors()) tensorBytes += t.byteSize();
        }
        assertEquals(tensorBytes, j.get("cuda_weight_bytes").asLong(), j.toString());
        String text = r1("info", f16.toString()).out();
        assertTrue(text.contains("backend:       auto picks java"), text);
        assertTrue(text.contains("of weights on the device, every tensor as stored"), text);

        Path odd = dir.resolve("odd.gguf"); // a valid GGUF, but not a model r1 knows
        try (GgufWriter w = GgufWriter.create(odd)) {
            w.putString("general.architecture", "gpt2");
            w.commit();
        }
        CliTest.Run bad = r1("info", odd.toString());
        assertEquals(1, bad.code());
        assertEquals("", bad.out(), "no half description before the error");
        assertTrue(bad.err().startsWith("error: ") && bad.err().contains("odd.gguf"), bad.err());
    }

    @Test
    void loadingABigModelSaysSo() {
        var o = System.err;
        var buf = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(buf, true));
        try {
            try (var l = Progress.loading(f16, 1 << 30)) { /* a small file loads without a word */ }
            try (var l = Progress.loading(f16, 0)) { /* as a file over the threshold */ }
        } finally {
            System.setErr(o);
        }
        assertEquals("loading m-f16.gguf (" + Format.bytes(f16.toFile().length()) + ")...\n", buf.toString());
    }

    @Test
    void synthReportsTheFileSizeInfoShows() throws Exception {
        Path q = dir.resolve("s.gguf");
        CliTest.Run s = r1("synth", "--preset", "tiny-llama", "-o", q.toString());
        assertEquals(0, s.code(), s.err());
        String size = Format.bytes(Files.size(q));
        assertTrue(s.out().contains(size), s.out());
        assertTrue(r1("info", q.toString()).out().contains(size));
    }

    @Test
    void tokenizeShowsByteTokensAndJson() throws Exception {
        CliTest.Run p = r1("tokenize", f16.toString(), "a—b", "--pieces", "--no-bos");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("'<0xE2>'") && p.out().contains("'<0x80>'") && p.out().contains("'<0x94>'"), p.out());
        assertFalse(p.out().contains("\uFFFD"), p.out());
        JsonNode j = new ObjectMapper().readTree(r1("tokenize", f16.toString(), "a—b", "--json", "--no-bos").out());
        StringBuilder hex = new StringBuilder();
        for (JsonNode t : j) hex.append(t.get("bytes").asText());
        assertEquals(java.util.HexFormat.of().formatHex("a—b".getBytes(java.nio.charset.StandardCharsets.UTF_8)), hex.toString(),
                "the pieces' bytes put together are the text");
        assertEquals("a", j.get(0).get("piece").asText());
        assertEquals("<0xE2>", j.get(1).get("piece").asText());
        assertEquals("'—'", TokenizeCommand.quote(TokenizeCommand.pieceText("—".getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    }

    @Test
    void quantizeSummarizesFallbacksAndGivesRealThroughput() throws Exception {
        Path k = dir.resolve("m-q4_k_m.gguf");
        CliTest.Run q = r1("quantize", "--type", "q4_k_m", f16.toString(), k.toString());
        assertEquals(0, q.code(), q.err());
        long warnings = q.err().lines().filter(l -> l.startsWith("warning:")).count();
        assertEquals(1, warnings, "one line, as llama-quantize prints: " + q.err());
        assertTrue(q.err().matches("(?s).*warning: \\d+ of \\d+ tensors required fallback quantization: .*"), q.err());
        assertTrue(q.out().contains("(Q4_K_M, ") && q.out().contains("tensors in a fallback type)"), q.out());
        assertFalse(q.out().contains("(0 MB/s"), q.out());
        assertTrue(q.out().matches("(?s).*\\((\\d+|\\d+\\.\\d|\\d\\.\\d\\d) MB/s of input\\).*"), q.out());
        CliTest.Run help = r1("quantize", "--help");
        assertTrue(help.out().contains("16 = F16, 32 = F32"), "--help lists what --bits accepts: " + help.out());
    }

    @Test
    void listShowsCachedAndR1ModelsFiles() throws Exception {
        // R1_MODELS cannot be set in process; the same scan runs over the cache dir, which R1_CACHE moves.
        CliTest.Run l = r1("list", "--json");
        assertEquals(0, l.code(), l.err());
        assertTrue(new ObjectMapper().readTree(l.out()).isArray());
        Path models = Files.createDirectories(dir.resolve("models/sub"));
        Files.copy(f16, models.resolve("a.gguf"));
        Files.writeString(models.resolve("broken.gguf"), "not a model");
        var entries = ListCommand.scan(java.util.List.of(dir.resolve("models")));
        assertEquals(2, entries.size(), entries.toString());
        ListCommand.Entry a = entries.get(0);
        assertEquals("a.gguf", a.path().getFileName().toString());
        assertEquals("F16", a.type());
        assertEquals("tiny-qwen2", a.preset());
        assertEquals(Files.size(f16), a.size());
        assertTrue(entries.get(1).problem() != null, "an unreadable file is listed with why");
    }

    @Test
    void completionScriptsForBashAndZsh() {
        CliTest.Run b = r1("completion", "bash");
        assertEquals(0, b.code(), b.err());
        assertTrue(b.out().contains("complete -F") && b.out().contains("quantize") && b.out().contains("--think"), "bash");
        CliTest.Run z = r1("completion", "zsh");
        assertTrue(z.out().startsWith("autoload -U +X compinit") && z.out().contains("bashcompinit"), z.out());
        assertEquals(2, r1("completion", "fish").code());
    }

    @Test
    void readmeCommandTableListsEveryCommand() throws Exception {
        Path d = Path.of("").toAbsolutePath();
        while (!Files.exists(d.resolve("README.md")) || !Files.exists(d.resolve("r1"))) d = d.getParent();
        java.util.Set<String> inReadme = new java.util.TreeSet<>();
        var m = java.util.regex.Pattern.compile("(?m)^\\| `r1 (\\w+)").matcher(Files.readString(d.resolve("README.md")));
        while (m.find()) inReadme.add(m.group(1));
        java.util.Set<String> commands = new java.util.TreeSet<>(Main.commandLine().getSubcommands().keySet());
        commands.removeAll(java.util.Set.of("help", "ls")); // picocli's help; ls is list's alias
        assertEquals(commands, inReadme);
        for (String c : commands) { // and every option a row names exists (on the row's subcommand, if any)
            var cmd = Main.commandLine().getSubcommands().get(c);
            var rows = Files.readString(d.resolve("README.md")).lines().filter(l -> l.startsWith("| `r1 " + c + " ") || l.startsWith("| `r1 " + c + "`")).toList();
            for (String row : rows) {
                var sub = java.util.regex.Pattern.compile("^\\| `r1 " + c + " (\\w+)").matcher(row);
                var spec = (sub.find() && cmd.getSubcommands().containsKey(sub.group(1)) ? cmd.getSubcommands().get(sub.group(1)) : cmd).getCommandSpec();
                // options of other tools quoted in a row (`llama-perplexity --kl-divergence`) are not ours
                String ours = row.replaceAll("`llama-[^`]*`", "");
                var opt = java.util.regex.Pattern.compile("(?<![\\w-])(--[a-z][a-z-]*)").matcher(ours);
                while (opt.find()) assertTrue(spec.findOption(opt.group(1)) != null, spec.qualifiedName() + " " + opt.group(1));
            }
        }
    }

    /** Every command's and subcommand's --help renders as written (a stray '%' in a description made picocli warn). */
    @Test
    void everyHelpRendersWithoutPicocliWarnings() {
        for (var e : Main.commandLine().getSubcommands().entrySet()) {
            java.util.List<String[]> calls = new java.util.ArrayList<>();
            calls.add(new String[] {e.getKey(), "--help"});
            for (String sub : e.getValue().getSubcommands().keySet()) calls.add(new String[] {e.getKey(), sub, "--help"});
            for (String[] call : calls) {
                if (call[0].equals("help")) continue;
                CliTest.Run h = r1(call);
                String what = String.join(" ", call);
                assertEquals(0, h.code(), what + ": " + h.err());
                assertTrue(!h.out().contains("picocli WARN") && !h.err().contains("picocli WARN"), what + ": " + h.err() + h.out());
                assertTrue(h.out().contains("Usage: r1 "), what + ": " + h.out()); // "ls" shows its name, list
            }
        }
    }

    @Test
    void aFullHeapIsOneLineSayingHowToGiveItMore() throws Exception {
        assertEquals("error: out of memory: the Java heap (at most 512.00 MiB) is full; give it more with R1_JAVA_OPTS=-Xmx<N>g"
                + " (e.g. -Xmx2g), or use a smaller --ctx or model", Main.outOfMemory(512L << 20));
        assertTrue(Main.outOfMemory(6L << 30).contains("(e.g. -Xmx12g)"), Main.outOfMemory(6L << 30));
        // and a real one: a run in a 5 MB heap
        Path d = Path.of("").toAbsolutePath();
        while (!Files.exists(d.resolve("r1"))) d = d.getParent();
        Path m = java.nio.file.Files.createTempDirectory("oom").resolve("m.gguf");
        assertEquals(0, r1("synth", "--preset", "tiny-qwen2", "-o", m.toString()).code());
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx5m",
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Dr1.deps=" + System.getProperty("r1.deps"),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", m.toString(), "-p", "hi", "-n", "2")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(1, p.waitFor(), out);
        assertTrue(out.contains("error: out of memory: the Java heap") && !out.contains("\tat "), out);
    }
}

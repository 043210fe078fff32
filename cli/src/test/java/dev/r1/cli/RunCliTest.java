package dev.r1.cli;

import static dev.r1.cli.CliTest.r1;
import static dev.r1.cli.CliTest.r1In;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code r1 run} for scripts: where the prompt comes from, what reaches stdout and stderr, --json. */
class RunCliTest {
    @TempDir static Path dir;
    static Path m;

    @BeforeAll
    static void model() {
        m = dir.resolve("m.gguf");
        assertEquals(0, r1("synth", "--preset", "tiny-qwen2", "--type", "q8_0", "-o", m.toString()).code());
    }

    static JsonNode json(CliTest.Run r) throws Exception {
        assertEquals(0, r.code(), r.err());
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void thePromptCanComeFromEverySource() throws Exception {
        Path f = Files.writeString(dir.resolve("q.txt"), "what is 2+2\n");
        String[] opts = {"-n", "5", "--temp", "0", "--json"};
        JsonNode p = json(r1(cat(new String[]{"run", m.toString(), "-p", "what is 2+2"}, opts)));
        assertEquals("what is 2+2", p.get("prompt").asText());
        for (CliTest.Run r : new CliTest.Run[]{
                r1(cat(new String[]{"run", m.toString(), "what", "is", "2+2"}, opts)),   // positional words
                r1In("what is 2+2\n", cat(new String[]{"run", m.toString()}, opts)),     // piped stdin
                r1In("what is 2+2\n", cat(new String[]{"run", m.toString(), "-p", "-"}, opts)),
                r1(cat(new String[]{"run", m.toString(), "-f", f.toString()}, opts))}) {
            JsonNode j = json(r);
            assertEquals(p.get("prompt"), j.get("prompt"), r.out());
            assertEquals(p.get("reasoning"), j.get("reasoning"), "greedy: the same prompt gives the same text");
        }
    }

    @Test
    void jsonHoldsReasoningAnswerCountsAndTimings() throws Exception {
        JsonNode j = json(r1("run", m.toString(), "-p", "hi", "-n", "6", "--temp", "0", "--json"));
        for (String k : new String[]{"model", "backend", "prompt", "reasoning", "answer", "stop_reason", "ended_in_reasoning",
                "prompt_tokens", "generated_tokens", "prefill_ms", "prefill_tok_s", "decode_ms", "decode_tok_s"})
            assertTrue(j.has(k), k);
        assertEquals(6, j.get("generated_tokens").asInt());
        assertEquals("max_tokens", j.get("stop_reason").asText());
        assertTrue(j.get("prompt_tokens").asInt() > 1 && j.get("prefill_ms").asDouble() > 0 && j.get("decode_tok_s").asDouble() > 0, j.toString());
        // The tiny model never closes </think>: all it said is reasoning, no answer, and the JSON says so.
        assertTrue(j.get("ended_in_reasoning").asBoolean());
        assertEquals("", j.get("answer").asText());
        assertFalse(j.get("reasoning").asText().isEmpty());
    }

    @Test
    void stoppingInsideTheReasoningIsSaidOnStderr() {
        CliTest.Run r = r1("run", m.toString(), "-p", "What is 17*23?", "-n", "4");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.out().strip(), "no answer yet; the reasoning is hidden off a terminal");
        assertTrue(r.err().contains("stopped inside the reasoning") && r.err().contains("raise -n")
                && r.err().contains("--think show"), r.err());
    }

    @Test
    void pipedInputIsOneShotWithoutBannerOrAnsi() {
        CliTest.Run r = r1In("hello\n", "run", m.toString(), "-n", "4", "--think", "show");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("Thinking...\n"), r.out());
        assertFalse(r.out().contains(">>>") || r.out().contains("/help") || r.out().contains("\033"), r.out());
        assertTrue(r.err().contains("[prompt "), r.err());
    }

    @Test
    void logitBiasAndPresencePenaltyReachTheSampler() throws Exception {
        String h = json(r1("run", m.toString(), "-p", "hi", "-n", "5", "--temp", "0", "--json", "--logit-bias", "104+100"))
                .get("reasoning").asText();
        assertEquals("hhhhh", h, "token 104 is 'h' in the tiny byte-level vocabulary");
        // The prompt counts as seen tokens too, hence one without an 'h'.
        String once = json(r1("run", m.toString(), "-p", "ok", "-n", "5", "--temp", "0", "--json", "--logit-bias", "104+100",
                "--presence-penalty", "1000")).get("reasoning").asText();
        assertTrue(once.startsWith("h") && once.charAt(1) != 'h', once);
        String banned = json(r1("run", m.toString(), "-p", "hi", "-n", "5", "--temp", "0", "--json", "--logit-bias", "104-inf",
                "--logit-bias", "104+100")).get("reasoning").asText();
        assertEquals("hhhhh", banned, "the last bias for a token wins");
    }

    @Test
    void threadsAndContextBeyondWhatExistsAreClampedWithANote() {
        CliTest.Run r = r1("run", m.toString(), "-p", "hi", "-n", "1", "-t", "999", "-c", "100000");
        assertEquals(0, r.code(), r.err());
        int cores = Runtime.getRuntime().availableProcessors();
        assertTrue(r.err().contains("note: -t 999 is more than the " + cores + " cores available; using " + cores), r.err());
        assertTrue(r.err().contains("note: -c 100000 is more than this model's context of 2048 tokens; using 2048"), r.err());
    }

    @Test
    void anHfDirectoryRunsFromItsWeightsAsStoredImportedOnce() throws Exception {
        // small shapes, the real Qwen tokenizer (the R1-Distill-Qwen vocabulary, 151936 embedding rows)
        Path tok = Path.of(System.getProperty("r1.deps", ".deps"), "tokenizers", "qwen3");
        Path hf = new dev.r1.quantize.synth.SyntheticHfModel(false, 5, 64, 4, 16, 128, 151936, tok).write(dir.resolve("Tiny-HF"), 2);
        String old = System.getProperty("r1.cache");
        System.setProperty("r1.cache", dir.resolve("cache").toString());
        try {
            String[] args = {"--raw", "-p", "The capital of France is", "-n", "6", "--temp", "0"};
            CliTest.Run first = r1(concat(new String[] {"run", hf.toString()}, args));
            assertEquals(0, first.code(), first.err());
            assertTrue(first.err().contains("importing its BF16 weights as stored"), first.err());
            Path imported;
            try (var files = Files.list(dir.resolve("cache/imported"))) {
                imported = files.filter(f -> f.toString().endsWith(".gguf")).findFirst().orElseThrow();
            }
            try (var f = dev.r1.models.gguf.GgufFile.open(imported)) {
                assertEquals(dev.r1.models.tensor.GgmlType.BF16, f.tensor("blk.0.ffn_up.weight").type(), "weights as stored");
            }
            CliTest.Run again = r1(concat(new String[] {"run", hf.toString()}, args));
            assertTrue(again.err().contains("using its import"), again.err());
            assertEquals(first.out(), again.out());
            // the same text as running the imported file itself, on either engine
            assertEquals(first.out(), r1(concat(new String[] {"run", imported.toString()}, args)).out());
            assertEquals(first.out(), r1(concat(new String[] {"run", imported.toString(), "--backend", "llama.cpp"}, args)).out());
            assertEquals(first.out(), r1(concat(new String[] {"run", imported.toString(), "--backend", "java"}, args)).out());
            // auto: BF16 matrices prefill faster in llama.cpp, which runs them, and says why
            assertTrue(first.err().contains("r1: backend llama.cpp: the Java engine's BF16 kernels are exact but slower"), first.err());
        } finally {
            if (old == null) System.clearProperty("r1.cache"); else System.setProperty("r1.cache", old);
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void mistakesGetOneLineSayingWhatToDo() throws Exception {
        CliTest.Run unknown = r1("run", m.toString(), "--frobnicate");
        assertEquals(2, unknown.code());
        assertEquals(1, unknown.err().lines().count(), unknown.err());
        assertTrue(unknown.err().contains("'--frobnicate'") && unknown.err().contains("see 'r1 run --help'"), unknown.err());
        CliTest.Run bench = r1("bench", "--reps");
        assertEquals(1, bench.err().lines().count(), bench.err());
        assertTrue(bench.err().contains("'r1 bench --help'"), bench.err());

        String[][] cases = {
                {"standard input is empty", "run", m.toString()},
                {"one way", "run", m.toString(), "-p", "a", "b"},
                {"--logit-bias 'x+1'", "run", m.toString(), "-p", "a", "--logit-bias", "x+1"},
                {"token 99999 is not in this model's vocabulary", "run", m.toString(), "-p", "a", "--logit-bias", "99999-inf"},
                {"no such prompt file", "run", m.toString(), "-f", dir.resolve("none.txt").toString()},
                {"the prompt is empty", "run", m.toString(), "--json", "-p", " "}};
        for (String[] c : cases) {
            CliTest.Run r = r1(java.util.Arrays.copyOfRange(c, 1, c.length));
            assertNotEquals(0, r.code(), String.join(" ", c));
            assertTrue(r.err().startsWith("error: ") && r.err().contains(c[0]) && r.err().lines().count() == 1, r.err());
        }
    }

    @Test
    void aLlamaCppLoadFailureIsOneLineWithItsLogUnderVerbose() throws Exception {
        // The tokenizer is there (so r1 gets as far as llama.cpp), the weights are not: llama.cpp refuses it.
        Path hollow = dir.resolve("hollow.gguf");
        try (var f = dev.r1.models.gguf.GgufFile.open(m); var w = dev.r1.models.gguf.GgufWriter.create(hollow)) {
            w.putAll(f.metadata());
            w.commit();
        }
        CliTest.Run r = r1("run", hollow.toString(), "--backend", "llama.cpp", "-p", "hi");
        assertEquals(1, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("error: llama.cpp could not load") && r.err().contains("r1 -v"), r.err());
        assertFalse(r.err().contains("SEVERE") || r.err().contains("dev.r1.llama"), r.err());
        CliTest.Run v = r1("run", hollow.toString(), "--backend", "llama.cpp", "-p", "hi", "-v");
        assertTrue(v.err().lines().anyMatch(l -> l.startsWith("llama.cpp: ")), "llama.cpp's own reason under -v: " + v.err());
        assertFalse(v.err().contains("SEVERE"), v.err());
    }

    @Test
    void thinkShowSetsTheReasoningApartFromTheAnswer() {
        StringWriter s = new StringWriter();
        var sink = new RunCommand.ThinkSink(new PrintWriter(s), RunCommand.Think.show, false);
        sink.text("Let me add.", true);
        sink.text(" 2+2=4", true);
        sink.text("\n\n", false);
        sink.text("It is 4.", false);
        assertEquals("Thinking...\nLet me add. 2+2=4\n...done thinking.\n\nIt is 4.", s.toString());
        StringWriter dim = new StringWriter();
        var d = new RunCommand.ThinkSink(new PrintWriter(dim), RunCommand.Think.dim, true);
        d.text("hmm", true);
        d.text("\n\nyes", false);
        assertEquals("\033[2mhmm\033[0m\n\nyes", dim.toString());
        StringWriter noColor = new StringWriter(); // dim without colors cannot dim: shown apart instead
        var n = new RunCommand.ThinkSink(new PrintWriter(noColor), RunCommand.Think.dim, false);
        n.text("hmm", true);
        n.text("\n\nyes", false);
        assertEquals("Thinking...\nhmm\n...done thinking.\n\nyes", noColor.toString());
    }

    @Test
    void errorsAreInPlainWordsWithoutJavaNamesOrParserInternals() throws Exception {
        assertEquals("/x/y.gguf: permission denied", ErrorHandler.plain(new java.nio.file.AccessDeniedException("/x/y.gguf")));
        assertEquals("cannot write r.json: permission denied: /d/r.json", ErrorHandler.plain(new java.io.UncheckedIOException(
                "cannot write r.json: java.nio.file.AccessDeniedException: /d/r.json", new java.io.IOException())));
        try {
            new ObjectMapper().readTree("{bad");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            String p = ErrorHandler.plain(new IllegalArgumentException("c.json: " + e.getMessage()));
            assertFalse(p.contains("[Source") || p.contains("\n") || p.contains("com.fasterxml"), p);
            assertTrue(p.startsWith("c.json: Unexpected character"), p);
        }
    }

    private static String[] cat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}

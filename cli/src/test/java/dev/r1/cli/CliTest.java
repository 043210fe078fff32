package dev.r1.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands end to end, in process, on tiny synthesized models. */
class CliTest {
    @TempDir Path dir;

    record Run(int code, String out, String err) {}

    static Run r1(String... args) {
        return r1In("", args);
    }

    /** Runs r1 in process with {@code stdin} as standard input (never the test JVM's own). */
    static synchronized Run r1In(String stdin, String... args) {
        PrintStream o = System.out, e = System.err;
        java.io.InputStream i = System.in;
        ByteArrayOutputStream bo = new ByteArrayOutputStream(), be = new ByteArrayOutputStream();
        try {
            System.setIn(new java.io.ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(bo, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(be, true, StandardCharsets.UTF_8));
            var cl = Main.commandLine();
            cl.setErr(new java.io.PrintWriter(System.err, true));
            int code = cl.execute(args);
            return new Run(code, bo.toString(StandardCharsets.UTF_8), be.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(i);
            System.setOut(o);
            System.setErr(e);
        }
    }

    @Test
    void synthInfoTokenizeQuantize() throws Exception {
        Path f16 = dir.resolve("t.gguf");
        Run s = r1("synth", "--preset", "tiny-qwen2", "--type", "f16", "-o", f16.toString(), "--seed", "3");
        assertEquals(0, s.code(), s.err());
        Run info = r1("info", f16.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("preset:        tiny-qwen2"), info.out());
        assertTrue(info.out().contains("F16"), info.out());

        Run tok = r1("tokenize", f16.toString(), "<｜User｜>hi", "--pieces");
        assertEquals(0, tok.code(), tok.err());
        String first = tok.out().lines().findFirst().orElseThrow();
        assertTrue(first.matches("\\[\\d+(, \\d+)*]"), first);
        assertTrue(tok.out().contains("'<｜User｜>'"), tok.out());
        Run noBos = r1("tokenize", f16.toString(), "<｜User｜>hi", "--no-bos");
        assertEquals(first.replaceFirst("^\\[\\d+, ", "["), noBos.out().strip(), "--no-bos drops exactly the BOS id");

        Path q4 = dir.resolve("t-q4.gguf");
        Run q = r1("quantize", "--bits", "4", f16.toString(), q4.toString());
        assertEquals(0, q.code(), q.err());
        assertTrue(r1("info", q4.toString()).out().contains("Q4_0"));
        // Refuses to overwrite, and the existing output is untouched.
        byte[] before = Files.readAllBytes(q4);
        Run again = r1("quantize", "--bits", "4", f16.toString(), q4.toString());
        assertEquals(1, again.code());
        assertTrue(again.err().contains("exist"), again.err());
        assertEquals(before.length, Files.readAllBytes(q4).length);

        // --report measures each tensor's error (a plain run skips that work).
        Path report = dir.resolve("err.json");
        Run rep = r1("quantize", "--bits", "4", "--force", "--report", report.toString(), f16.toString(), q4.toString());
        assertEquals(0, rep.code(), rep.err());
        com.fasterxml.jackson.databind.JsonNode tensors = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(report.toFile()).get("tensors");
        for (com.fasterxml.jackson.databind.JsonNode t : tensors) {
            double rmse = t.get("rmse").asDouble(-1);
            String type = t.get("type").asText();
            if (type.equals("F32")) assertEquals(0.0, rmse, t.toString());
            else assertTrue(rmse > 0 && rmse < 1 && t.get("maxAbsError").asDouble() >= rmse, t.toString());
        }
    }

    @Test
    void badInputGetsOneClearLine() throws Exception {
        Run missing = r1("info", dir.resolve("nope.gguf").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("error: "), missing.err());
        assertFalse(missing.err().contains("\tat "), "no stack trace: " + missing.err());

        Path junk = dir.resolve("junk.gguf");
        Files.writeString(junk, "this is not a model");
        Run bad = r1("info", junk.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("junk.gguf"), bad.err());
        assertFalse(bad.err().contains("\tat "), bad.err());

        Run preset = r1("synth", "--preset", "gpt-5", "-o", dir.resolve("x.gguf").toString());
        assertEquals(1, preset.code());
        assertTrue(preset.err().contains("r1-distill-qwen-1.5b"), "lists the known presets: " + preset.err());
        assertFalse(Files.exists(dir.resolve("x.gguf")));
    }

    @Test
    void llamaCppBackendRunsAndInfoReportsWhatItSees() throws Exception {
        Path m = dir.resolve("m.gguf");
        assertEquals(0, r1("synth", "--preset", "tiny-llama", "--type", "q8_0", "-o", m.toString()).code());
        Run info = r1("info", m.toString(), "--llama");
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("llama.cpp:     llama"), info.out());

        Run one = r1("run", m.toString(), "--backend", "llama.cpp", "-p", "hi", "-n", "8", "--temp", "0", "--think", "show");
        assertEquals(0, one.code(), one.err());
        assertTrue(one.err().contains("| 8 tokens"), "stats on stderr: " + one.err());
        Run again = r1("run", m.toString(), "--backend", "llama.cpp", "-p", "hi", "-n", "8", "--temp", "0", "--think", "show");
        assertEquals(one.out(), again.out(), "greedy is deterministic");

        Run tooLong = r1("run", m.toString(), "--backend", "llama.cpp", "-p", "word ".repeat(3000), "-n", "4");
        assertEquals(1, tooLong.code());
        assertTrue(tooLong.err().contains("does not fit"), tooLong.err());
    }

    @Test
    void benchWritesJsonAndPlotOnATinyModel() throws Exception {
        Path m = dir.resolve("b.gguf");
        assertEquals(0, r1("synth", "--preset", "tiny-qwen2", "-o", m.toString()).code());
        Path json = dir.resolve("b.json"), svg = dir.resolve("b.svg");
        Run b = r1("bench", m.toString(), "--backends", "llama.cpp,llama.cpp", "-p", "32", "-n", "8", "-r", "2",
                "--no-bandwidth", "--json", json.toString(), "--plot", svg.toString());
        assertEquals(0, b.code(), b.err());
        assertTrue(b.out().contains("tg tok/s"), b.out());
        var root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile());
        assertTrue(root.get("machine").has("cpu"));
        var results = root.get("results");
        assertEquals(2, results.size());
        for (String k : new String[]{"backend", "model", "type", "threads", "prompt_tokens", "gen_tokens", "ttft_ms",
                "prefill_tok_s", "decode_tok_s", "decode_ms_p50", "decode_ms_p90", "decode_ms_p99", "peak_rss_mb", "samples"})
            assertTrue(results.get(1).has(k), k);
        assertEquals(32, results.get(0).get("prompt_tokens").asInt());
        assertEquals(2, results.get(0).get("samples").size());
        assertEquals(8, results.get(0).get("samples").get(0).get("decode_ms").size());
        assertEquals(1.0, results.get(0).get("decode_ratio").asDouble(), 1e-12, "first row is the baseline");
        double ratio = results.get(1).get("decode_tok_s").asDouble() / results.get(0).get("decode_tok_s").asDouble();
        assertEquals(ratio, results.get(1).get("decode_ratio").asDouble(), 1e-9);
        assertTrue(Files.readString(svg).contains("<polyline"));
    }

    @Test
    void benchInterleavesRepsOfBothBackends() throws Exception {
        Path m = dir.resolve("i.gguf");
        assertEquals(0, r1("synth", "--preset", "tiny-llama", "-o", m.toString()).code());
        Path json = dir.resolve("i.json");
        Run b = r1("bench", m.toString(), "--interleave", "-p", "16", "-n", "4", "-r", "2", "--no-bandwidth", "--json", json.toString());
        assertEquals(0, b.code(), b.err());
        String err = b.err();
        int j1 = err.indexOf("java: rep 1/2"), l1 = err.indexOf("llama.cpp: rep 1/2"), j2 = err.indexOf("java: rep 2/2"),
                l2 = err.indexOf("llama.cpp: rep 2/2");
        assertTrue(0 <= j1 && j1 < l1 && l1 < j2 && j2 < l2, "reps alternate:\n" + err);
        assertTrue(err.indexOf("llama.cpp: loading") < j1, "both loaded before the first rep:\n" + err);
        var results = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile()).get("results");
        assertEquals(2, results.size());
        for (int i = 0; i < 2; i++) assertEquals(2, results.get(i).get("samples").size());
        // each figure says what ran it: our vector width and repacking, ggml's CPU library
        assertTrue(results.get(0).get("kernels").asText().matches("java \\(\\d+ threads, \\d+-bit.*repacked(, [^)]* in \\d[^)]*)?\\)"), results.get(0).toString());
        assertTrue(results.get(1).get("kernels").asText().startsWith("llama.cpp (ggml-cpu-"), results.get(1).toString());
        assertTrue(err.contains("java: java ("), err);
        // what decoding allocated (HotSpot counts every thread's bytes): at least the logits each step returns
        long alloc = results.get(0).get("samples").get(0).get("decode_alloc_bytes").asLong();
        assertTrue(alloc > 0, "decode_alloc_bytes " + alloc);
    }

    @Test
    void benchSeparateDropsTheChildJvmsBootLinesOnly() {
        // a child started with native/jit.options prints the directives' count at boot (session 34 saw it in every rep)
        assertTrue(BenchCommand.isJvmBootLine("2 compiler directives added"));
        assertTrue(BenchCommand.isJvmBootLine("WARNING: Using incubator modules: jdk.incubator.vector"));
        assertFalse(BenchCommand.isJvmBootLine("java: loading s.gguf"));
        assertFalse(BenchCommand.isJvmBootLine("error: 2 compiler directives added"));
        assertFalse(BenchCommand.isJvmBootLine("compiler directives added"));
    }

    @Test
    void benchSeparateRunsEachRepInAProcessOfItsOwnInTurn() throws Exception {
        Path m = dir.resolve("s.gguf");
        assertEquals(0, r1("synth", "--preset", "tiny-llama", "-o", m.toString()).code());
        Path json = dir.resolve("s.json");
        Run b = r1("bench", m.toString(), "--separate", "-p", "16", "-n", "4", "-r", "2", "--no-bandwidth", "--json", json.toString());
        assertEquals(0, b.code(), b.err());
        String err = b.err();
        // each process loads its own engine, after the previous process ended
        int j1 = err.indexOf("[1/2 java] java: loading"), l1 = err.indexOf("[1/2 llama.cpp] llama.cpp: loading"),
                j2 = err.indexOf("[2/2 java] java: loading"), l2 = err.indexOf("[2/2 llama.cpp] llama.cpp: loading");
        assertTrue(0 <= j1 && j1 < l1 && l1 < j2 && j2 < l2, "processes in turn:\n" + err);
        assertTrue(err.indexOf("[1/2 java] java: rep 1/1") < l1, err);
        var results = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile()).get("results");
        assertEquals(2, results.size());
        for (int i = 0; i < 2; i++) {
            assertEquals(2, results.get(i).get("samples").size());
            assertEquals(4, results.get(i).get("samples").get(0).get("decode_ms").size());
            assertTrue(results.get(i).get("samples").get(0).get("decode_alloc_bytes").asLong() > 0, results.get(i).toString()); // from the child
        }
        assertTrue(results.get(1).get("kernels").asText().startsWith("llama.cpp (ggml-cpu-"), results.get(1).toString());
        assertTrue(b.out().matches("(?s).*pair by pair, llama.cpp against java: tg x \\d+\\.\\d\\d \\d+\\.\\d\\d, pp x \\d+\\.\\d\\d \\d+\\.\\d\\d\\n.*"), b.out());

        Run both = r1("bench", m.toString(), "--separate", "--interleave", "-r", "1");
        assertEquals(1, both.code(), both.err());
        assertTrue(both.err().contains("--separate and --interleave exclude each other"), both.err());
    }

    @Test
    void cudaWithoutAGpuIsOneClearLine() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.r1.engine.cuda.CudaBackend.unavailableReason() != null, "a GPU is here");
        Path m = dir.resolve("c.gguf");
        assertEquals(0, r1("synth", "--preset", "tiny-qwen2", "-o", m.toString()).code());
        Run r = r1("run", m.toString(), "--backend", "cuda", "-p", "hi", "-n", "2");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().strip().lines().count() == 1 && r.err().contains("--backend cuda: "), r.err());
        Run b = r1("bench", m.toString(), "--backends", "java,cuda", "-p", "8", "-n", "2", "-r", "1", "--no-bandwidth");
        assertEquals(1, b.code(), b.err());
        assertTrue(b.err().contains("--backend cuda: "), b.err());
    }

    @Test
    void helpListsEveryCommand() {
        Run h = r1("--help");
        assertEquals(0, h.code());
        for (String c : new String[]{"info", "synth", "tokenize", "quantize", "bench", "run"}) assertTrue(h.out().contains(c), c);
    }
}

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

    static synchronized Run r1(String... args) {
        PrintStream o = System.out, e = System.err;
        ByteArrayOutputStream bo = new ByteArrayOutputStream(), be = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(bo, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(be, true, StandardCharsets.UTF_8));
            var cl = Main.commandLine();
            cl.setErr(new java.io.PrintWriter(System.err, true));
            int code = cl.execute(args);
            return new Run(code, bo.toString(StandardCharsets.UTF_8), be.toString(StandardCharsets.UTF_8));
        } finally {
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
    void helpListsEveryCommand() {
        Run h = r1("--help");
        assertEquals(0, h.code());
        for (String c : new String[]{"info", "synth", "tokenize", "quantize"}) assertTrue(h.out().contains(c), c);
    }
}

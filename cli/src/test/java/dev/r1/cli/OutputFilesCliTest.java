package dev.r1.cli;

import static dev.r1.cli.CliTest.r1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the commands write: readable by others as any file the user makes, checked up front, never left half-done. */
class OutputFilesCliTest {
    @TempDir Path dir;

    private Set<PosixFilePermission> plainCreateMode() throws Exception {
        Path p = Files.createFile(dir.resolve("plain"));
        try {
            return Files.getPosixFilePermissions(p);
        } finally {
            Files.delete(p);
        }
    }

    private List<String> tempFiles() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
        }
    }

    @Test
    void writtenFilesGetTheUmaskModeNot0600() throws Exception {
        Set<PosixFilePermission> plain = plainCreateMode();
        Path f16 = dir.resolve("m.gguf"), q4 = dir.resolve("m-q4.gguf"), rep = dir.resolve("r.json");
        assertEquals(0, r1("synth", "--preset", "tiny-llama", "--type", "f16", "-o", f16.toString()).code());
        CliTest.Run q = r1("quantize", f16.toString(), q4.toString(), "--report", rep.toString());
        assertEquals(0, q.code(), q.err());
        Path json = dir.resolve("b.json"), svg = dir.resolve("b.svg");
        CliTest.Run b = r1("bench", q4.toString(), "--backends", "java", "-p", "8", "-n", "2", "-r", "1", "--no-bandwidth",
                "--json", json.toString(), "--plot", svg.toString());
        assertEquals(0, b.code(), b.err());
        for (Path p : List.of(f16, q4, rep, json, svg)) assertEquals(plain, Files.getPosixFilePermissions(p), p.toString());
        assertEquals(List.of(), tempFiles());
    }

    @Test
    void outputPathsAreCheckedBeforeTheWork() throws Exception {
        Path f16 = dir.resolve("m.gguf"), q4 = dir.resolve("m-q4.gguf");
        assertEquals(0, r1("synth", "--preset", "tiny-qwen2", "--type", "f16", "-o", f16.toString()).code());

        CliTest.Run q = r1("quantize", f16.toString(), q4.toString(), "--report", "/nonexistent/r.json");
        assertEquals(1, q.code());
        assertTrue(q.err().startsWith("error: /nonexistent/r.json: the folder /nonexistent does not exist"), q.err());
        assertFalse(Files.exists(q4), "nothing written when an output path is bad");

        CliTest.Run again = r1("synth", "--preset", "tiny-qwen2", "--type", "f16", "-o", f16.toString());
        assertEquals(1, again.code());
        assertTrue(again.err().contains("already exists") && again.err().contains("--force"), again.err());

        for (String[] bad : new String[][]{{"--json", "/nonexistent/b.json"}, {"--plot", dir.resolve("p.jpg").toString()},
                {"--backends", "java,foo"}}) {
            CliTest.Run b = r1("bench", f16.toString(), "--no-bandwidth", "-p", "8", "-n", "2", bad[0], bad[1]);
            assertEquals(1, b.code(), String.join(" ", bad));
            assertFalse(b.err().contains("loading"), "fails before loading anything: " + b.err());
            assertTrue(b.err().lines().count() == 1 && b.err().contains(bad[1].replaceFirst(".*,", "")), b.err());
        }
    }

    @Test
    void staleTempFilesOfDeadRunsAreSwept() throws Exception {
        Path f16 = dir.resolve("m.gguf"), q4 = dir.resolve("m-q4.gguf");
        assertEquals(0, r1("synth", "--preset", "tiny-qwen2", "--type", "f16", "-o", f16.toString()).code());
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path stale = Files.writeString(dir.resolve(".m-q4.gguf.r1-" + gone.pid() + "-abc.tmp"), "partial");
        Path live = Files.writeString(dir.resolve(".m-q4.gguf.r1-" + ProcessHandle.current().pid() + "-def.tmp"), "in use");
        Path other = Files.writeString(dir.resolve(".other.gguf.r1-" + gone.pid() + "-abc.tmp"), "not this target");
        assertEquals(0, r1("quantize", f16.toString(), q4.toString()).code());
        assertFalse(Files.exists(stale), "the dead run's temp file is swept");
        assertTrue(Files.exists(live), "a live process's temp file stays");
        assertTrue(Files.exists(other), "only the target's own temp files are swept");
    }

    /** SIGTERM (as Ctrl-C) in the middle of writing a model: the JVM's shutdown hook removes the temp file. */
    @Test
    void stoppedWriteLeavesNoTempFile() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path out = dir.resolve("big.gguf");
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dr1.deps=" + System.getProperty("r1.deps"), "-cp", System.getProperty("java.class.path"), "dev.r1.cli.Main",
                "synth", "--preset", "r1-distill-qwen-1.5b", "--type", "f16", "-o", out.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            long end = System.currentTimeMillis() + 60_000;
            while (tempFiles().isEmpty() && p.isAlive() && System.currentTimeMillis() < end) Thread.sleep(20);
            assertEquals(1, tempFiles().size(), "the write started: " + Files.readString(dir.resolve("log")));
            Thread.sleep(200);
            p.destroy(); // SIGTERM: what Ctrl-C's SIGINT does too, shutdown hooks run
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(List.of(), tempFiles(), "no temp file left");
            assertFalse(Files.exists(out));
        } finally {
            p.destroyForcibly();
        }
    }
}

package dev.r1.quantize;

import dev.r1.quantize.synth.SyntheticHfModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A conversion killed (SIGKILL) half way leaves no output and an untouched input. */
class AtomicityTest {
    @TempDir Path tmp;

    /** Child process: converts args[0] to args[1], announcing and then stalling half way through. */
    public static void main(String[] args) {
        Converter.convert(Path.of(args[0]), Path.of(args[1]), ConvertOptions.of(TargetType.Q4_0).withProgress(e -> {
            if (e.index() == e.count() / 2) {
                System.out.println("MIDWAY " + e.tensor());
                System.out.flush();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }
        }));
    }

    @Test
    void killedMidRunLeavesNoOutput() throws Exception {
        Path in = new SyntheticHfModel(false, 11).write(tmp.resolve("model"), 2);
        String before = digest(in);
        Path out = tmp.resolve("out.gguf");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-cp", cp,
                AtomicityTest.class.getName(), in.toString(), out.toString()).redirectErrorStream(true).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            String line;
            boolean midway = false;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("MIDWAY")) {
                    midway = true;
                    break;
                }
            }
            assertTrue(midway, "child never reached the middle of the conversion");
            // The partial file exists now, under a temporary name only.
            assertTrue(tempFiles().size() == 1, "expected one temporary file while converting: " + tempFiles());
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
        assertFalse(Files.exists(out), "a killed conversion must not leave " + out);
        assertEquals(before, digest(in), "the input was modified");
        // A rerun is not disturbed by the dead run's temporary file.
        Converter.convert(in, out, ConvertOptions.of(TargetType.Q4_0));
        assertTrue(Files.size(out) > 0);
    }

    private List<Path> tempFiles() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    private static String digest(Path dir) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.sorted().toList()) {
                md.update(f.getFileName().toString().getBytes());
                md.update(Files.readAllBytes(f));
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}

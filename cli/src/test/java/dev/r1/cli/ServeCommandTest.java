package dev.r1.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code r1 serve} as a separate process on loopback, driven by the official {@code openai} npm client,
 * then stopped with SIGTERM. Skipped, saying why, where npm or the package cannot be had.
 */
class ServeCommandTest {
    @TempDir Path dir;

    @Test
    void openAiNpmClientAgainstARunningServer() throws Exception {
        Path scratch = Path.of("target", "openai-client").toAbsolutePath();
        Files.createDirectories(scratch);
        assumeTrue(run(scratch, 30, "npm", "--version") == 0, "npm is not available: skipping the openai npm client test");
        if (!Files.isDirectory(scratch.resolve("node_modules/openai"))) {
            Files.writeString(scratch.resolve("package.json"), "{\"private\":true,\"type\":\"module\"}");
            int rc = run(scratch, 240, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "openai");
            assumeTrue(rc == 0, "npm install openai failed (offline?): skipping the openai npm client test");
        }
        try (var in = getClass().getResourceAsStream("/serve/openai-client.mjs")) {
            Files.write(scratch.resolve("openai-client.mjs"), in.readAllBytes());
        }

        Path model = dir.resolve("tiny.gguf");
        assertEquals(0, CliTest.r1("synth", "--preset", "tiny-qwen2", "--type", "q8_0", "-o", model.toString()).code());
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "--add-opens", "jdk.httpserver/sun.net.httpserver=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.r1.cli.Main",
                "serve", model.toString(), "--port", "0", "--slots", "2", "--ctx", "512", "--threads", "2"));
        Path errFile = dir.resolve("serve.err"); // a file, not a pipe: the JDK may close a pipe under a reader when the process exits
        Process server = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(errFile.toFile()).start();
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String log = "";
            while (!(log = Files.readString(errFile)).contains("ready") && server.isAlive() && System.nanoTime() < end) Thread.sleep(20);
            Matcher m = Pattern.compile("(http://127\\.0\\.0\\.1:\\d+/v1)").matcher(log);
            String base = m.find() ? m.group(1) : null;
            assertTrue(base != null && log.contains("ready"), "the server started: " + log);
            Process node = new ProcessBuilder("node", "openai-client.mjs", base).directory(scratch.toFile())
                    .redirectErrorStream(true).start();
            assertTrue(node.waitFor(120, TimeUnit.SECONDS), "the client finished");
            String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            System.out.print(out);
            assertEquals(0, node.exitValue(), out);
            assertTrue(out.contains("checks passed"), out);

            server.destroy(); // SIGTERM: a graceful stop
            assertTrue(server.waitFor(30, TimeUnit.SECONDS), "the server stopped on SIGTERM");
            assertEquals(143, server.exitValue(), "exit status of a SIGTERM after the shutdown hooks ran");
            String all = Files.readString(errFile);
            assertTrue(all.contains("stopping"), all);
        } finally {
            server.destroyForcibly();
        }
    }

    private static int run(Path dir, int seconds, String... cmd) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        }
    }
}

package dev.r1.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The interactive chat in a real terminal: tmux gives {@code r1 run} a pty, types into it and reads the
 * screen, as a person would (type, stream, /reset, Ctrl-C mid-answer, Ctrl-D).
 */
class InteractiveChatTest {
    @TempDir Path dir;
    private final String session = "r1chat" + ProcessHandle.current().pid();

    @AfterEach
    void killSession() throws Exception {
        run("tmux", "kill-session", "-t", session);
    }

    static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    private String screen() throws Exception {
        return run("tmux", "capture-pane", "-p", "-S", "-200", "-t", session);
    }

    private String waitFor(String what, Predicate<String> ok, long millis) throws Exception {
        long end = System.currentTimeMillis() + millis;
        String s = "";
        while (System.currentTimeMillis() < end) {
            s = screen();
            if (ok.test(s)) return s;
            Thread.sleep(100);
        }
        return fail("timed out waiting for " + what + "; screen:\n" + s);
    }

    private void keys(String... k) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tmux", "send-keys", "-t", session));
        cmd.addAll(List.of(k));
        run(cmd.toArray(String[]::new));
    }

    private static long count(String s, String sub) {
        return s.split(java.util.regex.Pattern.quote(sub), -1).length - 1;
    }

    @Test
    void chatInATerminal() throws Exception {
        assertTrue(run("tmux", "-V").startsWith("tmux"), "tmux is needed for this test (apt-get install tmux)");
        Path m = dir.resolve("chat.gguf");
        assertEquals(0, CliTest.r1("synth", "--preset", "tiny-qwen2", "--type", "q8_0", "-o", m.toString()).code());
        String java = ProcessHandle.current().info().command().orElse("java");
        String cmd = String.join(" ", java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dr1.deps=" + System.getProperty("r1.deps"), "-cp", System.getProperty("java.class.path"),
                "dev.r1.cli.Main", "run", m.toString(), "--temp", "0", "-n", "100000", "--ctx", "2048");
        run("tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "50", "-e", "R1_CACHE=" + dir, "-e", "NO_COLOR=1", cmd
                + "; echo R1-EXITED-$?; sleep 30");
        waitFor("the prompt", s -> s.contains(">>>"), 60_000);

        keys("hello", "Enter");
        String s = waitFor("an answer with stats", x -> x.contains("| context full]") || x.contains("tok/s |"), 60_000);
        assertTrue(s.contains("[prompt "), s);
        // NO_COLOR: nothing dimmed; the reasoning is set apart by a label instead.
        String raw = run("tmux", "capture-pane", "-p", "-e", "-S", "-200", "-t", session);
        assertFalse(raw.contains("\033[2m"), "no dim escape under NO_COLOR:\n" + raw);
        assertTrue(s.contains("Thinking..."), s);

        keys("/reset", "Enter");
        waitFor("the reset notice", x -> x.contains("(conversation reset)"), 10_000);

        // Ctrl-C stops the answer, not the program.
        keys("tell me a long story", "Enter");
        Thread.sleep(300);
        keys("C-c");
        s = waitFor("the stopped answer", x -> x.contains("(stopped)") || count(x, "[prompt ") >= 2, 60_000);
        assertTrue(s.contains("(stopped)"), "Ctrl-C mid-answer says it stopped:\n" + s);
        keys("/help", "Enter");
        s = waitFor("help", x -> x.contains("/reset  forget the conversation"), 10_000);
        assertTrue(s.contains("/bye") && s.contains("/set temperature") && s.contains("/save FILE"), s);

        // ollama's chat commands: /set, /show, /save, /load.
        keys("/set temperature 0.2", "Enter");
        waitFor("/set", x -> x.contains("(temperature 0.2)"), 10_000);
        keys("/set temperature -1", "Enter");
        waitFor("a range error, and the chat goes on", x -> x.contains("temperature -1.0 is out of range"), 10_000);
        keys("/set system be brief", "Enter");
        waitFor("/set system", x -> x.contains("(system prompt set)"), 10_000);
        keys("/show", "Enter");
        s = waitFor("/show", x -> x.contains("context:"), 10_000);
        assertTrue(s.contains("temperature 0.2,") && s.contains("system:      be brief") && s.contains("tokens used, 3 messages"), s);
        Path saved = dir.resolve("conv.json");
        keys("/save " + saved, "Enter");
        waitFor("/save", x -> x.contains("(saved 3 messages"), 10_000);
        var msgs = new com.fasterxml.jackson.databind.ObjectMapper().readTree(saved.toFile()).get("messages");
        assertEquals("system", msgs.get(0).get("role").asText());
        assertEquals("tell me a long story", msgs.get(1).get("content").asText());
        assertEquals("assistant", msgs.get(2).get("role").asText());
        keys("/reset", "Enter");
        keys("/load " + saved, "Enter");
        waitFor("/load", x -> x.contains("(loaded 3 messages"), 10_000);

        // A key sent while the prompt is still being set up can be lost (a loaded machine): send again until it lands.
        for (int i = 0; i < 5 && !screen().contains("R1-EXITED-"); i++) {
            keys("C-d");
            Thread.sleep(2_000);
        }
        s = waitFor("exit", x -> x.contains("R1-EXITED-"), 10_000);
        assertTrue(s.contains("R1-EXITED-0"), "Ctrl-D exits with 0:\n" + s);
    }

    /** A terminal on stdin but a file on stdout (r1 run M > out.txt): no chat into the file, one line saying why. */
    @Test
    void noChatWhenStdoutIsNotATerminal() throws Exception {
        Path m = dir.resolve("m.gguf");
        assertEquals(0, CliTest.r1("synth", "--preset", "tiny-llama", "-o", m.toString()).code());
        String java = ProcessHandle.current().info().command().orElse("java");
        String cmd = String.join(" ", java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Dr1.deps=" + System.getProperty("r1.deps"), "-cp", System.getProperty("java.class.path"),
                "dev.r1.cli.Main", "run", m.toString(), ">", dir.resolve("out.txt").toString());
        run("tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "20", cmd + "; echo R1-EXITED-$?; sleep 30");
        String s = waitFor("the exit", x -> x.contains("R1-EXITED-"), 60_000);
        assertTrue(s.contains("error: standard output is not a terminal") && s.contains("R1-EXITED-1"), s);
        assertEquals("", Files.readString(dir.resolve("out.txt")), "no banner or prompt in the file");
    }
}

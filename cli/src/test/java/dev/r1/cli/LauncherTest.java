package dev.r1.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The ./r1 launcher keeps the JDK's "Using incubator modules" line away from users: the JVM boots with
 * stderr through the launcher's filter, and main() points stderr back at the real one.
 */
class LauncherTest {
    static final String WARNING = "WARNING: Using incubator modules: jdk.incubator.vector";

    static String bash(String script) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    private static Path launcher() {
        Path dir = Path.of("").toAbsolutePath();
        while (!Files.exists(dir.resolve("r1"))) dir = dir.getParent();
        return dir.resolve("r1");
    }

    @Test
    void theFilterDropsExactlyTheIncubatorLine() throws Exception {
        String fn = "eval \"$(sed -n '/^drop_incubator_warning()/,/^}/p' '" + launcher() + "')\"; ";
        assertEquals("error: x\n" + WARNING + " (not exact)\nlast", bash(fn + "printf '%s\\n' '" + WARNING + "' 'error: x' '"
                + WARNING + " (not exact)' | drop_incubator_warning; printf last | drop_incubator_warning"));
    }

    @Test
    void mainPointsStderrBackAtTheRealOne() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        // As the launcher does: boot stderr elsewhere (here: dropped), the real one on fd 3.
        String out = bash("exec '" + java + "' --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
                + " -Dr1.stderr.fd=3 -cp '" + System.getProperty("java.class.path") + "' dev.r1.cli.Main info /nonexistent.gguf"
                + " 3>&2 2>/dev/null");
        assertEquals("error: /nonexistent.gguf: no such file or directory\n", out);
        assertTrue(Files.readString(launcher()).contains("-Dr1.stderr.fd=3"), "the launcher passes the descriptor");
    }
}

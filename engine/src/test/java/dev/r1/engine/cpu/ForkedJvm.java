package dev.r1.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A class's {@code main} in a JVM of its own, on this test's class path with the Vector API and native access:
 * for the checks whose subject is fixed when a JVM starts (compilation tiers, vector widths, type profiles).
 */
public final class ForkedJvm {
    private ForkedJvm() {}

    /** The output lines (stdout and stderr together) and the exit status of {@code main} run with {@code jvmFlags}. */
    public record Result(List<String> lines, int exit) {
        public String text() { return String.join("\n", lines); }

        /** The last {@code n} lines, for a failure message. */
        public String tail(int n) { return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size())); }
    }

    /**
     * The C2 options the launcher gives the engine ({@code native/jit.options}, found from the working directory
     * upward), for forks that check the compiled kernels as users run them.
     */
    public static List<String> jitOptions() throws java.io.IOException {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path f = d.resolve("native").resolve("jit.options");
            if (java.nio.file.Files.isRegularFile(f)) {
                String home = d.toString(); // @R1_HOME@ there: the project directory, as the launcher puts it
                return java.nio.file.Files.readAllLines(f).stream().map(String::strip)
                        .filter(l -> !l.isEmpty() && !l.startsWith("#")).map(l -> l.replace("@R1_HOME@", home)).toList();
            }
        }
        throw new java.io.FileNotFoundException("native/jit.options above " + Path.of("").toAbsolutePath());
    }

    public static Result run(Class<?> main, List<String> jvmFlags, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        // the width this test JVM was asked for (-Dr1.cpu.vectorBits=256 runs): a fork otherwise takes the hardware's;
        // and the pinned llama.cpp libraries (r1.deps), where the IQ grid types' lookup grids come from
        for (String k : List.of("r1.cpu.vectorBits", "r1.cpu.repackBits", "r1.deps")) {
            String v = System.getProperty(k);
            if (v != null && jvmFlags.stream().noneMatch(f -> f.startsWith("-D" + k + "="))) cmd.add("-D" + k + "=" + v);
        }
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) lines.add(l);
        }
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), main.getSimpleName() + " did not end");
        return new Result(lines, p.exitValue());
    }
}

package dev.r1.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** What the standard streams are connected to, and whether colors are wanted. */
final class Tty {
    private Tty() {}

    /** Set by {@code --no-color}; reset for every command line (tests run several in one JVM). */
    static volatile boolean noColorFlag;

    /** Colors unless {@code --no-color}, {@code NO_COLOR} (any non-empty value, no-color.org) or {@code TERM=dumb}. */
    static boolean color() {
        String noColor = System.getenv("NO_COLOR");
        return !noColorFlag && (noColor == null || noColor.isEmpty()) && !"dumb".equals(System.getenv("TERM"));
    }

    /** Both stdin and stdout are a terminal: a person is there to chat with. */
    static boolean interactive() {
        return System.console() != null;
    }

    /** Whether stdin is a terminal (Linux: what fd 0 points to); false when that cannot be told. */
    static boolean stdinIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (Exception e) {
            return System.console() != null;
        }
    }
}

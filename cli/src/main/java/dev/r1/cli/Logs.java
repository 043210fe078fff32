package dev.r1.cli;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * llama.cpp's own log (routed to the logger "dev.r1.llama"): silent by default, since its failures reach
 * the user as one line from the engine; with -v its warnings and errors show as plain "llama.cpp: ..."
 * lines (not java.util.logging's two-line records).
 */
final class Logs {
    private Logs() {}

    private static final Logger LLAMA = Logger.getLogger("dev.r1.llama"); // held: JUL keeps loggers weakly

    static {
        LLAMA.setUseParentHandlers(false);
        LLAMA.addHandler(new Handler() { // System.err as it is now (not as it was when the handler was made)
            @Override public void publish(LogRecord r) {
                if (isLoggable(r)) System.err.println("llama.cpp: " + r.getMessage());
            }
            @Override public void flush() { System.err.flush(); }
            @Override public void close() {}
        });
    }

    /** -v / R1_VERBOSE: stack traces, per-tensor warnings, llama.cpp's log. */
    static volatile boolean verbose;

    static void verbose(boolean on) {
        verbose = on;
        LLAMA.setLevel(on ? Level.FINE : Level.OFF); // FINE: llama.cpp's warnings (DEBUG) and errors, not its chatter
    }
}

package dev.r1.bindings;

import dev.r1.bindings.llama.Llama;
import dev.r1.bindings.llama.ggml_log_callback;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Routes llama.cpp / ggml log output into {@link System.Logger} "dev.r1.llama" through an upcall.
 * llama.cpp is chatty (every load prints dozens of lines, and warns about things r1 does on purpose, such
 * as a context shorter than the model's), so its WARN goes to DEBUG and everything else below ERROR to
 * TRACE: only errors show under the default logging configuration (INFO and up), and all is there when a
 * user turns logging up.
 */
final class LlamaLog {
    /** The logger llama.cpp's lines go to. */
    static final String NAME = "dev.r1.llama";
    static final System.Logger LOG = System.getLogger(NAME);
    private static final StringBuilder pending = new StringBuilder();
    private static Level pendingLevel = Level.DEBUG;
    private static MemorySegment stub;

    private LlamaLog() {}

    /** Installs the callback once; the stub lives in the global arena because llama.cpp keeps the pointer. */
    static synchronized void install() {
        if (stub != null) return;
        stub = ggml_log_callback.allocate(LlamaLog::onLog, Arena.global());
        Llama.llama_log_set(stub, MemorySegment.NULL);
    }

    static Level levelOf(int ggmlLevel) {
        if (ggmlLevel == Llama.GGML_LOG_LEVEL_ERROR()) return Level.ERROR;
        if (ggmlLevel == Llama.GGML_LOG_LEVEL_WARN()) return Level.DEBUG;
        return Level.TRACE;
    }

    // Runs on a native thread inside llama.cpp: it must never throw (an exception escaping an upcall
    // ends the JVM). Messages arrive in pieces (GGML_LOG_LEVEL_CONT), so lines are joined before logging.
    private static void onLog(int level, MemorySegment text, MemorySegment userData) {
        try {
            String s = text.reinterpret(Long.MAX_VALUE).getString(0);
            synchronized (pending) {
                if (level != Llama.GGML_LOG_LEVEL_CONT()) pendingLevel = levelOf(level);
                pending.append(s);
                int nl;
                while ((nl = pending.indexOf("\n")) >= 0) {
                    String line = pending.substring(0, nl);
                    pending.delete(0, nl + 1);
                    if (!line.isBlank() && LOG.isLoggable(pendingLevel)) LOG.log(pendingLevel, line);
                }
            }
        } catch (Throwable ignored) {
            // nothing sensible to do on a native thread; dropping one log line is harmless
        }
    }
}

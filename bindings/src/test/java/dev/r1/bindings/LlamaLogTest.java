package dev.r1.bindings;

import static org.junit.jupiter.api.Assertions.*;

import dev.r1.bindings.llama.Llama;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** llama.cpp's own log lines arrive through the upcall in System.Logger (backed by java.util.logging here). */
class LlamaLogTest {

    @Test
    void llamaCppErrorsReachTheJavaLoggerAsWholeLines() {
        NativeLibraries.llama();
        Logger jul = Logger.getLogger(LlamaLog.NAME);
        List<LogRecord> got = new CopyOnWriteArrayList<>();
        Handler h = new Handler() {
            @Override public void publish(LogRecord r) { got.add(r); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        Level before = jul.getLevel();
        jul.setUseParentHandlers(false); // keep the expected errors out of the build log
        jul.addHandler(h);
        jul.setLevel(Level.ALL);
        try (Arena a = Arena.ofConfined()) {
            String path = "/nonexistent/r1-log-test.gguf";
            MemorySegment model = Llama.llama_model_load_from_file(a.allocateFrom(path), Llama.llama_model_default_params(a));
            assertEquals(MemorySegment.NULL, model);
        } finally {
            jul.removeHandler(h);
            jul.setLevel(before);
            jul.setUseParentHandlers(true);
        }
        List<LogRecord> errors = got.stream().filter(r -> r.getLevel() == Level.SEVERE).toList();
        assertFalse(errors.isEmpty(), "no error logged; got " + got.stream().map(LogRecord::getMessage).toList());
        assertTrue(errors.stream().anyMatch(r -> r.getMessage().contains("r1-log-test.gguf")),
                errors.stream().map(LogRecord::getMessage).toList().toString());
        assertTrue(got.stream().noneMatch(r -> r.getMessage().contains("\n")), "lines are split at newlines");
    }

    @Test
    void onlyErrorsAreLoudByDefault() {
        assertEquals(System.Logger.Level.ERROR, LlamaLog.levelOf(Llama.GGML_LOG_LEVEL_ERROR()));
        assertEquals(System.Logger.Level.DEBUG, LlamaLog.levelOf(Llama.GGML_LOG_LEVEL_WARN()));
        assertEquals(System.Logger.Level.TRACE, LlamaLog.levelOf(Llama.GGML_LOG_LEVEL_INFO()));
        assertEquals(System.Logger.Level.TRACE, LlamaLog.levelOf(Llama.GGML_LOG_LEVEL_DEBUG()));
    }
}

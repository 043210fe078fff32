package dev.r1.engine.api;

import dev.r1.engine.Engines;
import dev.r1.engine.Model;
import dev.r1.engine.SessionOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The engine in-process: a loaded R1 distill whose chats share one copy of the weights.
 *
 * <pre>{@code
 * try (R1Model model = R1Model.load(Path.of("model.gguf"));
 *      R1Chat chat = model.newChat()) {
 *     ChatReply r = chat.send("What is 17*23?", new ChatListener() {
 *         public void onReasoning(String t) { System.out.print(t); }
 *         public void onAnswer(String t) { System.out.print(t); }
 *     });
 * }
 * }</pre>
 *
 * Thread-safe: chats may run on different threads (each chat from one thread at a time).
 */
public final class R1Model implements AutoCloseable {
    private final Model model;
    private final int ctx;

    private R1Model(Model model, int ctx) {
        this.model = model;
        this.ctx = ctx;
    }

    /** Loads on our Java engine with all cores and a 4096-token context per chat. */
    public static R1Model load(Path gguf) {
        return load(gguf, "java", Runtime.getRuntime().availableProcessors(), 0);
    }

    /**
     * @param backend "java" or "llama.cpp"
     * @param threads CPU threads
     * @param ctx     context per chat in tokens (0: the model's, capped at 4096)
     */
    public static R1Model load(Path gguf, String backend, int threads, int ctx) {
        if (!Files.isRegularFile(gguf)) throw new IllegalArgumentException(gguf + ": no such model file");
        if (ctx < 0) throw new IllegalArgumentException("ctx must be >= 0 (0 = the model's), got " + ctx);
        return new R1Model(Engines.load(backend, gguf, threads), ctx);
    }

    /** A new conversation with its own KV cache (close it to free the cache). */
    public R1Chat newChat() {
        return new R1Chat(model.newSession(SessionOptions.defaults().withCtx(ctx)));
    }

    /** A new conversation that starts with a system prompt (the R1 card advises none). */
    public R1Chat newChat(String system) {
        R1Chat c = newChat();
        c.system(system);
        return c;
    }

    /**
     * Runs the engine once on small inputs, so that the first chat does not wait while the JVM compiles it: a server
     * calls it before its first request (10-15 s for a 1.5B file on two cores, the first answer then 1.5 s instead of
     * 9 s); on a thread of its own it stops at an interrupt. Nothing on llama.cpp, or for models under 256 MiB.
     */
    public void warmUp() { model.warmUp(); }

    /** The underlying engine model (tokenizer, sessions, batched decoding). */
    public Model model() { return model; }

    @Override
    public void close() { model.close(); }
}

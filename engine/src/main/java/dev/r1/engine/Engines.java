package dev.r1.engine;

import dev.r1.engine.llamacpp.LlamaCppModel;
import dev.r1.engine.llamacpp.LlamaCppSession;
import dev.r1.engine.model.JavaModel;
import dev.r1.engine.model.JavaSession;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The one place a backend is chosen by name, for the CLI, the server, eval and the Java API alike:
 * {@code java} (our engine on the CPU), {@code llama.cpp} (through the generated bindings), and
 * {@code cuda} once its backend is built.
 */
public final class Engines {
    /** The names users type after {@code --backend}, canonical spelling. */
    public static final List<String> NAMES = List.of("java", "llama.cpp");

    private Engines() {}

    /** The canonical spelling of a backend name ("llamacpp" and "llama" are llama.cpp). */
    public static String canonical(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "llamacpp", "llama", "llama-cpp" -> "llama.cpp";
            default -> n;
        };
    }

    /** @throws IllegalArgumentException naming the backends there are when {@code name} is none of them */
    public static String check(String name) {
        String n = canonical(name);
        if (n.equals("cuda")) throw new IllegalArgumentException("the cuda backend is not built yet; use --backend java or llama.cpp");
        if (!NAMES.contains(n)) throw new IllegalArgumentException("unknown backend '" + name + "'; choose one of " + NAMES);
        return n;
    }

    /**
     * Loads {@code file} on {@code backend} with {@code threads} CPU threads (the Java backend's pool; a
     * llama.cpp session takes its own count from {@link SessionOptions#threads()}).
     */
    public static Model load(String backend, Path file, int threads) {
        return switch (check(backend)) {
            case "llama.cpp" -> LlamaCppModel.load(file);
            default -> JavaModel.load(file, threads);
        };
    }

    /** Loads {@code file} and opens one session that owns the model (closing the session closes both). */
    public static Session open(String backend, Path file, SessionOptions o) {
        return switch (check(backend)) {
            case "llama.cpp" -> LlamaCppSession.open(file, o);
            default -> JavaSession.open(file, o);
        };
    }
}

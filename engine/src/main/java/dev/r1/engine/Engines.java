package dev.r1.engine;

import dev.r1.engine.llamacpp.LlamaCppModel;
import dev.r1.engine.llamacpp.LlamaCppSession;
import dev.r1.engine.cuda.CudaBackend;
import dev.r1.engine.model.Backend;
import dev.r1.engine.model.JavaModel;
import dev.r1.engine.model.JavaSession;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The one place a backend is chosen by name, for the CLI, the server, eval and the Java API alike:
 * {@code java} (our engine on the CPU), {@code llama.cpp} (through the generated bindings), and
 * {@code cuda} (our forward pass on an NVIDIA GPU through the driver API, {@code CudaBackend}).
 */
public final class Engines {
    /** The names users type after {@code --backend}, canonical spelling. */
    public static final List<String> NAMES = List.of("java", "llama.cpp", "cuda");

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
            case "cuda" -> JavaModel.load(file, Engines::cuda, threads);
            default -> JavaModel.load(file, threads);
        };
    }

    /** Loads {@code file} and opens one session that owns the model (closing the session closes both). */
    public static Session open(String backend, Path file, SessionOptions o) {
        return switch (check(backend)) {
            case "llama.cpp" -> LlamaCppSession.open(file, o);
            case "cuda" -> JavaSession.open(file, o, Engines::cuda);
            default -> JavaSession.open(file, o);
        };
    }

    /** The CUDA backend, or one line saying why there is none here (no driver, no GPU, no kernels built). */
    private static Backend cuda(int threads) {
        String why = CudaBackend.unavailableReason();
        if (why != null) throw new IllegalStateException("--backend cuda: " + why);
        return new CudaBackend();
    }
}

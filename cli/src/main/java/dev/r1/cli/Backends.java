package dev.r1.cli;

import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.llamacpp.LlamaCppSession;
import java.nio.file.Path;
import java.util.List;

/** The engines a command can run a model on, by the name users type after {@code --backend}. */
final class Backends {
    static final List<String> NAMES = List.of("java", "llama.cpp");

    private Backends() {}

    static Session open(String name, Path model, SessionOptions o) {
        return switch (name) {
            case "llama.cpp", "llamacpp", "llama" -> LlamaCppSession.open(model, o);
            case "java" -> JavaBackend.open(model, o);
            case "cuda" -> throw new IllegalArgumentException("the cuda backend is not built yet; use --backend java or llama.cpp");
            default -> throw new IllegalArgumentException("unknown backend '" + name + "'; choose one of " + NAMES);
        };
    }

    static String canonical(String name) {
        return switch (name) {
            case "llamacpp", "llama" -> "llama.cpp";
            default -> name;
        };
    }
}

package dev.r1.cli;

import dev.r1.engine.Engines;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import java.nio.file.Path;
import java.util.List;

/** The CLI's view of {@link Engines}: backend names as users type them after {@code --backend}. */
final class Backends {
    static final List<String> NAMES = Engines.NAMES;

    private Backends() {}

    static Session open(String name, Path model, SessionOptions o) {
        return Engines.open(name, model, o);
    }

    static String canonical(String name) {
        return Engines.canonical(name);
    }
}

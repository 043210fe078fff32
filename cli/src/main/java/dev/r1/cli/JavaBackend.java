package dev.r1.cli;

import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.model.JavaSession;
import java.nio.file.Path;

/** Our own engine (Vector API CPU backend today; the seam where CUDA plugs in). */
final class JavaBackend {
    private JavaBackend() {}

    static Session open(Path model, SessionOptions o) {
        return JavaSession.open(model, o);
    }
}

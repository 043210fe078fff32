package dev.r1.cli;

import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import java.nio.file.Path;

/** Our own engine; the seam where the CPU (and later CUDA) Java engine is opened. */
final class JavaBackend {
    private JavaBackend() {}

    static Session open(Path model, SessionOptions o) {
        throw new IllegalArgumentException("the java backend is not wired in yet; use --backend llama.cpp");
    }
}

package dev.r1.engine.llamacpp;

/** llama.cpp refused a model file or a call failed; the message names the file or call and the code. */
public final class LlamaCppException extends RuntimeException {
    public LlamaCppException(String message) {
        super(message);
    }
}

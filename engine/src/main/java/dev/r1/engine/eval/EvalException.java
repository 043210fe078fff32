package dev.r1.engine.eval;

/** Bad input to an evaluation (too short a text, mismatched tokenizers, a damaged logits file): the message says what to do. */
public final class EvalException extends RuntimeException {
    public EvalException(String message) {
        super(message);
    }

    public EvalException(String message, Throwable cause) {
        super(message, cause);
    }
}

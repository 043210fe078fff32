package dev.r1.models.fuzz;

import dev.r1.models.ModelException;

/** What a harness accepts as a clean refusal: a ModelException with a one-line, bounded message. */
public final class Expected {
    private Expected() {}

    public static void refusal(ModelException e) {
        String m = e.getMessage();
        if (m == null || m.isBlank() || m.indexOf('\n') >= 0 || m.indexOf('\r') >= 0 || m.length() > 2000) {
            throw new AssertionError("a refusal must be one clear line, got: " + (m == null ? null
                    : m.substring(0, Math.min(m.length(), 2000))), e);
        }
    }
}

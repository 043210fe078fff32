package dev.r1.models.template;

import dev.r1.models.Limits;

import java.util.List;

/**
 * Chat-template rendering for the fuzz harnesses. While fuzzing (JAZZER_FUZZ set) a render stops after
 * {@link #FUZZ_RENDER_MILLIS} instead of Limits.TEMPLATE_RENDER_MILLIS: templates that loop until the cap
 * are common among mutated inputs and cost 2 s each, most of a run's time. The outcome checked is the same
 * (a one-line ModelException, which the timeout is); the regression mode (CI) keeps the production cap.
 */
public final class FuzzRender {
    public static final long FUZZ_RENDER_MILLIS = 25;
    public static final long RENDER_MILLIS = fuzzing() ? FUZZ_RENDER_MILLIS : Limits.TEMPLATE_RENDER_MILLIS;

    private FuzzRender() {}

    /** Jazzer's own test: fuzzing when JAZZER_FUZZ is set to a non-empty value. */
    static boolean fuzzing() {
        String f = System.getenv("JAZZER_FUZZ");
        return f != null && !f.isEmpty();
    }

    public static String render(JinjaChatTemplate t, List<ChatMessage> messages, boolean addGenerationPrompt) {
        return t.render(messages, addGenerationPrompt, RENDER_MILLIS);
    }
}

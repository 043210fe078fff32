package dev.r1.models.template;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.r1.models.Limits;
import dev.r1.models.ModelException;
import dev.r1.models.fuzz.Expected;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jazzer harness: an arbitrary chat template (Jinja code from a model file) rendered over arbitrary
 * messages. The input is the template, then message texts, separated by NUL; roles cycle through
 * system, user, assistant, and an odd count of messages asks for the generation prompt. Rendering may
 * only fail with a ModelException, and its output stays within Limits.TEMPLATE_OUTPUT_CHARS. While fuzzing,
 * a render is stopped after FuzzRender.FUZZ_RENDER_MILLIS (see there).
 */
class ChatTemplateFuzzHarness {
    private static final String[] ROLES = {"system", "user", "assistant", "user"};

    @FuzzTest
    @DictionaryFile(resourcePath = "/fuzz/jinja.dict")
    void render(byte[] data) {
        String[] parts = new String(data, StandardCharsets.UTF_8).split("\0", -1);
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 1; i < parts.length; i++) messages.add(new ChatMessage(ROLES[(i - 1) % ROLES.length], parts[i]));
        try {
            JinjaChatTemplate t = new JinjaChatTemplate(parts[0], "<s>", "</s>");
            String out = FuzzRender.render(t, messages, messages.size() % 2 == 1);
            assertTrue(out.length() <= Limits.TEMPLATE_OUTPUT_CHARS, "output of " + out.length() + " chars");
        } catch (ModelException expected) {
            Expected.refusal(expected);
            // the point of the exercise
        }
    }
}

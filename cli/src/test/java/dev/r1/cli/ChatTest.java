package dev.r1.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.engine.Engines;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.sampling.SamplerOptions;
import dev.r1.models.tokenizer.BpeTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** A conversation's later turns feed only what the cache does not hold (the reasoning-free history). */
class ChatTest {
    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"java", "llama.cpp"})
    void aLaterTurnPrefillsOnlyTheNewTokens(String backend) {
        Path model = dir.resolve("t.gguf");
        CliTest.Run s = CliTest.r1("synth", "--preset", "tiny-qwen2", "--type", "q8_0", "-o", model.toString(), "--seed", "5");
        assertEquals(0, s.code(), s.err());
        BpeTokenizer tok = new BpeTokenizer(Tokenizers.load(model));
        try (Session session = Engines.open(backend, model, new SessionOptions(1, 1024, 64))) {
            Chat chat = new Chat(session, tok, SamplerOptions.greedy(), null);
            Chat.Turn t1 = chat.respond("Hello there, how are you today?", 24, List.of(), (text, thinking) -> {}, () -> false);
            assertEquals(t1.promptTokens(), t1.prefilledTokens(), "the first turn feeds its whole prompt");
            Chat.Turn t2 = chat.respond("And what is 17 times 23?", 24, List.of(), (text, thinking) -> {}, () -> false);
            // Before: the chat reset and fed the whole history again. Now the first turn's prompt (but for the
            // opening of the reasoning block, which the history renders differently) stays cached.
            int newPart = t2.promptTokens() - t1.promptTokens();
            assertTrue(t2.prefilledTokens() > 0 && t2.prefilledTokens() <= newPart + 4,
                    backend + ": turn 2 fed " + t2.prefilledTokens() + " of " + t2.promptTokens() + " tokens (new part " + newPart + ")");
            assertEquals(chat.tokensInContext(), session.position());
        }
    }
}

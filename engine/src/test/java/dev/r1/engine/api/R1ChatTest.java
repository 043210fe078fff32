package dev.r1.engine.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.template.ChatMessage;
import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tokenizer.Vocabulary;
import dev.r1.quantize.synth.SyntheticModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The public Java API on a tiny synthesized model: streaming apart, history, cached prefix, limits. */
class R1ChatTest {
    @TempDir static Path dir;

    static Path model() {
        ModelConfig cfg = Presets.get("tiny-qwen2");
        Path out = dir.resolve("api.gguf");
        SyntheticModel.write(out, true, cfg, "api", 5, s -> s.isVector() ? GgmlType.F32 : GgmlType.Q8_0,
                Vocabulary.tinyByteLevel(cfg.vocab()).toGgufMetadata(cfg.vocab()), 7, b -> {});
        return out;
    }

    @Test
    void streamsReasoningAndAnswerApartAndReusesTheConversation() {
        try (R1Model m = R1Model.load(model(), "java", 2, 512); R1Chat chat = m.newChat()) {
            m.warmUp(); // as a server does first (a tiny model skips it; CpuWarmUpTest runs it for real)
            chat.options(ChatOptions.defaults().withMaxTokens(16).withSeed(3L));
            StringBuilder reasoning = new StringBuilder(), answer = new StringBuilder();
            ChatReply r = chat.send("What is 2+2?", new ChatListener() {
                @Override public void onReasoning(String t) { reasoning.append(t); }
                @Override public void onAnswer(String t) { answer.append(t); }
            });
            assertEquals(r.reasoning(), reasoning.toString());
            assertEquals(r.answer(), answer.toString());
            assertTrue(r.completionTokens() >= 1 && r.completionTokens() <= 16);
            assertEquals(0, r.cachedTokens());
            ChatReply second = chat.send("And 3+3?", ChatListener.NONE);
            assertTrue(second.cachedTokens() > 5, "the first turn's prompt stays cached: " + second.cachedTokens());
            assertEquals(4, chat.history().size());

            // complete() with the same messages and seed gives the same reply, whatever the cache held.
            List<ChatMessage> msgs = List.of(ChatMessage.user("Hello"));
            ChatOptions greedy = ChatOptions.defaults().withTemperature(0).withMaxTokens(12);
            ChatReply a = chat.complete(msgs, greedy, ChatListener.NONE, () -> false);
            ChatReply b = chat.complete(msgs, greedy, ChatListener.NONE, () -> false);
            assertEquals(a.reasoning() + "|" + a.answer(), b.reasoning() + "|" + b.answer());
            assertEquals(a.promptTokens() - 1, b.cachedTokens());

            assertThrows(IllegalArgumentException.class,
                    () -> chat.complete(List.of(ChatMessage.user("word ".repeat(2000))), greedy, ChatListener.NONE, () -> false));
            assertThrows(IllegalArgumentException.class, () -> ChatOptions.defaults().withTopP(2f));
            ChatReply c = chat.complete(msgs, greedy, ChatListener.NONE, () -> true);
            assertEquals(ChatReply.Finish.CANCELLED, c.finish());
        }
    }
}

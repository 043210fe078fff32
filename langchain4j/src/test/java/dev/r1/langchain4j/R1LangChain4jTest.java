package dev.r1.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.r1.engine.api.ChatOptions;
import dev.r1.engine.api.R1Model;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tokenizer.Vocabulary;
import dev.r1.quantize.synth.SyntheticModel;
import dev.r1.server.OpenAiServer;
import dev.r1.server.ServerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The in-process adapter (blocking, streaming, AiServices) and LangChain4j's own OpenAI client against
 * {@code r1 serve}'s server: greedy decoding makes all of them produce the same reasoning and answer.
 */
class R1LangChain4jTest {
    @TempDir static Path dir;
    static R1Model model;
    static final ChatOptions GREEDY = ChatOptions.defaults().withTemperature(0).withMaxTokens(24);
    static final String QUESTION = "What is the sum of the first ten numbers?";

    @BeforeAll
    static void load() {
        ModelConfig cfg = Presets.get("tiny-qwen2");
        Path out = dir.resolve("lc4j.gguf");
        SyntheticModel.write(out, true, cfg, "lc4j", 5, s -> s.isVector() ? GgmlType.F32 : GgmlType.Q8_0,
                Vocabulary.tinyByteLevel(cfg.vocab()).toGgufMetadata(cfg.vocab()), 7, b -> {});
        model = R1Model.load(out, "java", 2, 512);
    }

    @AfterAll
    static void close() { model.close(); }

    record Streamed(String thinking, String text, ChatResponse response) {}

    static Streamed stream(StreamingChatModel m, ChatRequest req) throws Exception {
        StringBuffer thinking = new StringBuffer(), text = new StringBuffer();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        m.chat(req, new StreamingChatResponseHandler() {
            @Override public void onPartialResponse(String t) { text.append(t); }
            @Override public void onPartialThinking(PartialThinking t) { thinking.append(t.text()); }
            @Override public void onCompleteResponse(ChatResponse r) { done.complete(r); }
            @Override public void onError(Throwable e) { done.completeExceptionally(e); }
        });
        ChatResponse r = done.get(120, TimeUnit.SECONDS); // before reading the buffers: the partials come first
        return new Streamed(thinking.toString(), text.toString(), r);
    }

    interface Assistant { String chat(String message); }

    @Test
    void inProcessAndOverHttpGiveTheSameGreedyReply() throws Exception {
        ChatRequest req = ChatRequest.builder().messages(UserMessage.from(QUESTION)).build();
        ChatResponse blocking;
        try (R1ChatModel chat = new R1ChatModel(model, 1, GREEDY)) {
            blocking = chat.chat(req);
            assertEquals(FinishReason.LENGTH, blocking.finishReason());
            assertEquals(24, blocking.tokenUsage().outputTokenCount());
            String thinking = blocking.aiMessage().thinking(), text = blocking.aiMessage().text();
            assertFalse((thinking == null ? "" : thinking).isEmpty() && text.isEmpty());
            // AiServices on the in-process model: the answer without the reasoning.
            Assistant a = AiServices.builder(Assistant.class).chatModel(chat).build();
            assertEquals(text, a.chat(QUESTION));
        }
        String thinking = blocking.aiMessage().thinking() == null ? "" : blocking.aiMessage().thinking();

        try (R1StreamingChatModel streaming = new R1StreamingChatModel(model, 1, GREEDY)) {
            Streamed s = stream(streaming, req);
            assertEquals(thinking, s.thinking());
            assertEquals(blocking.aiMessage().text(), s.text());
            assertEquals(s.text(), s.response().aiMessage().text());
        }

        ServerOptions o = ServerOptions.defaults().withPort(0).withModelId("tiny").withSlots(1).withCtx(512);
        try (OpenAiServer server = OpenAiServer.start(o, model.model())) {
            OpenAiStreamingChatModel http = OpenAiStreamingChatModel.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1")
                    .apiKey("unused").modelName("tiny").temperature(0.0).maxTokens(24).returnThinking(true)
                    .timeout(Duration.ofSeconds(60)).build();
            Streamed s = stream(http, req);
            assertEquals(thinking, s.thinking(), "reasoning_content deltas reach onPartialThinking");
            assertEquals(blocking.aiMessage().text(), s.text());
            assertEquals(FinishReason.LENGTH, s.response().finishReason());
            assertEquals(24, s.response().tokenUsage().outputTokenCount(), "usage from the include_usage chunk");
            assertTrue(s.response().tokenUsage().inputTokenCount() > 5);
        }
    }
}

package dev.r1.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.r1.engine.api.ChatListener;
import dev.r1.engine.api.ChatOptions;
import dev.r1.engine.api.ChatReply;
import dev.r1.engine.api.R1Chat;
import dev.r1.engine.api.R1Model;
import dev.r1.models.template.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * What the blocking and streaming LangChain4j models share: a small pool of {@link R1Chat}s (each its own KV
 * cache, so a conversation's follow-up reuses its cached prefix when it lands on the same chat), the message
 * and option mapping, and the response.
 */
final class R1ChatModels {
    private R1ChatModels() {}

    /** Chats of one model, borrowed one per request: concurrent requests run side by side up to the pool size. */
    static final class Pool implements AutoCloseable {
        private final BlockingQueue<R1Chat> free;
        private final List<R1Chat> all = new ArrayList<>();

        Pool(R1Model model, int size) {
            if (size < 1) throw new IllegalArgumentException("pool size must be >= 1, got " + size);
            free = new ArrayBlockingQueue<>(size);
            for (int i = 0; i < size; i++) {
                R1Chat c = model.newChat();
                all.add(c);
                free.add(c);
            }
        }

        R1Chat take() {
            try {
                return free.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a free chat", e);
            }
        }

        void give(R1Chat c) { free.add(c); }

        @Override
        public void close() { all.forEach(R1Chat::close); }
    }

    static List<ChatMessage> messages(ChatRequest r) {
        List<ChatMessage> out = new ArrayList<>();
        for (dev.langchain4j.data.message.ChatMessage m : r.messages()) {
            switch (m) {
                case SystemMessage s -> out.add(ChatMessage.system(s.text()));
                case UserMessage u -> {
                    if (!u.hasSingleText()) throw new IllegalArgumentException("r1 reads text only; this user message has other content");
                    out.add(ChatMessage.user(u.singleText()));
                }
                case AiMessage a -> out.add(ChatMessage.assistant(a.text() == null ? "" : a.text())); // reasoning is never sent back
                case ToolExecutionResultMessage t -> out.add(new ChatMessage("tool", t.text()));
                default -> throw new IllegalArgumentException("unsupported message type " + m.type());
            }
        }
        return out;
    }

    static ChatOptions options(ChatRequest r, ChatOptions base) {
        ChatRequestParameters p = r.parameters();
        ChatOptions o = base;
        if (p == null) return o;
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty())
            throw new IllegalArgumentException("r1's in-process models do not call tools");
        if (p.temperature() != null) o = o.withTemperature(p.temperature().floatValue());
        if (p.topP() != null) o = o.withTopP(p.topP().floatValue());
        if (p.topK() != null) o = o.withTopK(p.topK());
        if (p.maxOutputTokens() != null) o = o.withMaxTokens(p.maxOutputTokens());
        if (p.stopSequences() != null && !p.stopSequences().isEmpty()) o = o.withStop(p.stopSequences());
        return o;
    }

    static ChatResponse response(ChatReply r, String modelName) {
        AiMessage.Builder m = AiMessage.builder().text(r.answer());
        if (!r.reasoning().isEmpty()) m.thinking(r.reasoning());
        return ChatResponse.builder().aiMessage(m.build()).modelName(modelName)
                .finishReason(r.finish() == ChatReply.Finish.LENGTH ? FinishReason.LENGTH : FinishReason.STOP)
                .tokenUsage(new TokenUsage(r.promptTokens(), r.completionTokens())).build();
    }

    static ChatReply run(Pool pool, ChatRequest request, ChatOptions defaults, ChatListener listener) {
        List<ChatMessage> msgs = messages(request);
        ChatOptions o = options(request, defaults);
        R1Chat chat = pool.take();
        try {
            return chat.complete(msgs, o, listener, () -> Thread.currentThread().isInterrupted());
        } finally {
            pool.give(chat);
        }
    }
}

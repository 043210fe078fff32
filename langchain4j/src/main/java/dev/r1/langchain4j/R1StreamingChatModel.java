package dev.r1.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.r1.engine.api.ChatListener;
import dev.r1.engine.api.ChatOptions;
import dev.r1.engine.api.ChatReply;
import dev.r1.engine.api.R1Model;

/**
 * A LangChain4j {@link StreamingChatModel} over an in-process R1 distill: the reasoning streams to
 * {@code onPartialThinking}, the answer to {@code onPartialResponse}. Each request runs on a virtual thread;
 * the handler is called from it, in order.
 */
public final class R1StreamingChatModel implements StreamingChatModel, AutoCloseable {
    private final R1ChatModels.Pool pool;
    private final ChatOptions defaults;
    private final String name;

    public R1StreamingChatModel(R1Model model, int chats, ChatOptions defaults) {
        this.pool = new R1ChatModels.Pool(model, chats);
        this.defaults = defaults;
        this.name = model.model().path().getFileName().toString();
    }

    public R1StreamingChatModel(R1Model model) { this(model, 1, ChatOptions.defaults()); }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Thread.ofVirtual().name("r1-langchain4j").start(() -> {
            ChatReply r;
            try {
                r = R1ChatModels.run(pool, request, defaults, new ChatListener() {
                    @Override public void onReasoning(String t) { handler.onPartialThinking(new PartialThinking(t)); }
                    @Override public void onAnswer(String t) { handler.onPartialResponse(t); }
                });
            } catch (RuntimeException e) {
                handler.onError(e);
                return;
            }
            handler.onCompleteResponse(R1ChatModels.response(r, name));
        });
    }

    @Override
    public void close() { pool.close(); }
}

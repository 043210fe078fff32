package dev.r1.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.r1.engine.api.ChatListener;
import dev.r1.engine.api.ChatOptions;
import dev.r1.engine.api.R1Model;

/**
 * A LangChain4j {@link ChatModel} over an in-process R1 distill: {@code AiServices} and chains run on r1
 * without a server. The reply's reasoning is the {@code AiMessage}'s thinking; its text is the answer.
 * Closing it frees its chats' caches (the model stays open).
 */
public final class R1ChatModel implements ChatModel, AutoCloseable {
    private final R1ChatModels.Pool pool;
    private final ChatOptions defaults;
    private final String name;

    /**
     * @param chats    requests served at once (each chat holds its own KV cache)
     * @param defaults sampling when a request does not say (e.g. {@link ChatOptions#defaults()})
     */
    public R1ChatModel(R1Model model, int chats, ChatOptions defaults) {
        this.pool = new R1ChatModels.Pool(model, chats);
        this.defaults = defaults;
        this.name = model.model().path().getFileName().toString();
    }

    public R1ChatModel(R1Model model) { this(model, 1, ChatOptions.defaults()); }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return R1ChatModels.response(R1ChatModels.run(pool, request, defaults, ChatListener.NONE), name);
    }

    @Override
    public void close() { pool.close(); }
}

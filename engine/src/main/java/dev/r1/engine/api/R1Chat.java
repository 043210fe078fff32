package dev.r1.engine.api;

import dev.r1.engine.Session;
import dev.r1.engine.generate.GenerateOptions;
import dev.r1.engine.generate.GenerationResult;
import dev.r1.engine.generate.Generator;
import dev.r1.engine.generate.SessionAdapters;
import dev.r1.engine.generate.TokenModel;
import dev.r1.engine.sampling.Sampler;
import dev.r1.models.template.ChatMessage;
import dev.r1.models.template.R1ChatTemplate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * One conversation: the R1 chat template, the reasoning and the answer streamed apart, earlier reasoning
 * left out of the prompt (as the template does), and only what the session does not already hold fed
 * forward. Use {@link #send} for a conversation kept here, or {@link #complete} with a whole message list
 * (what frameworks pass each turn); both reuse the cached prefix. One caller at a time.
 */
public final class R1Chat implements AutoCloseable {
    private final Session session;
    private final List<ChatMessage> history = new ArrayList<>();
    private final List<Integer> inCache = new ArrayList<>();
    private ChatOptions options = ChatOptions.defaults();

    R1Chat(Session session) { this.session = session; }

    /** Options for the following replies. */
    public synchronized R1Chat options(ChatOptions o) {
        this.options = o;
        return this;
    }

    synchronized void system(String text) {
        history.removeIf(m -> m.role().equals("system"));
        if (text != null && !text.isBlank()) history.addFirst(ChatMessage.system(text));
    }

    /** The messages so far (answers without their reasoning). */
    public synchronized List<ChatMessage> history() { return List.copyOf(history); }

    /** Forgets the conversation (the system prompt stays). */
    public synchronized void reset() {
        history.removeIf(m -> !m.role().equals("system"));
    }

    /** Sends a user message and generates the reply, which joins the history. */
    public synchronized ChatReply send(String user, ChatListener listener) {
        List<ChatMessage> next = new ArrayList<>(history);
        next.add(ChatMessage.user(user));
        ChatReply r = complete(next, options, listener, () -> false);
        history.add(ChatMessage.user(user));
        history.add(ChatMessage.assistant(r.answer()));
        return r;
    }

    /**
     * Generates the assistant's reply to {@code messages} (roles system, user, assistant, tool) without
     * touching this chat's history; {@code cancelled} is polled once per token.
     *
     * @throws IllegalArgumentException when the conversation does not fit the context
     */
    public synchronized ChatReply complete(List<ChatMessage> messages, ChatOptions o, ChatListener listener,
                                           BooleanSupplier cancelled) {
        int bos = session.bos();
        String rendered = R1ChatTemplate.render(messages, true, bos >= 0 ? session.piece(bos) : "");
        int[] ids = session.tokenize(rendered, false, true);
        if (ids.length + 1 > session.contextSize())
            throw new IllegalArgumentException("the conversation is " + ids.length + " tokens and the context holds "
                    + session.contextSize() + "; shorten it or load the model with a larger ctx");
        int common = 0;
        while (common < inCache.size() && common < ids.length && inCache.get(common) == ids[common]) common++;
        if (common == ids.length) common--; // the last prompt token is fed again: generation needs its logits
        if (common < inCache.size()) {
            session.truncate(common);
            inCache.subList(common, inCache.size()).clear();
        }
        int[] fresh = Arrays.copyOfRange(ids, common, ids.length);
        try {
            session.prefill(fresh);
        } catch (RuntimeException e) {
            session.reset();
            inCache.clear();
            throw e;
        }
        for (int id : fresh) inCache.add(id);
        Sampler sampler = new Sampler(o.sampler());
        sampler.accept(ids);
        TokenModel base = SessionAdapters.tokenModel(session);
        Generator g = new Generator(new TokenModel() { // records what enters the cache
            @Override public float[] decode(int token) { inCache.add(token); return base.decode(token); }
            @Override public boolean isEog(int token) { return base.isEog(token); }
            @Override public int position() { return base.position(); }
            @Override public int contextSize() { return base.contextSize(); }
        }, sampler, session.textDecoder());
        GenerationResult r = g.generate(session.lastLogits(), new GenerateOptions(o.maxTokens(), o.stop(), true),
                (text, thinking) -> { if (thinking) listener.onReasoning(text); else listener.onAnswer(text); }, cancelled);
        ChatReply.Finish f = switch (r.reason()) {
            case EOG, STOP_STRING -> ChatReply.Finish.STOP;
            case MAX_TOKENS, CONTEXT_FULL -> ChatReply.Finish.LENGTH;
            case CANCELLED -> ChatReply.Finish.CANCELLED;
        };
        return new ChatReply(r.reasoning(), r.answer(), f, ids.length, common, r.tokens().length);
    }

    @Override
    public synchronized void close() { session.close(); }
}

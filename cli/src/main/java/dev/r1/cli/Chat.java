package dev.r1.cli;

import dev.r1.engine.Session;
import dev.r1.engine.generate.GenerateOptions;
import dev.r1.engine.generate.GenerationResult;
import dev.r1.engine.generate.Generator;
import dev.r1.engine.generate.SessionAdapters;
import dev.r1.engine.generate.TokenModel;
import dev.r1.engine.sampling.Sampler;
import dev.r1.engine.sampling.SamplerOptions;
import dev.r1.models.template.ChatMessage;
import dev.r1.models.template.ChatPrompt;
import dev.r1.models.template.R1ChatTemplate;
import dev.r1.models.tokenizer.BpeTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A conversation over a session: renders the R1 template, feeds only what the context doesn't already
 * hold, generates, and keeps the answer (the template drops earlier reasoning). Terminal-free, so the
 * REPL and one-shot mode share it and tests drive it directly.
 */
final class Chat {

    /** The conversation no longer fits the context: the user must /reset (or restart with a larger --ctx). */
    static final class ContextFullException extends RuntimeException {
        ContextFullException(String msg) { super(msg); }
    }

    record Turn(GenerationResult result, int promptTokens, int prefilledTokens, double prefillSeconds) {}

    private final Session session;

    /** The session this chat runs in. */
    Session session() { return session; }
    private final BpeTokenizer tokenizer;
    private SamplerOptions samplerOptions; // changed by /set
    private String system;                 // changed by /set system
    private final List<ChatMessage> messages = new ArrayList<>();
    private final List<Integer> inContext = new ArrayList<>(); // tokens the session's KV cache holds, in order

    Chat(Session session, BpeTokenizer tokenizer, SamplerOptions samplerOptions, String system) {
        this.session = session;
        this.tokenizer = tokenizer;
        this.samplerOptions = samplerOptions;
        this.system = system;
        reset();
    }

    void reset() {
        messages.clear();
        if (system != null && !system.isBlank()) messages.add(ChatMessage.system(system));
        session.reset();
        inContext.clear();
    }

    int contextSize() { return session.contextSize(); }

    int tokensInContext() { return inContext.size(); }

    /** One user turn: the reply streams into {@code sink}; the answer joins the history. */
    Turn respond(String user, int maxTokens, List<String> stop, Generator.TextSink sink, BooleanSupplier cancelled) {
        List<ChatMessage> next = new ArrayList<>(messages);
        next.add(ChatMessage.user(user));
        String rendered = R1ChatTemplate.render(next, true);
        int[] ids = ChatPrompt.encode(tokenizer, rendered);
        Turn t = run(ids, maxTokens, stop, true, sink, cancelled);
        messages.add(ChatMessage.user(user));
        // The template keeps only the text after </think> of earlier turns; store what was produced.
        String said = t.result().reasoning().isEmpty() && !t.result().endedInThink() ? t.result().answer()
                : "<think>\n" + t.result().reasoning() + "</think>" + t.result().answer();
        messages.add(ChatMessage.assistant(said));
        return t;
    }

    /** Continues {@code text} as given: BOS per the tokenizer, no template, no special tokens parsed. */
    Turn continueRaw(String text, int maxTokens, List<String> stop, Generator.TextSink sink, BooleanSupplier cancelled) {
        reset();
        int[] ids = tokenizer.encode(text, tokenizer.vocabulary().addBos(), false);
        return run(ids, maxTokens, stop, false, sink, cancelled);
    }

    private Turn run(int[] ids, int maxTokens, List<String> stop, boolean startInThink, Generator.TextSink sink,
                     BooleanSupplier cancelled) {
        if (ids.length + 1 > session.contextSize())
            throw new ContextFullException("the conversation is " + ids.length + " tokens and the context holds "
                    + session.contextSize() + "; /reset to start over, or run with a larger --ctx");
        // Reuse the cached prefix; anything after the first difference is dropped and recomputed (after a
        // turn with reasoning, which the template leaves out of the history, that is the last answer only).
        int common = 0;
        while (common < inContext.size() && common < ids.length && inContext.get(common) == ids[common]) common++;
        if (common == ids.length) common--; // the last prompt token is fed again: generation needs its logits
        if (common < inContext.size()) {
            session.truncate(common);
            inContext.subList(common, inContext.size()).clear();
        }
        int[] fresh = java.util.Arrays.copyOfRange(ids, common, ids.length);
        long t0 = System.nanoTime();
        session.prefill(fresh);
        double prefillSeconds = (System.nanoTime() - t0) / 1e9;
        for (int id : fresh) inContext.add(id);

        Sampler sampler = new Sampler(samplerOptions);
        sampler.accept(ids);
        TokenModel base = SessionAdapters.tokenModel(session);
        Generator g = new Generator(new TokenModel() { // the session's view, also recording what enters the cache
            @Override public float[] decode(int token) { inContext.add(token); return base.decode(token); }
            @Override public boolean isEog(int token) { return base.isEog(token); }
            @Override public int position() { return base.position(); }
            @Override public int contextSize() { return base.contextSize(); }
        }, sampler, session.textDecoder());
        GenerationResult r = g.generate(session.lastLogits(), new GenerateOptions(maxTokens, stop, startInThink), sink, cancelled);
        return new Turn(r, ids.length, fresh.length, prefillSeconds);
    }

    // ---- for the chat commands (/set, /show, /save, /load); the next turn picks the changes up ----

    SamplerOptions samplerOptions() { return samplerOptions; }

    void setSamplerOptions(SamplerOptions o) { samplerOptions = o; }

    String system() { return system; }

    /** A new system prompt (null or blank: none) for the rest of the conversation. */
    void setSystem(String s) {
        system = s;
        if (!messages.isEmpty() && messages.getFirst().role().equals("system")) messages.removeFirst();
        if (s != null && !s.isBlank()) messages.addFirst(ChatMessage.system(s));
    }

    /** The conversation so far (system prompt first when there is one). */
    List<ChatMessage> messages() { return List.copyOf(messages); }

    /** Replaces the conversation with {@code ms} (a saved one); a system message in it becomes the system prompt. */
    void load(List<ChatMessage> ms) {
        reset();
        messages.clear();
        system = null;
        for (ChatMessage m : ms) {
            if (m.role().equals("system")) system = m.content();
            messages.add(m);
        }
    }
}

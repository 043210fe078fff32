package dev.r1.engine.generate;

import dev.r1.engine.sampling.Sampler;

import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * The decode loop: sample a token, stream its text, feed it back, until an end-of-generation token,
 * the token limit, a stop string, cancellation, or a full context. Text reaches the sink in order,
 * whole UTF-8 characters only, tagged as reasoning or answer.
 */
public final class Generator {

    /** Receives text as it is produced; {@code thinking} tells reasoning from answer. */
    @FunctionalInterface
    public interface TextSink {
        void text(String text, boolean thinking);
    }

    private final TokenModel model;
    private final Sampler sampler;
    private final TextDecoder decoder;

    public Generator(TokenModel model, Sampler sampler, TextDecoder decoder) {
        this.model = model;
        this.sampler = sampler;
        this.decoder = decoder;
    }

    /**
     * Generates from {@code logits}, the model's output after the prompt (whose tokens should already have
     * been given to {@link Sampler#accept(int[])} for the repetition penalty).
     */
    public GenerationResult generate(float[] logits, GenerateOptions o, TextSink sink, BooleanSupplier cancelled) {
        TextRouter router = new TextRouter(o.stop(), o.startInThink(), sink::text);
        int[] out = new int[Math.min(o.maxTokens(), 1024)];
        int n = 0;
        StopReason reason = StopReason.MAX_TOKENS;
        long t0 = System.nanoTime();
        while (true) {
            if (cancelled.getAsBoolean()) {
                reason = StopReason.CANCELLED;
                break;
            }
            int tok = sampler.sample(logits);
            sampler.accept(tok);
            if (n == out.length) out = Arrays.copyOf(out, Math.min(o.maxTokens(), 2 * n));
            out[n++] = tok;
            if (model.isEog(tok)) {
                reason = StopReason.EOG;
                break;
            }
            if (router.add(decoder.feed(tok))) {
                reason = StopReason.STOP_STRING;
                break;
            }
            if (n >= o.maxTokens()) {
                reason = StopReason.MAX_TOKENS;
                break;
            }
            if (model.position() >= model.contextSize()) {
                reason = StopReason.CONTEXT_FULL;
                break;
            }
            logits = model.decode(tok);
        }
        long nanos = System.nanoTime() - t0;
        if (reason != StopReason.STOP_STRING) router.add(decoder.flush());
        else decoder.flush();
        router.finish();
        return new GenerationResult(reason, Arrays.copyOf(out, n), router.reasoning(), router.answer(), nanos,
                router.thinking());
    }
}

package dev.r1.server;

import dev.r1.engine.generate.TextDecoder;
import dev.r1.engine.sampling.Sampler;
import dev.r1.engine.sampling.SamplerOptions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One choice to generate: its prompt, sampling and limits, and where its output goes. The scheduler
 * thread owns the mutable generation state; other threads only {@link #cancel} it.
 */
final class Job {

    /** What a job reports, in order, from the scheduler thread. */
    sealed interface Event permits Text, Done, Failed {}

    /** Text produced by one token (either part may be empty) and, when asked, that token's log-probabilities. */
    record Text(int index, String reasoning, String content, List<Logprobs.Entry> logprobs) implements Event {}

    /** The choice ended: {@code finish} is "stop", "length" or "cancelled". */
    record Done(int index, String finish, int promptTokens, int completionTokens, int cachedTokens) implements Event {}

    record Failed(int index, ApiException error) implements Event {}

    /**
     * @param topLogprobs -1: no logprobs; 0..: the sampled token's and this many alternatives
     * @param presence    OpenAI presence penalty (subtracted once from every generated token's logit)
     * @param frequency   OpenAI frequency penalty (subtracted per occurrence)
     */
    record Spec(SamplerOptions sampling, int maxTokens, List<String> stop, boolean split, boolean startInThink,
                int topLogprobs, float presence, float frequency) {}

    final int index;
    final int[] prompt;
    final Spec spec;
    final Consumer<Event> sink;
    final long submittedNanos = System.nanoTime();
    final long deadlineNanos;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private volatile boolean finished;

    // Scheduler-thread state.
    Sampler sampler;
    TextDecoder decoder;
    StreamSplitter splitter;
    int generated, cachedTokens;
    long lastTokenNanos;
    final Map<Integer, Integer> counts = new HashMap<>(); // generated token -> occurrences, for the penalties

    Job(int index, int[] prompt, Spec spec, long timeoutNanos, Consumer<Event> sink) {
        this.index = index;
        this.prompt = prompt;
        this.spec = spec;
        this.sink = sink;
        this.deadlineNanos = submittedNanos + timeoutNanos;
    }

    /** Stops the job at its next token (or drops it from the queue); safe from any thread. */
    void cancel() { cancelled.set(true); }

    boolean cancelled() { return cancelled.get(); }

    /** Set by the scheduler before it reports the job's end (Done or Failed). */
    void markFinished() { finished = true; }

    boolean finished() { return finished; }
}

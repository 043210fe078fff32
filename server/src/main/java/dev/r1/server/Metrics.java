package dev.r1.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/** Counters for {@code GET /metrics} in Prometheus' text format. */
final class Metrics {
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>(); // "endpoint status"
    final LongAdder promptTokens = new LongAdder(), generatedTokens = new LongAdder(), cachedPromptTokens = new LongAdder();
    final LongAdder copiedPromptTokens = new LongAdder(), prefillTokens = new LongAdder(), prefills = new LongAdder();
    /** Requests whose client left before the answer was complete. */
    final LongAdder disconnects = new LongAdder();
    private final LongAdder ttftCount = new LongAdder(), tokenCount = new LongAdder();
    private final AtomicLong ttftNanos = new AtomicLong(), tokenNanos = new AtomicLong();
    private final AtomicLong batchSteps = new AtomicLong(), batchRows = new AtomicLong();
    volatile IntSupplier queueLength = () -> 0, busySlots = () -> 0;
    volatile int slots;

    void request(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + " " + status, k -> new LongAdder()).increment();
    }

    /** Requests whose handler began, and those it finished (every endpoint and status): tests wait on them. */
    final LongAdder started = new LongAdder();

    long requestCount() { return requests.values().stream().mapToLong(LongAdder::sum).sum(); }

    void ttft(long nanos) { ttftCount.increment(); ttftNanos.addAndGet(nanos); }

    void tokenLatency(long nanos) { tokenCount.increment(); tokenNanos.addAndGet(nanos); }

    void batch(int rows) { batchSteps.incrementAndGet(); batchRows.addAndGet(rows); }

    String render() {
        StringBuilder b = new StringBuilder();
        b.append("# HELP r1_requests_total HTTP requests by endpoint and status.\n# TYPE r1_requests_total counter\n");
        for (var e : new TreeMap<>(requests).entrySet()) {
            String[] k = e.getKey().split(" ");
            b.append("r1_requests_total{endpoint=\"").append(k[0]).append("\",status=\"").append(k[1]).append("\"} ")
                    .append(e.getValue().sum()).append('\n');
        }
        counter(b, "r1_prompt_tokens_total", "Prompt tokens of admitted requests.", promptTokens.sum());
        counter(b, "r1_prompt_tokens_cached_total", "Prompt tokens reused from a slot's cache (not recomputed).", cachedPromptTokens.sum());
        counter(b, "r1_prompt_tokens_copied_total", "Of those, copied from another slot's cache (a shared prefix, the other choices of n).", copiedPromptTokens.sum());
        counter(b, "r1_prefills_total", "Prompts that needed a prefill (some tokens not cached).", prefills.sum());
        counter(b, "r1_prefill_tokens_total", "Prompt tokens computed by prefills.", prefillTokens.sum());
        counter(b, "r1_client_disconnects_total", "Requests whose client left before the answer was complete.", disconnects.sum());
        counter(b, "r1_generated_tokens_total", "Tokens generated.", generatedTokens.sum());
        gauge(b, "r1_queue_length", "Choices waiting for a slot.", queueLength.getAsInt());
        gauge(b, "r1_slots_busy", "Slots generating or prefilling.", busySlots.getAsInt());
        gauge(b, "r1_slots", "Slots configured.", slots);
        summary(b, "r1_time_to_first_token_seconds", "From submission to the first generated token.", ttftNanos.get(), ttftCount.sum());
        summary(b, "r1_token_latency_seconds", "Between two generated tokens of one stream.", tokenNanos.get(), tokenCount.sum());
        counter(b, "r1_decode_steps_total", "Batched decoding steps through the weights.", batchSteps.get());
        counter(b, "r1_decode_rows_total", "Sequences decoded in those steps (rows / steps = mean batch).", batchRows.get());
        return b.toString();
    }

    private static void counter(StringBuilder b, String name, String help, long v) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n")
                .append(name).append(' ').append(v).append('\n');
    }

    private static void gauge(StringBuilder b, String name, String help, long v) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n")
                .append(name).append(' ').append(v).append('\n');
    }

    private static void summary(StringBuilder b, String name, String help, long nanos, long count) {
        b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" summary\n")
                .append(name).append("_sum ").append(nanos / 1e9).append('\n')
                .append(name).append("_count ").append(count).append('\n');
    }
}

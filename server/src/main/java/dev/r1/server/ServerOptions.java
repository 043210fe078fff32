package dev.r1.server;

import java.time.Duration;
import java.util.List;

/**
 * How the server listens and what it lets a request ask for. Every cap exists so that one client cannot
 * take the machine: body size, tokens, choices, connections and time are all bounded.
 *
 * @param host            address to bind (loopback by default; anything else needs {@code apiKey})
 * @param port            0 picks a free port
 * @param modelId         the name /v1/models reports (requests may name any model: there is only this one)
 * @param slots           sessions generating at once (each its own KV cache, one copy of the weights)
 * @param ctx             context per slot in tokens (0: the model's, capped at 4096)
 * @param queue           requests (choices) that may wait for a slot; more get 503
 * @param apiKey          required bearer key, or null for none (loopback only)
 * @param corsOrigins     origins allowed to call from a browser (exact match); empty: no CORS headers
 * @param maxBodyBytes    largest request body (413 beyond)
 * @param maxTokens       most tokens one choice may generate (also the default when the request names none)
 * @param maxTopLogprobs  largest {@code top_logprobs}
 * @param maxConnections  open connections; more are closed on accept
 * @param readTimeout     time for a client to send its whole request (slow-loris)
 * @param idleTimeout     keep-alive connections idle longer are closed
 * @param requestTimeout  longest a request may run, queue wait included
 * @param pingInterval    SSE comment pings while a stream waits (queue, long prefill)
 * @param prefillChunk    prompt tokens fed between two decoding steps of the other slots
 * @param threads         CPU threads per session on backends that take them per session (llama.cpp); 0: all cores
 */
public record ServerOptions(String host, int port, String modelId, int slots, int ctx, int queue, String apiKey,
                            List<String> corsOrigins, int maxBodyBytes, int maxTokens, int maxTopLogprobs,
                            int maxConnections, Duration readTimeout, Duration idleTimeout, Duration requestTimeout,
                            Duration pingInterval, int prefillChunk, int threads) {

    public ServerOptions {
        corsOrigins = List.copyOf(corsOrigins);
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port " + port + " is out of range: 0-65535");
        if (slots < 1 || slots > 256) throw new IllegalArgumentException("--slots " + slots + " is out of range: 1-256");
        if (queue < 0) throw new IllegalArgumentException("--queue must be >= 0, got " + queue);
        if (threads < 0) throw new IllegalArgumentException("--threads must be >= 1 (0 = all cores), got " + threads);
        if (ctx < 0) throw new IllegalArgumentException("--ctx must be >= 0 (0 = the model's, capped at 4096), got " + ctx);
        for (String o : corsOrigins)
            if (o.equals("*")) throw new IllegalArgumentException("--cors-origin '*' is not allowed: list the origins that may call the server");
    }

    public static ServerOptions defaults() {
        return new ServerOptions("127.0.0.1", 8080, "r1", 1, 0, 16, null, List.of(), 1 << 20, 4096, 20, 256,
                Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(10), Duration.ofSeconds(5), 64, 0);
    }

    public ServerOptions withHost(String h) { return new ServerOptions(h, port, modelId, slots, ctx, queue, apiKey, corsOrigins, maxBodyBytes, maxTokens, maxTopLogprobs, maxConnections, readTimeout, idleTimeout, requestTimeout, pingInterval, prefillChunk, threads); }
    public ServerOptions withPort(int p) { return new ServerOptions(host, p, modelId, slots, ctx, queue, apiKey, corsOrigins, maxBodyBytes, maxTokens, maxTopLogprobs, maxConnections, readTimeout, idleTimeout, requestTimeout, pingInterval, prefillChunk, threads); }
    public ServerOptions withModelId(String m) { return new ServerOptions(host, port, m, slots, ctx, queue, apiKey, corsOrigins, maxBodyBytes, maxTokens, maxTopLogprobs, maxConnections, readTimeout, idleTimeout, requestTimeout, pingInterval, prefillChunk, threads); }
    public ServerOptions withSlots(int s) { return new ServerOptions(host, port, modelId, s, ctx, queue, apiKey, corsOrigins, maxBodyBytes, maxTokens, maxTopLogprobs, maxConnections, readTimeout, idleTimeout, requestTimeout, pingInterval, prefillChunk, threads); }
    public ServerOptions withCtx(int c) { return new ServerOptions(host, port, modelId, slots, c, queue, apiKey, corsOrigins, maxBodyBytes, maxTokens, maxTopLogprobs, maxConnections, readTimeout, idleTimeout, requestTimeout, pingInterval, prefillChunk, threads); }
    public ServerOptions withQueue(int q) { return new ServerOptions(host, port, modelId, slots, ctx, q, apiKey, corsOrigins, maxBodyBytes, maxTokens, maxTopLogprobs, maxConnections, readTimeout, idleTimeout, requestTimeout, pingInterval, prefillChunk, threads); }
    public ServerOptions withApiKey(String k) { return new ServerOptions(host, port, modelId, slots, ctx, queue, k, corsOrigins, maxBodyBytes, maxTokens, maxTopLogprobs, maxConnections, readTimeout, idleTimeout, requestTimeout, pingInterval, prefillChunk, threads); }
    public ServerOptions withCorsOrigins(List<String> o) { return new ServerOptions(host, port, modelId, slots, ctx, queue, apiKey, o, maxBodyBytes, maxTokens, maxTopLogprobs, maxConnections, readTimeout, idleTimeout, requestTimeout, pingInterval, prefillChunk, threads); }
    public ServerOptions withMaxBodyBytes(int b) { return new ServerOptions(host, port, modelId, slots, ctx, queue, apiKey, corsOrigins, b, maxTokens, maxTopLogprobs, maxConnections, readTimeout, idleTimeout, requestTimeout, pingInterval, prefillChunk, threads); }
    public ServerOptions withMaxTokens(int m) { return new ServerOptions(host, port, modelId, slots, ctx, queue, apiKey, corsOrigins, maxBodyBytes, m, maxTopLogprobs, maxConnections, readTimeout, idleTimeout, requestTimeout, pingInterval, prefillChunk, threads); }
    public ServerOptions withMaxConnections(int m) { return new ServerOptions(host, port, modelId, slots, ctx, queue, apiKey, corsOrigins, maxBodyBytes, maxTokens, maxTopLogprobs, m, readTimeout, idleTimeout, requestTimeout, pingInterval, prefillChunk, threads); }
    public ServerOptions withTimeouts(Duration read, Duration idle, Duration request) { return new ServerOptions(host, port, modelId, slots, ctx, queue, apiKey, corsOrigins, maxBodyBytes, maxTokens, maxTopLogprobs, maxConnections, read, idle, request, pingInterval, prefillChunk, threads); }
    public ServerOptions withThreads(int t) { return new ServerOptions(host, port, modelId, slots, ctx, queue, apiKey, corsOrigins, maxBodyBytes, maxTokens, maxTopLogprobs, maxConnections, readTimeout, idleTimeout, requestTimeout, pingInterval, prefillChunk, t); }
    public ServerOptions withPingInterval(Duration p) { return new ServerOptions(host, port, modelId, slots, ctx, queue, apiKey, corsOrigins, maxBodyBytes, maxTokens, maxTopLogprobs, maxConnections, readTimeout, idleTimeout, requestTimeout, p, prefillChunk, threads); }
}

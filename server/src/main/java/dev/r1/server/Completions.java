package dev.r1.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code /v1/chat/completions} and {@code /v1/completions}: a request becomes {@code n} jobs on the
 * scheduler; their events come back through a queue this (virtual) thread drains, as one JSON body or as
 * Server-Sent Events. A client that leaves ({@link ConnectionWatch}, or a failed write) has its jobs cancelled
 * at once, so their slots free up at the next token.
 */
final class Completions {
    private final OpenAiServer server;

    Completions(OpenAiServer server) { this.server = server; }

    /** What one choice produced, for the non-streaming body and the usage figures. */
    private static final class Choice {
        final StringBuilder reasoning = new StringBuilder(), content = new StringBuilder();
        final List<Logprobs.Entry> logprobs = new ArrayList<>();
        String finish;
        int completionTokens, cachedTokens;
    }

    int handle(HttpExchange x, JsonNode body, boolean chat) throws IOException {
        Scheduler sched = server.scheduler();
        ServerOptions o = server.options;
        Requests.Parsed p = chat ? Requests.chat(body, server.model(), o, sched.contextSize(), sched.slotCount())
                : Requests.completion(body, server.model(), o, sched.contextSize(), sched.slotCount());
        LinkedBlockingQueue<Job.Event> events = new LinkedBlockingQueue<>();
        List<Job> jobs = new ArrayList<>();
        long timeout = o.requestTimeout().toNanos();
        for (int i = 0; i < p.n(); i++) {
            Job.Spec spec = p.spec();
            if (i > 0) spec = new Job.Spec(spec.sampling().withSeed(spec.sampling().seed() + i), spec.maxTokens(), spec.stop(),
                    spec.split(), spec.startInThink(), spec.topLogprobs(), spec.presence(), spec.frequency());
            jobs.add(new Job(i, p.prompt(), spec, timeout, events::add));
        }
        sched.submit(jobs); // 503 when the queue is full
        // A client that leaves is noticed at once, not only when a write fails (never, until the end, for a
        // non-streaming answer): its jobs stop at their next token and free their slots.
        ConnectionWatch.watch(x, () -> {
            for (Job j : jobs) if (!j.finished()) { server.metrics.disconnects.increment(); break; }
            for (Job j : jobs) sched.cancel(j);
        });
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        try {
            return p.stream() ? stream(x, p, events, id, created) : whole(x, p, events, id, created);
        } finally {
            for (Job j : jobs) sched.cancel(j); // no-op for finished jobs; frees the slot of any still running
        }
    }

    private Job.Event next(LinkedBlockingQueue<Job.Event> events, long waitNanos) {
        try {
            return events.poll(waitNanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("the server is shutting down");
        }
    }

    private int whole(HttpExchange x, Requests.Parsed p, LinkedBlockingQueue<Job.Event> events, String id, long created)
            throws IOException {
        Choice[] cs = new Choice[p.n()];
        for (int i = 0; i < cs.length; i++) cs[i] = new Choice();
        int open = p.n();
        long limit = System.nanoTime() + server.options.requestTimeout().toNanos() + TimeUnit.SECONDS.toNanos(5);
        while (open > 0) {
            Job.Event e = next(events, Math.max(1, limit - System.nanoTime()));
            if (e == null) throw new ApiException(504, "timeout_error", "the request ran past the server's request timeout");
            switch (e) {
                case Job.Text t -> {
                    cs[t.index()].reasoning.append(t.reasoning());
                    cs[t.index()].content.append(t.content());
                    cs[t.index()].logprobs.addAll(t.logprobs());
                }
                case Job.Done d -> {
                    cs[d.index()].finish = d.finish();
                    cs[d.index()].completionTokens = d.completionTokens();
                    cs[d.index()].cachedTokens = d.cachedTokens();
                    open--;
                }
                case Job.Failed f -> throw f.error();
            }
        }
        ObjectNode o = OpenAiServer.JSON.createObjectNode().put("id", id)
                .put("object", p.chat() ? "chat.completion" : "text_completion").put("created", created)
                .put("model", server.options.modelId());
        ArrayNode choices = o.putArray("choices");
        for (int i = 0; i < cs.length; i++) {
            ObjectNode c = choices.addObject().put("index", i);
            if (p.chat()) {
                ObjectNode m = c.putObject("message").put("role", "assistant").put("content", cs[i].content.toString());
                if (p.spec().split()) m.put("reasoning_content", cs[i].reasoning.toString());
                if (p.logprobs()) c.set("logprobs", chatLogprobs(cs[i].logprobs));
                else c.putNull("logprobs");
            } else {
                c.put("text", cs[i].content.toString());
                if (p.logprobs()) c.set("logprobs", legacyLogprobs(cs[i].logprobs));
                else c.putNull("logprobs");
            }
            c.put("finish_reason", cs[i].finish);
        }
        o.set("usage", usage(p, cs));
        return OpenAiServer.sendJson(x, 200, o);
    }

    private int stream(HttpExchange x, Requests.Parsed p, LinkedBlockingQueue<Job.Event> events, String id, long created)
            throws IOException {
        x.getResponseHeaders().set("Content-Type", "text/event-stream");
        x.getResponseHeaders().set("Cache-Control", "no-cache");
        x.getResponseHeaders().set("X-Accel-Buffering", "no");
        x.sendResponseHeaders(200, 0);
        OutputStream out = x.getResponseBody();
        Choice[] cs = new Choice[p.n()];
        for (int i = 0; i < cs.length; i++) cs[i] = new Choice();
        if (p.chat()) for (int i = 0; i < p.n(); i++) {
            ObjectNode c = chunk(p, id, created, i);
            ((ObjectNode) c.get("choices").get(0)).putObject("delta").put("role", "assistant").put("content", "");
            send(out, c);
        }
        int open = p.n();
        long ping = server.options.pingInterval().toNanos();
        long limit = System.nanoTime() + server.options.requestTimeout().toNanos() + TimeUnit.SECONDS.toNanos(5);
        while (open > 0) {
            Job.Event e = next(events, Math.min(ping, Math.max(1, limit - System.nanoTime())));
            if (e == null) {
                if (System.nanoTime() - limit > 0) {
                    sendError(out, new ApiException(504, "timeout_error", "the request ran past the server's request timeout"));
                    return 504;
                }
                write(out, ": ping\n\n"); // keeps proxies from closing a stream that waits for a slot or a long prefill
                continue;
            }
            switch (e) {
                case Job.Text t -> {
                    ObjectNode c = chunk(p, id, created, t.index());
                    ObjectNode ch = (ObjectNode) c.get("choices").get(0);
                    if (p.chat()) {
                        ObjectNode d = ch.putObject("delta");
                        if (!t.reasoning().isEmpty()) d.put("reasoning_content", t.reasoning());
                        if (!t.content().isEmpty()) d.put("content", t.content());
                        if (p.logprobs()) ch.set("logprobs", chatLogprobs(t.logprobs()));
                        else ch.putNull("logprobs");
                    } else {
                        ch.put("text", t.content());
                        if (p.logprobs()) ch.set("logprobs", legacyLogprobs(t.logprobs()));
                        else ch.putNull("logprobs");
                    }
                    ch.putNull("finish_reason");
                    send(out, c);
                }
                case Job.Done d -> {
                    open--;
                    cs[d.index()].completionTokens = d.completionTokens();
                    cs[d.index()].cachedTokens = d.cachedTokens();
                    ObjectNode c = chunk(p, id, created, d.index());
                    ObjectNode ch = (ObjectNode) c.get("choices").get(0);
                    if (p.chat()) ch.putObject("delta");
                    else ch.put("text", "");
                    ch.putNull("logprobs");
                    ch.put("finish_reason", d.finish());
                    send(out, c);
                }
                case Job.Failed f -> {
                    sendError(out, f.error());
                    return f.error().status;
                }
            }
        }
        if (p.includeUsage()) {
            ObjectNode c = OpenAiServer.JSON.createObjectNode().put("id", id)
                    .put("object", p.chat() ? "chat.completion.chunk" : "text_completion").put("created", created)
                    .put("model", server.options.modelId());
            c.putArray("choices");
            c.set("usage", usage(p, cs));
            send(out, c);
        }
        write(out, "data: [DONE]\n\n");
        return 200;
    }

    private ObjectNode chunk(Requests.Parsed p, String id, long created, int index) {
        ObjectNode c = OpenAiServer.JSON.createObjectNode().put("id", id)
                .put("object", p.chat() ? "chat.completion.chunk" : "text_completion").put("created", created)
                .put("model", server.options.modelId());
        c.putArray("choices").addObject().put("index", index);
        return c;
    }

    private static ObjectNode usage(Requests.Parsed p, Choice[] cs) {
        int completion = 0, cached = Integer.MAX_VALUE;
        for (Choice c : cs) { completion += c.completionTokens; cached = Math.min(cached, c.cachedTokens); }
        ObjectNode u = OpenAiServer.JSON.createObjectNode().put("prompt_tokens", p.prompt().length)
                .put("completion_tokens", completion).put("total_tokens", p.prompt().length + completion);
        u.putObject("prompt_tokens_details").put("cached_tokens", cached);
        return u;
    }

    private static ObjectNode chatLogprobs(List<Logprobs.Entry> es) {
        ObjectNode o = OpenAiServer.JSON.createObjectNode();
        ArrayNode a = o.putArray("content");
        for (Logprobs.Entry e : es) {
            ObjectNode n = a.addObject().put("token", e.token()).put("logprob", e.logprob());
            bytes(n.putArray("bytes"), e.bytes());
            ArrayNode top = n.putArray("top_logprobs");
            for (Logprobs.Alt t : e.top()) bytes(top.addObject().put("token", t.token()).put("logprob", t.logprob()).putArray("bytes"), t.bytes());
        }
        return o;
    }

    private static ObjectNode legacyLogprobs(List<Logprobs.Entry> es) {
        ObjectNode o = OpenAiServer.JSON.createObjectNode();
        ArrayNode toks = o.putArray("tokens"), lps = o.putArray("token_logprobs"), tops = o.putArray("top_logprobs");
        for (Logprobs.Entry e : es) {
            toks.add(e.token());
            lps.add(e.logprob());
            ObjectNode t = tops.addObject();
            for (Logprobs.Alt a : e.top()) t.put(a.token(), a.logprob());
        }
        return o;
    }

    private static void bytes(ArrayNode a, byte[] b) {
        for (byte x : b) a.add(x & 0xff);
    }

    private static void send(OutputStream out, JsonNode n) throws IOException {
        write(out, "data: " + OpenAiServer.JSON.writeValueAsString(n) + "\n\n");
    }

    private static void sendError(OutputStream out, ApiException e) throws IOException {
        send(out, OpenAiServer.errorBody(e));
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}

package dev.r1.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.r1.engine.Engines;
import dev.r1.engine.Logits;
import dev.r1.engine.Model;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.generate.GenerateOptions;
import dev.r1.engine.generate.GenerationResult;
import dev.r1.engine.generate.Generator;
import dev.r1.engine.generate.SessionAdapters;
import dev.r1.engine.sampling.Sampler;
import dev.r1.engine.sampling.SamplerOptions;
import dev.r1.models.template.ChatMessage;
import dev.r1.models.template.R1ChatTemplate;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A bounded load test on loopback: for each concurrency level, a fresh in-process server with that many
 * slots and as many client streams sending streaming chat requests for a fixed time; every request must end
 * in a complete answer ([DONE]) or a clean error. Reports aggregate tokens/s, TTFT p50/p99, and the
 * per-token decode rate of one stream against the engine alone (what {@code r1 run} does) on the same model,
 * in alternated pairs ({@link #overhead}).
 *
 * <pre>java -cp r1.jar dev.r1.server.LoadTest MODEL [--streams 1,4] [--seconds 20] [--max-tokens 64] [--threads N]
 *     [--overhead-pairs 30]</pre>
 */
public final class LoadTest {
    private LoadTest() {}

    record Result(boolean ok, double ttft, int tokens, double decodeTps) {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LoadTest MODEL [--streams 1,4] [--seconds 20] [--max-tokens 64] [--threads N] [--backend java]"
                    + " [--overhead-pairs 30]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        List<Integer> levels = List.of(1, 4);
        int seconds = 20, maxTokens = 64, threads = Runtime.getRuntime().availableProcessors(), pairs = 30;
        String backend = "java";
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--streams" -> levels = java.util.Arrays.stream(args[i + 1].split(",")).map(Integer::parseInt).toList();
                case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
                case "--max-tokens" -> maxTokens = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--backend" -> backend = args[i + 1];
                case "--overhead-pairs" -> pairs = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (seconds < 1 || seconds > 600) throw new IllegalArgumentException("--seconds must be in [1, 600]");
        String question = "Explain step by step why the sky is blue.";
        try (Model m = Engines.load(backend, model, threads)) {
            System.out.printf(Locale.ROOT, "model %s, %s, %d threads, %d s per level, max_tokens %d%n", model.getFileName(),
                    m.description(), threads, seconds, maxTokens);
            // The engine alone first: it also warms the JIT up (which on a tiny model takes longer than a level).
            double direct = direct(m, question, maxTokens, seconds);
            System.out.printf(Locale.ROOT, "engine alone (as r1 run): %.2f tok/s decode%n", direct);
            // The engine's batched step alone (no sampling, no HTTP): what the levels below can reach at most.
            double batchBase = 0;
            for (int c : levels) {
                double tps = batched(m, question, c, Math.max(64, maxTokens));
                if (c == levels.getFirst()) batchBase = tps;
                System.out.printf(Locale.ROOT, "engine batched step, %d sequences: %.2f tok/s aggregate (%.2fx)%n", c, tps, tps / batchBase);
            }
            double base = 0;
            for (int c : levels) {
                ServerOptions o = ServerOptions.defaults().withPort(0).withSlots(c).withQueue(c).withCtx(1024)
                        .withMaxTokens(maxTokens).withModelId("load");
                try (OpenAiServer s = OpenAiServer.start(o, m)) {
                    level(s.port(), 1, 1, maxTokens, question); // warm-up
                    long t0 = System.nanoTime();
                    List<Result> rs = level(s.port(), c, seconds, maxTokens, question);
                    double wall = (System.nanoTime() - t0) / 1e9;
                    long ok = rs.stream().filter(Result::ok).count();
                    int tokens = rs.stream().filter(Result::ok).mapToInt(Result::tokens).sum();
                    List<Double> ttft = new ArrayList<>(rs.stream().filter(Result::ok).map(Result::ttft).toList());
                    Collections.sort(ttft);
                    double agg = tokens / wall;
                    if (c == levels.getFirst()) base = agg;
                    double perStream = rs.stream().filter(Result::ok).mapToDouble(Result::decodeTps).average().orElse(0);
                    System.out.printf(Locale.ROOT, "streams %d: %d requests (%d failed), %.2f tok/s aggregate (%.2fx), "
                                    + "TTFT p50 %.0f ms p99 %.0f ms, per-stream decode %.2f tok/s%n",
                            c, rs.size(), rs.size() - ok, agg, agg / base, pct(ttft, 0.5) * 1e3, pct(ttft, 0.99) * 1e3, perStream);
                    if (ok < rs.size()) System.exit(1);
                }
            }
            if (pairs > 0) overhead(m, question, maxTokens, pairs);
        }
    }

    /**
     * The server's overhead per token: {@code pairs} pairs of one generation by the engine alone and one request
     * to a one-slot server, the same prompt and length, in alternating order (engine first, then server first,
     * ...), a few seconds a pair, so that a drifting machine (this project's VMs move 10 % within a minute) weighs on
     * both sides alike; the median of the pairs' ratios. (Measured once before and once after the levels, against
     * the faster, it read 5-20 % on a VM whose two engine-alone runs differed by 11 %.) The server's own token
     * interval ({@code r1_token_latency_seconds} over the pairs) tells the scheduler's share from the transport's.
     */
    private static void overhead(Model m, String question, int maxTokens, int pairs) throws Exception {
        ServerOptions o = ServerOptions.defaults().withPort(0).withSlots(1).withQueue(1).withCtx(1024)
                .withMaxTokens(maxTokens).withModelId("load");
        int[] ids = promptIds(m, question);
        try (OpenAiServer srv = OpenAiServer.start(o, m); Session s = m.newSession(SessionOptions.defaults().withCtx(1024))) {
            byte[] req = rawRequest(srv.port(), maxTokens, question);
            generateOnce(s, ids, maxTokens, -1); // warm-up, both sides
            oneRaw(srv.port(), req);
            double[] ratio = new double[pairs], before = tokenLatency(srv.port());
            long intervals = 0, nanos = 0;
            for (int r = 0; r < pairs; r++) {
                double direct = 0, server = 0;
                for (int side = 0; side < 2; side++) {
                    if ((side == 0) == (r % 2 == 0)) {
                        long[] g = generateOnce(s, ids, maxTokens, r);
                        intervals += g[0];
                        nanos += g[1];
                        direct = g[0] * 1e9 / g[1];
                    } else {
                        Result x = oneRaw(srv.port(), req);
                        if (!x.ok()) throw new IllegalStateException("a request failed");
                        server = x.decodeTps();
                    }
                }
                ratio[r] = server / direct;
            }
            double[] after = tokenLatency(srv.port());
            double[] sorted = ratio.clone();
            java.util.Arrays.sort(sorted);
            double median = pairs % 2 == 1 ? sorted[pairs / 2] : (sorted[pairs / 2 - 1] + sorted[pairs / 2]) / 2;
            System.out.printf(Locale.ROOT, "overhead pairs (server/engine alone, alternated, %d tokens each): %s%n", maxTokens,
                    java.util.Arrays.stream(ratio).mapToObj(x -> String.format(Locale.ROOT, "%.3f", x)).collect(java.util.stream.Collectors.joining(" ")));
            System.out.printf(Locale.ROOT, "engine alone %.2f tok/s, server's scheduler %.2f tok/s (token intervals over the pairs)%n",
                    intervals * 1e9 / nanos, (after[1] - before[1]) / (after[0] - before[0]));
            System.out.printf(Locale.ROOT, "server overhead per token (median of %d alternated pairs): %.1f%% (quartiles %.1f%% .. %.1f%%)%n",
                    pairs, 100 * (1 - median), 100 * (1 - sorted[pairs * 3 / 4]), 100 * (1 - sorted[pairs / 4]));
        }
    }

    /** The server's {@code r1_token_latency_seconds} sum and count, from {@code GET /metrics}. */
    private static double[] tokenLatency(int port) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String text = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double[] v = new double[2];
        for (String line : text.split("\n")) {
            if (line.startsWith("r1_token_latency_seconds_sum ")) v[0] = Double.parseDouble(line.substring(line.indexOf(' ') + 1));
            if (line.startsWith("r1_token_latency_seconds_count ")) v[1] = Double.parseDouble(line.substring(line.indexOf(' ') + 1));
        }
        return v;
    }

    private static double pct(List<Double> sorted, double p) {
        if (sorted.isEmpty()) return Double.NaN;
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    /** Decoding alone over one session, with the server's default sampling, for about {@code seconds}. */
    private static double direct(Model m, String question, int maxTokens, int seconds) {
        long tokens = 0, nanos = 0, end = Long.MAX_VALUE;
        int[] ids = promptIds(m, question);
        try (Session s = m.newSession(SessionOptions.defaults().withCtx(1024))) {
            for (int rep = 0; rep == 0 || System.nanoTime() < end; rep++) {
                long[] r = generateOnce(s, ids, maxTokens, rep);
                if (rep == 0) { // warm-up; the timed reps follow
                    end = System.nanoTime() + seconds * 1_000_000_000L;
                    continue;
                }
                tokens += r[0];
                nanos += r[1];
            }
        }
        return nanos == 0 ? 0 : tokens * 1e9 / nanos;
    }

    /**
     * One generation as {@code r1 run} does it (the prompt prefilled, then sampling with the R1 defaults): its
     * token intervals and their nanoseconds. A generation of n tokens draws n times and decodes n - 1 times: it
     * counts n - 1 intervals, as a server stream's rate counts the intervals between its first and last text.
     */
    private static long[] generateOnce(Session s, int[] ids, int maxTokens, long seed) {
        s.reset();
        s.prefill(ids);
        Sampler sampler = new Sampler(SamplerOptions.r1Defaults(seed));
        sampler.accept(ids);
        GenerationResult r = new Generator(SessionAdapters.tokenModel(s), sampler, s.textDecoder())
                .generate(s.lastLogits(), new GenerateOptions(maxTokens, List.of(), true), (t, th) -> {}, () -> false);
        return new long[] {r.tokens().length - 1, r.decodeNanos()};
    }

    /**
     * {@code c} sessions of the prompt decoded together ({@link Model#decodeBatch}), each fed its own argmax,
     * for {@code steps} steps: aggregate tokens per second of the steps alone, the faster of two rounds after a
     * warm-up round (a drifting VM).
     */
    private static double batched(Model m, String question, int c, int steps) {
        int[] ids = promptIds(m, question);
        Session[] ss = new Session[c];
        try {
            for (int i = 0; i < c; i++) ss[i] = m.newSession(SessionOptions.defaults().withCtx(1024));
            long nanos = Long.MAX_VALUE;
            for (int rep = 0; rep < 3; rep++) {
                int[] next = new int[c];
                for (int i = 0; i < c; i++) {
                    ss[i].reset();
                    ss[i].prefill(ids);
                    next[i] = Logits.argmax(ss[i].lastLogits());
                }
                long t0 = System.nanoTime();
                for (int s = 0; s < steps; s++) {
                    float[][] l = m.decodeBatch(ss, next);
                    for (int i = 0; i < c; i++) next[i] = Logits.argmax(l[i]);
                }
                if (rep > 0) nanos = Math.min(nanos, System.nanoTime() - t0); // the first round warms the batched path up
            }
            return (double) c * steps * 1e9 / nanos;
        } finally {
            for (Session s : ss) if (s != null) s.close();
        }
    }

    /** The question as the server renders a one-message chat (R1 template, BOS), tokenized. */
    private static int[] promptIds(Model m, String question) {
        String bos = m.bos() >= 0 ? m.piece(m.bos()) : "";
        return m.tokenize(R1ChatTemplate.render(List.of(ChatMessage.user(question)), true, bos), false, true);
    }

    /** {@code c} streams sending requests back to back until {@code seconds} have passed. */
    private static List<Result> level(int port, int c, int seconds, int maxTokens, String question) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest req = request(port, maxTokens, question);
        List<Result> all = Collections.synchronizedList(new ArrayList<>());
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < c; i++) ex.submit(() -> {
                do all.add(one(client, req)); while (System.nanoTime() < end);
                return null;
            });
        }
        return all;
    }

    /** The body of a streaming chat request of the question, with usage. */
    private static String body(int maxTokens, String question) {
        ObjectNode body = OpenAiServer.JSON.createObjectNode().put("model", "load").put("max_tokens", maxTokens).put("stream", true);
        body.putArray("messages").addObject().put("role", "user").put("content", question);
        body.putObject("stream_options").put("include_usage", true);
        return body.toString();
    }

    private static HttpRequest request(int port, int maxTokens, String question) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .timeout(Duration.ofMinutes(5)).POST(HttpRequest.BodyPublishers.ofString(body(maxTokens, question))).build();
    }

    /** {@link #request}'s bytes on the wire (HTTP/1.1), for {@link #oneRaw}. */
    static byte[] rawRequest(int port, int maxTokens, String question) {
        byte[] b = body(maxTokens, question).getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = java.util.Arrays.copyOf(head, head.length + b.length);
        System.arraycopy(b, 0, all, head.length, b.length);
        return all;
    }

    /**
     * {@link #one} over a plain socket, for the overhead pairs: the JDK's HttpClient takes several threads and a
     * JSON parse per chunk, and on a 2-core machine a client in the same process takes its CPU from the two
     * threads decoding. This client de-chunks the stream and looks for text by substring, parsing nothing but
     * the usage chunk, so what the pairs measure is the server's cost, as a client on another machine would see it.
     */
    static Result oneRaw(int port, byte[] request) {
        long t0 = System.nanoTime(), first = 0, last = 0;
        int tokens = 0, deltas = 0;
        boolean done = false;
        try (java.net.Socket sock = new java.net.Socket("127.0.0.1", port)) {
            sock.setTcpNoDelay(true);
            sock.setSoTimeout(300_000);
            sock.getOutputStream().write(request);
            java.io.InputStream in = new java.io.BufferedInputStream(sock.getInputStream(), 1 << 16);
            if (!rawLine(in).contains(" 200 ")) return new Result(false, 0, 0, 0);
            boolean chunked = false;
            for (String h; !(h = rawLine(in)).isEmpty(); ) chunked |= h.toLowerCase(Locale.ROOT).startsWith("transfer-encoding:") && h.toLowerCase(Locale.ROOT).contains("chunked");
            if (!chunked) return new Result(false, 0, 0, 0);
            StringBuilder pending = new StringBuilder();
            for (int size; !done && (size = Integer.parseInt(rawLine(in).trim(), 16)) > 0; ) {
                byte[] data = in.readNBytes(size);
                rawLine(in); // the CRLF after the chunk's data
                pending.append(new String(data, StandardCharsets.UTF_8));
                for (int nl; (nl = pending.indexOf("\n")) >= 0; ) {
                    String line = pending.substring(0, nl);
                    pending.delete(0, nl + 1);
                    if (!line.startsWith("data: ")) continue;
                    if (line.equals("data: [DONE]")) { done = true; break; }
                    if (line.contains("\"error\"")) return new Result(false, 0, 0, 0);
                    if (line.contains("\"usage\":{")) tokens = OpenAiServer.JSON.readTree(line.substring(6)).at("/usage/completion_tokens").asInt();
                    if (line.contains("\"reasoning_content\":\"") || line.contains("\"content\":\"") && !line.contains("\"content\":\"\"")) {
                        long now = System.nanoTime();
                        if (first == 0) first = now;
                        last = now;
                        deltas++;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return new Result(false, 0, 0, 0);
        }
        double decode = last > first && deltas > 1 ? (deltas - 1) * 1e9 / (last - first) : 0;
        return new Result(done, (first - t0) / 1e9, tokens, decode);
    }

    /** A CRLF-terminated header or chunk-size line, without its terminator. */
    private static String rawLine(java.io.InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) >= 0 && c != '\n'; ) if (c != '\r') b.append((char) c);
        return b.toString();
    }

    private static Result one(HttpClient client, HttpRequest req) {
        long t0 = System.nanoTime(), first = 0, last = 0;
        int tokens = 0, deltas = 0;
        boolean done = false;
        try {
            HttpResponse<java.io.InputStream> r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) return new Result(false, 0, 0, 0);
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (!line.startsWith("data: ")) continue;
                    if (line.equals("data: [DONE]")) { done = true; break; }
                    JsonNode e = OpenAiServer.JSON.readTree(line.substring(6));
                    if (e.has("error")) return new Result(false, 0, 0, 0);
                    if (e.has("usage") && !e.get("usage").isNull()) tokens = e.at("/usage/completion_tokens").asInt();
                    JsonNode d = e.at("/choices/0/delta");
                    if (d.has("reasoning_content") || (d.has("content") && !d.get("content").asText().isEmpty())) {
                        long now = System.nanoTime();
                        if (first == 0) first = now;
                        last = now;
                        deltas++;
                    }
                }
            }
        } catch (Exception e) {
            return new Result(false, 0, 0, 0);
        }
        // Text deltas, not usage tokens, over the time between the first and the last: a token whose bytes
        // end no character sends nothing, so this errs on the slow side (never credits the server with
        // tokens it did not deliver in that window).
        double decode = last > first && deltas > 1 ? (deltas - 1) * 1e9 / (last - first) : 0;
        return new Result(done, (first - t0) / 1e9, tokens, decode);
    }
}

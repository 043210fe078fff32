package dev.r1.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.r1.engine.Model;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Clients that misbehave or crowd in, and the security defaults: nothing may hang, crash or leak a slot. */
class HostileClientsTest {
    static Model model;
    static OpenAiServer server;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        model = TestServers.load();
        server = OpenAiServer.start(TestServers.options().withSlots(3).withQueue(6).withCorsOrigins(List.of("https://ok.example")), model);
        port = server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    static long generated() {
        for (String line : TestServers.get(port, "/metrics").body().split("\n"))
            if (line.startsWith("r1_generated_tokens_total ")) return Long.parseLong(line.split(" ")[1]);
        throw new AssertionError("no r1_generated_tokens_total");
    }

    static long metric(String name) {
        for (String line : TestServers.get(port, "/metrics").body().split("\n"))
            if (line.startsWith(name + " ")) return Long.parseLong(line.split(" ")[1]);
        throw new AssertionError("no " + name);
    }

    static void awaitIdle(long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while ((server.busySlots() > 0 || server.queueLength() > 0) && System.currentTimeMillis() < end) Thread.sleep(5);
        assertEquals(0, server.busySlots(), "a slot leaked");
        assertEquals(0, server.queueLength(), "a queued job leaked");
    }

    static String raw(String method, String path, String host, String body) {
        return method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n" + body;
    }

    @Test
    void disconnectMidStreamStopsGenerationAndFreesTheSlot() throws Exception {
        awaitIdle(30_000);
        complete("Warm up"); // as below: a fresh JVM's first tokens and its watch thread's first read wait for the JIT
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Write a long story\"}],\"max_tokens\":400,\"stream\":true}";
        long before;
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(raw("POST", "/v1/chat/completions", "127.0.0.1:" + port, body).getBytes(StandardCharsets.UTF_8));
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            int tokens = 0;
            for (String line; (line = in.readLine()) != null && tokens < 3; )
                if (line.contains("reasoning_content") || line.contains("\"content\":\"") && !line.contains("\"role\"")) tokens++;
            assertEquals(3, tokens, "the stream started");
            assertEquals(1, server.busySlots());
            before = generated();
        } // the client goes away mid-answer
        long t0 = System.nanoTime();
        awaitIdle(5_000);
        double ms = (System.nanoTime() - t0) / 1e6;
        long after = generated() - before;
        // Far below the 397 tokens left to generate; not tighter, because the watch's virtual thread waits for a core
        // with the decoding threads: 61 tokens (~130 ms) were seen with another JVM busy on both cores of a 2-core VM.
        assertTrue(after < 100, "generation went on for " + after + " tokens after the client left");
        System.out.printf("disconnect: slot free %.0f ms after the client closed, %d tokens generated meanwhile%n", ms, after);
    }

    @Test
    void disconnectDuringANonStreamingAnswerStopsGenerationAtTheNextToken() throws Exception {
        assertNull(OpenAiServer.connectionWatchUnavailable(), "the test JVM opens the JDK's HttpServer (r1.jvm.flags)");
        awaitIdle(30_000);
        complete("Warm up"); // the first tokens of a fresh JVM wait for the JIT, which would blur the timing below
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Write a long story\"}],\"max_tokens\":400,\"seed\":3}";
        long disconnects = metric("r1_client_disconnects_total");
        long before;
        double tokenMs;
        long base = server.metrics.generatedTokens.sum();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(raw("POST", "/v1/chat/completions", "127.0.0.1:" + port, body).getBytes(StandardCharsets.UTF_8));
            long end = System.currentTimeMillis() + 30_000;
            while (server.metrics.generatedTokens.sum() < base + 3) {
                assertTrue(System.currentTimeMillis() < end, "the answer started");
                Thread.sleep(1);
            }
            long g0 = server.metrics.generatedTokens.sum(), t0 = System.nanoTime();
            while (server.metrics.generatedTokens.sum() < g0 + 5 && System.nanoTime() - t0 < 10e9) Thread.sleep(1);
            tokenMs = (System.nanoTime() - t0) / 1e6 / Math.max(1, server.metrics.generatedTokens.sum() - g0);
            assertEquals(1, server.busySlots(), "still generating");
            assertEquals(0, s.getInputStream().available(), "nothing answered yet");
            before = server.metrics.generatedTokens.sum();
        } // the client goes away while nothing is being written to it
        long t0 = System.nanoTime();
        while (server.busySlots() > 0 && System.nanoTime() - t0 < 5e9) Thread.sleep(0, 100_000);
        double ms = (System.nanoTime() - t0) / 1e6;
        long after = server.metrics.generatedTokens.sum() - before;
        assertEquals(0, server.busySlots(), "the slot was freed");
        System.out.printf("non-streaming disconnect: slot free %.1f ms after the client closed (a token takes %.1f ms), "
                + "%d tokens generated meanwhile%n", ms, tokenMs, after);
        // The token in flight when the FIN arrives is finished; at most one more starts before the cancel lands, once the
        // watch's virtual thread runs. On a 2-core VM it may first wait a few ms for a core while both decode (session 41's
        // CI: 8 tokens of ~0.5 ms, the slot free 4.3 ms after the close): then the time bounds it, not the count.
        assertTrue(after <= 2 || ms < 20, after + " tokens were generated after the client left, the slot free after " + ms + " ms");
        awaitIdle(1000);
        assertEquals(disconnects + 1, metric("r1_client_disconnects_total"));
    }

    @Test
    void choicesWaitingForASharedPrefillSurviveTheirClientLeaving() throws Exception {
        awaitIdle(30_000);
        // n = 3 on a long prompt (~375 tokens): two choices wait while the first prefills (6 chunks); the client leaves
        String body = "{\"prompt\":\"" + "many words to prefill ".repeat(17) + "\",\"max_tokens\":50,\"n\":3}";
        for (int delayMs : new int[] {0, 20, 200}) {
            long started = server.metrics.started.sum();
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.getOutputStream().write(raw("POST", "/v1/completions", "127.0.0.1:" + port, body).getBytes(StandardCharsets.UTF_8));
                Thread.sleep(delayMs);
            }
            // Idle only counts once the request is over: right after the client left, the server may not have
            // started it yet (CI: seen idle, then two slots busy). The HTTP layer may also drop a request whose
            // client is gone before its handler starts, so wait a while for the start, then for every started
            // request to finish.
            long end = System.currentTimeMillis() + 3_000;
            while (server.metrics.started.sum() == started && System.currentTimeMillis() < end) Thread.sleep(5);
            end = System.currentTimeMillis() + 30_000;
            while (server.metrics.requestCount() < server.metrics.started.sum() && System.currentTimeMillis() < end) Thread.sleep(5);
            // failed in CI now and then (7 started, 6 finished, nothing busy or queued): a choice cancelled while
            // still queued sent no last event (choicesCancelledInTheQueueEndTheirRequest); the dump stays for new causes
            assertEquals(server.metrics.started.sum(), server.metrics.requestCount(), () -> "a started request never finished (delay "
                    + delayMs + " ms, busy slots " + server.busySlots() + ", queue " + server.queueLength() + ")\n" + threads());
            awaitIdle(10_000);
        }
        var r = TestServers.post(port, "/v1/completions", body); // and the next request is served in full
        assertEquals(200, r.status(), r.body());
        assertEquals(3, r.json().get("choices").size());
    }

    /**
     * Choices still in the queue when their client leaves end their request: the handler waits for every
     * choice's last event, and a choice dropped from the queue sent none, so the handler waited out the request
     * timeout (the rare CI failure of the test above: 7 requests started, 6 finished, no slot busy, queue empty).
     */
    @Test
    void choicesCancelledInTheQueueEndTheirRequest() throws Exception {
        awaitIdle(30_000);
        String hogBody = "{\"prompt\":\"Once upon a time\",\"max_tokens\":400,\"n\":3,\"stream\":true}";
        try (Socket hog = new Socket("127.0.0.1", port)) { // all three slots busy
            hog.getOutputStream().write(raw("POST", "/v1/completions", "127.0.0.1:" + port, hogBody).getBytes(StandardCharsets.UTF_8));
            long end = System.currentTimeMillis() + 10_000;
            while (server.busySlots() < 3 && System.currentTimeMillis() < end) Thread.sleep(2);
            assertEquals(3, server.busySlots());
            long started = server.metrics.started.sum();
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.getOutputStream().write(raw("POST", "/v1/completions", "127.0.0.1:" + port,
                        "{\"prompt\":\"Hi\",\"max_tokens\":5,\"n\":2}").getBytes(StandardCharsets.UTF_8));
                end = System.currentTimeMillis() + 10_000;
                while (server.queueLength() < 2 && System.currentTimeMillis() < end) Thread.sleep(2);
                assertEquals(2, server.queueLength(), "both choices wait while the slots are busy");
                assertTrue(server.busySlots() == 3 && server.metrics.started.sum() == started + 1);
            } // the client leaves while its choices wait
            end = System.currentTimeMillis() + 10_000;
            while (server.queueLength() > 0 && System.currentTimeMillis() < end) Thread.sleep(2);
            assertEquals(0, server.queueLength(), "the cancelled choices left the queue");
        } // the hog leaves too
        long end = System.currentTimeMillis() + 10_000;
        while (server.metrics.requestCount() < server.metrics.started.sum() && System.currentTimeMillis() < end) Thread.sleep(5);
        assertEquals(server.metrics.started.sum(), server.metrics.requestCount(), () -> "a request never finished\n" + threads());
        awaitIdle(10_000);
    }

    @Test
    void slowLorisIsCutOffWhileOthersAreServed() throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Length: 100\r\n\r\n{\"mess")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertEquals(200, TestServers.get(port, "/health").status(), "others are served meanwhile");
            s.setSoTimeout(10_000);
            long t0 = System.nanoTime();
            int r;
            try {
                r = s.getInputStream().read();
                while (r >= 0) r = s.getInputStream().read();
            } catch (SocketException e) {
                r = -1; // reset: closed as well
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            assertEquals(-1, r);
            assertTrue(secs < 6, "closed after " + secs + " s");
        }
        awaitIdle(1000);
    }

    @Test
    void hundredConcurrentConnectionsAllEndCleanly() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":3}";
        List<Future<TestServers.Reply>> fs = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 100; i++) fs.add(ex.submit(() -> { go.await(); return TestServers.post(port, "/v1/chat/completions", body); }));
            go.countDown();
            int ok = 0, busy = 0;
            for (Future<TestServers.Reply> f : fs) {
                TestServers.Reply r = f.get();
                if (r.status() == 200) {
                    ok++;
                    assertEquals("chat.completion", r.json().get("object").asText());
                } else {
                    assertEquals(503, r.status(), r.body());
                    assertEquals("unavailable_error", r.json().at("/error/type").asText());
                    busy++;
                }
            }
            assertEquals(100, ok + busy);
            assertTrue(ok >= 9, "at least the slots and the queue were served: " + ok);
        }
        awaitIdle(5000);
    }

    @Test
    void batchedStreamsGiveTheSameGreedyTextAsAlone() throws Exception {
        awaitIdle(30_000);
        String[] prompts = {"The fox", "Once upon a time there was", "What is the sum of the first ten numbers?"};
        String[] alone = new String[prompts.length];
        for (int i = 0; i < prompts.length; i++) alone[i] = complete(prompts[i]);
        long steps = metric("r1_decode_steps_total"), rows = metric("r1_decode_rows_total");
        List<Future<String>> fs = new ArrayList<>();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String p : prompts) fs.add(ex.submit(() -> complete(p)));
            for (int i = 0; i < prompts.length; i++) assertEquals(alone[i], fs.get(i).get(), "prompt " + i);
        }
        long dSteps = metric("r1_decode_steps_total") - steps, dRows = metric("r1_decode_rows_total") - rows;
        assertTrue(dRows > dSteps * 1.5, "the streams were decoded together: " + dRows + " rows in " + dSteps + " steps");
    }

    @Test
    void batchedSeededStreamsDrawWhatTheyDrawAlone() throws Exception {
        // the rows of a batched step draw in parallel, each with its own sampler: a seed gives the same text
        awaitIdle(30_000);
        String[] prompts = {"The fox", "Once upon a time there was", "What is the sum of the first ten numbers?"};
        String[] alone = new String[prompts.length];
        for (int i = 0; i < prompts.length; i++) alone[i] = complete(prompts[i], ",\"temperature\":0.9,\"top_p\":0.95,\"seed\":" + (7 + i));
        long steps = metric("r1_decode_steps_total"), rows = metric("r1_decode_rows_total");
        List<Future<String>> fs = new ArrayList<>();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < prompts.length; i++) {
                String p = prompts[i], extra = ",\"temperature\":0.9,\"top_p\":0.95,\"seed\":" + (7 + i);
                fs.add(ex.submit(() -> complete(p, extra)));
            }
            for (int i = 0; i < prompts.length; i++) assertEquals(alone[i], fs.get(i).get(), "prompt " + i);
        }
        long dSteps = metric("r1_decode_steps_total") - steps, dRows = metric("r1_decode_rows_total") - rows;
        assertTrue(dRows > dSteps * 1.5, "the streams were decoded together: " + dRows + " rows in " + dSteps + " steps");
        assertNotEquals(alone[0], complete(prompts[0]), "a seeded draw at 0.9 is not the greedy text");
    }

    static String complete(String prompt) { return complete(prompt, ",\"temperature\":0"); }

    static String complete(String prompt, String sampling) {
        var r = TestServers.post(port, "/v1/completions", "{\"prompt\":\"" + prompt + "\",\"max_tokens\":40" + sampling + "}");
        assertEquals(200, r.status(), r.body());
        assertEquals("length", r.json().at("/choices/0/finish_reason").asText());
        return r.json().at("/choices/0/text").asText();
    }

    @Test
    void hostHeaderMustBeOneOfOurNames() throws Exception {
        for (String host : new String[] {"evil.example", "evil.example:" + port, "127.0.0.1.evil.example"}) {
            String reply = exchange(raw("GET", "/health", host, ""));
            assertTrue(reply.startsWith("HTTP/1.1 403"), reply);
            assertTrue(reply.contains("permission_error"), reply);
        }
        assertTrue(exchange(raw("GET", "/health", "localhost:" + port, "")).startsWith("HTTP/1.1 200"));
    }

    static String exchange(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void corsOnlyForListedOrigins() {
        var ok = TestServers.get(port, "/v1/models", "Origin", "https://ok.example");
        assertEquals("https://ok.example", ok.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        var other = TestServers.get(port, "/v1/models", "Origin", "https://evil.example");
        assertEquals(200, other.status());
        assertFalse(other.headers().firstValue("Access-Control-Allow-Origin").isPresent());
        var pre = TestServers.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()).header("Origin", "https://evil.example").build());
        assertEquals(403, pre.status());
    }

    @Test
    void apiKeyAndNonLoopbackBinding() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> OpenAiServer.start(TestServers.options().withHost("0.0.0.0"), model));
        try (OpenAiServer keyed = OpenAiServer.start(TestServers.options().withSlots(1).withApiKey("s3cret-key-0123456789"), model)) {
            int p = keyed.port();
            assertEquals(200, TestServers.get(p, "/health").status(), "health needs no key");
            var none = TestServers.get(p, "/v1/models");
            assertEquals(401, none.status());
            assertEquals("authentication_error", none.json().at("/error/type").asText());
            assertEquals(401, TestServers.get(p, "/v1/models", "Authorization", "Bearer s3cret-key-012345678").status());
            assertEquals(200, TestServers.get(p, "/v1/models", "Authorization", "Bearer s3cret-key-0123456789").status());
        }
    }

    @Test
    void healthIs503WhileLoading() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (OpenAiServer s = OpenAiServer.startLoading(TestServers.options().withSlots(1), () -> {
            try { release.await(); } catch (InterruptedException e) { throw new IllegalStateException(e); }
            return TestServers.load();
        })) {
            var h = TestServers.get(s.port(), "/health");
            assertEquals(503, h.status());
            assertTrue(h.json().at("/error/message").asText().contains("loading"));
            assertEquals(503, TestServers.post(s.port(), "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").status());
            release.countDown();
            long end = System.currentTimeMillis() + 30_000;
            while (!s.isReady() && System.currentTimeMillis() < end) Thread.sleep(10);
            JsonNode ok = TestServers.get(s.port(), "/health").json();
            assertEquals("ok", ok.get("status").asText());
        }
    }

    /**
     * The model with its decoding steps held until {@code go} opens: a running answer then stays running however
     * fast the machine decodes (the tiny model's 300 tokens once ended before the test's next request, and the
     * closed server refused the connection instead of answering 503).
     */
    record GatedModel(Model m, CountDownLatch go) implements Model {
        @Override public java.nio.file.Path path() { return m.path(); }
        @Override public String backend() { return m.backend(); }
        @Override public String description() { return m.description(); }
        @Override public int vocabSize() { return m.vocabSize(); }
        @Override public int trainContext() { return m.trainContext(); }
        @Override public int bos() { return m.bos(); }
        @Override public boolean isEog(int token) { return m.isEog(token); }
        @Override public int[] tokenize(String text, boolean addBos, boolean parseSpecial) { return m.tokenize(text, addBos, parseSpecial); }
        @Override public String detokenize(int[] tokens) { return m.detokenize(tokens); }
        @Override public String piece(int token) { return m.piece(token); }
        @Override public dev.r1.engine.generate.TextDecoder textDecoder() { return m.textDecoder(); }
        @Override public dev.r1.engine.Session newSession(dev.r1.engine.SessionOptions o) { return m.newSession(o); }
        @Override public void close() {}

        @Override
        public float[][] decodeBatch(dev.r1.engine.Session[] sessions, int[] tokens) {
            try {
                go.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return m.decodeBatch(sessions, tokens);
        }
    }

    @Test
    void closingLetsRunningAnswersFinishAndRefusesNewOnes() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        OpenAiServer s = OpenAiServer.start(TestServers.options().withSlots(1).withQueue(0), new GatedModel(model, go));
        int p = s.port();
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":300,\"stream\":true}";
        var running = java.util.concurrent.CompletableFuture.supplyAsync(() -> TestServers.post(p, "/v1/chat/completions", body),
                Executors.newVirtualThreadPerTaskExecutor());
        long end = System.currentTimeMillis() + 30_000;
        while (s.busySlots() == 0 && System.currentTimeMillis() < end) Thread.sleep(2);
        Thread closer = Thread.ofVirtual().start(() -> s.close(60_000));
        Thread.sleep(20);
        var refused = TestServers.post(p, "/v1/chat/completions", body.replace("300", "2"));
        assertEquals(503, refused.status(), refused.body());
        assertTrue(refused.json().at("/error/message").asText().contains("shutting down"));
        go.countDown(); // the running answer goes on
        var r = running.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(r.body().endsWith("data: [DONE]\n\n"), "the running answer finished: " + r.body().substring(Math.max(0, r.body().length() - 200)));
        closer.join(60_000);
        assertFalse(closer.isAlive());
    }

    /** Every live platform thread's stack, for a failure message (virtual threads, the handlers', are not listed). */
    private static String threads() {
        StringBuilder b = new StringBuilder();
        for (var e : Thread.getAllStackTraces().entrySet()) {
            b.append(e.getKey().getName()).append(' ').append(e.getKey().getState()).append('\n');
            for (StackTraceElement f : e.getValue()) b.append("    at ").append(f).append('\n');
        }
        return b.toString();
    }
}

package dev.r1.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.r1.engine.Model;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAI surface end to end over loopback HTTP, on a tiny synthesized model. */
class ServerTest {
    static Model model;
    static OpenAiServer server;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        model = TestServers.load();
        server = OpenAiServer.start(TestServers.options(), model);
        port = server.port();
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    static String chatBody(String user, String extra) {
        return "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"" + user + "\"}]" + extra + "}";
    }

    @Test
    void healthModelsTokenizeDetokenize() {
        var h = TestServers.get(port, "/health");
        assertEquals(200, h.status());
        assertEquals("ok", h.json().get("status").asText());
        var m = TestServers.get(port, "/v1/models");
        assertEquals("tiny", m.json().at("/data/0/id").asText());
        assertEquals(200, TestServers.get(port, "/models").status());
        var t = TestServers.post(port, "/tokenize", "{\"content\":\"Hello world<think>\"}");
        JsonNode toks = t.json().get("tokens");
        assertTrue(toks.size() >= 2);
        int[] ids = new int[toks.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = toks.get(i).asInt();
        assertEquals(model.piece(ids[ids.length - 1]), "<think>", "special tokens parsed by default");
        var d = TestServers.post(port, "/v1/detokenize", "{\"tokens\":" + toks + "}");
        assertEquals("Hello world<think>", d.json().get("content").asText());
        assertEquals(400, TestServers.post(port, "/detokenize", "{\"tokens\":[-1]}").status());
    }

    @Test
    void chatSplitsReasoningAndCountsUsage() {
        var r = TestServers.post(port, "/v1/chat/completions", chatBody("What is 2+2?", ",\"max_tokens\":24,\"seed\":5,\"unknown_field\":{\"a\":1}"));
        assertEquals(200, r.status(), r.body());
        JsonNode j = r.json();
        assertEquals("chat.completion", j.get("object").asText());
        JsonNode msg = j.at("/choices/0/message");
        assertEquals("assistant", msg.get("role").asText());
        assertTrue(msg.has("reasoning_content"));
        String reasoning = msg.get("reasoning_content").asText(), content = msg.get("content").asText();
        assertFalse(reasoning.isEmpty() && content.isEmpty());
        JsonNode u = j.get("usage");
        assertEquals(u.get("prompt_tokens").asInt() + u.get("completion_tokens").asInt(), u.get("total_tokens").asInt());
        String finish = j.at("/choices/0/finish_reason").asText();
        assertTrue(finish.equals("length") ? u.get("completion_tokens").asInt() == 24 : finish.equals("stop"), finish);
        // The same request with reasoning_format none returns the raw text: the reasoning, then </think> and the answer.
        var raw = TestServers.post(port, "/chat/completions", chatBody("What is 2+2?", ",\"max_tokens\":24,\"seed\":5,\"reasoning_format\":\"none\""));
        JsonNode rm = raw.json().at("/choices/0/message");
        assertFalse(rm.has("reasoning_content"));
        String text = rm.get("content").asText();
        assertTrue(text.equals(reasoning + content) || text.equals(reasoning + "</think>" + content), text + " vs " + reasoning + " | " + content);
        // The prompt is the R1 template's rendering: BOS, <｜User｜>..., <｜Assistant｜><think>\n.
        var t = TestServers.post(port, "/tokenize", "{\"content\":\"<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜><think>\\n\"}");
        assertEquals(t.json().get("tokens").size(), u.get("prompt_tokens").asInt());
    }

    @Test
    void streamingFollowsTheOpenAiFraming() {
        String extra = ",\"max_tokens\":20,\"seed\":9,\"stream\":true,\"stream_options\":{\"include_usage\":true}";
        var r = TestServers.post(port, "/v1/chat/completions", chatBody("Hi", extra));
        assertEquals(200, r.status());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<JsonNode> ev = TestServers.events(r.body());
        assertEquals("[DONE]", ev.getLast().asText());
        JsonNode usage = ev.get(ev.size() - 2);
        assertEquals(0, usage.get("choices").size());
        Set<String> ids = new HashSet<>();
        StringBuilder reasoning = new StringBuilder(), content = new StringBuilder();
        for (JsonNode e : ev.subList(0, ev.size() - 1)) {
            ids.add(e.get("id").asText());
            assertEquals("chat.completion.chunk", e.get("object").asText());
        }
        assertEquals(1, ids.size(), "one id for every chunk");
        assertEquals("assistant", ev.getFirst().at("/choices/0/delta/role").asText());
        JsonNode last = ev.get(ev.size() - 3);
        String finish = last.at("/choices/0/finish_reason").asText();
        assertTrue(Set.of("stop", "length").contains(finish), finish);
        int used = usage.at("/usage/completion_tokens").asInt();
        assertTrue(finish.equals("length") ? used == 20 : used >= 1 && used < 20, finish + " after " + used + " tokens");
        for (JsonNode e : ev.subList(1, ev.size() - 3)) {
            assertTrue(e.at("/choices/0/finish_reason").isNull());
            reasoning.append(e.at("/choices/0/delta/reasoning_content").asText(""));
            content.append(e.at("/choices/0/delta/content").asText(""));
        }
        // Streaming and not streaming give the same text for the same seed.
        var whole = TestServers.post(port, "/v1/chat/completions", chatBody("Hi", ",\"max_tokens\":20,\"seed\":9"));
        assertEquals(whole.json().at("/choices/0/message/reasoning_content").asText(), reasoning.toString());
        assertEquals(whole.json().at("/choices/0/message/content").asText(), content.toString());
        assertEquals(whole.json().at("/usage/completion_tokens").asInt(), usage.at("/usage/completion_tokens").asInt());
    }

    @Test
    void completionsAndLogprobs() {
        var r = TestServers.post(port, "/v1/completions", "{\"prompt\":\"Once upon a time\",\"max_tokens\":8,\"temperature\":0,\"logprobs\":3}");
        assertEquals(200, r.status(), r.body());
        JsonNode c = r.json().at("/choices/0");
        assertEquals("text_completion", r.json().get("object").asText());
        JsonNode lp = c.get("logprobs");
        assertEquals(lp.get("tokens").size(), lp.get("token_logprobs").size());
        for (int i = 0; i < lp.get("tokens").size(); i++) {
            double chosen = lp.get("token_logprobs").get(i).asDouble();
            assertTrue(chosen <= 0);
            // Greedy: the chosen token is the most likely one, so it heads the alternatives.
            double best = Double.NEGATIVE_INFINITY;
            for (JsonNode v : lp.get("top_logprobs").get(i)) best = Math.max(best, v.asDouble());
            assertEquals(best, chosen, 1e-9);
        }
        var chat = TestServers.post(port, "/v1/chat/completions", chatBody("Hi", ",\"max_tokens\":4,\"logprobs\":true,\"top_logprobs\":2"));
        JsonNode content = chat.json().at("/choices/0/logprobs/content");
        assertEquals(chat.json().at("/usage/completion_tokens").asInt(), content.size());
        assertEquals(2, content.get(0).get("top_logprobs").size());
    }

    @Test
    void badRequestsGetOpenAiErrors() {
        String[][] cases = {
                {"{not json", "JSON"},
                {"[1,2]", "object"},
                {chatBody("x", ",\"max_tokens\":-1"), "max_tokens"},
                {chatBody("x", ",\"max_tokens\":99999999999999999999999"), "max_tokens"},
                {chatBody("x", ",\"max_tokens\":\"many\""), "max_tokens"},
                {chatBody("x", ",\"temperature\":\"hot\""), "temperature"},
                {chatBody("x", ",\"temperature\":1e308"), "temperature"},
                {chatBody("x", ",\"top_p\":-0.5"), "top_p"},
                {chatBody("x", ",\"n\":100"), "n"},
                {chatBody("x", ",\"top_logprobs\":500,\"logprobs\":true"), "top_logprobs"},
                {chatBody("x", ",\"stop\":[1,2]"), "stop"},
                {chatBody("x", ",\"stream\":\"yes\""), "stream"},
                {"{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", "role"},
                {"{\"messages\":[]}", "messages"},
                {"{\"messages\":" + "[".repeat(2000) + "]".repeat(2000) + "}", "JSON"},
        };
        for (String[] c : cases) {
            var r = TestServers.post(port, "/v1/chat/completions", c[0]);
            assertEquals(400, r.status(), c[0].length() > 200 ? c[0].substring(0, 200) : c[0]);
            JsonNode e = r.json().get("error");
            assertEquals(400, e.get("code").asInt());
            assertEquals("invalid_request_error", e.get("type").asText());
            assertTrue(e.get("message").asText().contains(c[1]), e.get("message").asText());
        }
        var nf = TestServers.get(port, "/v1/nothing");
        assertEquals(404, nf.status());
        assertEquals("not_found_error", nf.json().at("/error/type").asText());
        var big = TestServers.post(port, "/v1/chat/completions", chatBody("x".repeat(2 << 20), ""));
        assertEquals(413, big.status());
        // A prompt longer than the context: both lengths in the message.
        var lng = TestServers.post(port, "/v1/chat/completions", chatBody("word ".repeat(3000), ""));
        assertEquals(400, lng.status());
        String msg = lng.json().at("/error/message").asText();
        assertTrue(msg.contains("512") && msg.matches(".*the prompt is \\d{4,} tokens.*"), msg);
        assertEquals(0, server.busySlots());
    }

    @Test
    void anOversizedBodyIsAnsweredNotReset() {
        // The client is still sending when the server decides; unless the server reads the rest, closing
        // the connection resets it and the client sees no answer at all (CI once failed so).
        String big = chatBody("x".repeat(6 << 20), "");
        byte[] bigBytes = big.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < 6; i++) {
            var sized = TestServers.post(port, "/v1/chat/completions", big);
            assertEquals(413, sized.status());
            assertTrue(sized.json().at("/error/message").asText().contains("larger than"), sized.body());
            // Chunked: no Content-Length, so the cap is found while reading.
            var chunked = TestServers.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                    .timeout(java.time.Duration.ofSeconds(60)).header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(bigBytes))).build());
            assertEquals(413, chunked.status());
            // Refused before the body is read at all.
            assertEquals(404, TestServers.post(port, "/v1/nothing", big).status());
        }
        assertEquals(200, TestServers.get(port, "/health").status());
    }

    @Test
    void followUpTurnReusesTheCachedPrefix() {
        String first = "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story about a fox\"}],\"max_tokens\":8,\"seed\":1}";
        var a = TestServers.post(port, "/v1/chat/completions", first);
        String answer = a.json().at("/choices/0/message/content").asText();
        String second = "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story about a fox\"},"
                + "{\"role\":\"assistant\",\"content\":" + OpenAiServer.JSON.getNodeFactory().textNode("<think>x</think>" + answer)
                + ",\"reasoning_content\":\"ignored\"},{\"role\":\"user\",\"content\":\"And then?\"}],\"max_tokens\":4}";
        var b = TestServers.post(port, "/v1/chat/completions", second);
        assertEquals(200, b.status(), b.body());
        int cached = b.json().at("/usage/prompt_tokens_details/cached_tokens").asInt();
        assertTrue(cached >= 8, "the first turn's prompt is reused, cached " + cached);
    }

    @Test
    void nChoicesDifferBySeed() {
        var r = TestServers.post(port, "/v1/chat/completions", chatBody("Hi", ",\"max_tokens\":12,\"n\":2,\"temperature\":1.0,\"seed\":3"));
        assertEquals(200, r.status(), r.body());
        JsonNode cs = r.json().get("choices");
        assertEquals(2, cs.size());
        List<String> texts = new ArrayList<>();
        for (JsonNode c : cs) texts.add(c.at("/message/reasoning_content").asText() + c.at("/message/content").asText());
        assertNotNull(texts.get(0));
        assertEquals(2, new HashSet<>(texts).size(), "different seeds, different samples: " + texts);
    }

    static long metric(String name) {
        for (String line : TestServers.get(port, "/metrics").body().split("\n"))
            if (line.startsWith(name + " ")) return Long.parseLong(line.split(" ")[1]);
        throw new AssertionError("no " + name);
    }

    @Test
    void nChoicesPrefillThePromptOnceAndEqualSeparateRequests() {
        String req = "{\"prompt\":\"The n choices of one request share one prefill of this prompt, said the scheduler\","
                + "\"max_tokens\":16,\"temperature\":1.0,\"top_p\":1.0,\"seed\":%d,\"n\":%d}";
        long prefills = metric("r1_prefills_total"), computed = metric("r1_prefill_tokens_total"), copied = metric("r1_prompt_tokens_copied_total");
        var r = TestServers.post(port, "/v1/completions", req.formatted(40, 3));
        assertEquals(200, r.status(), r.body());
        int promptTokens = r.json().at("/usage/prompt_tokens").asInt();
        assertEquals(1, metric("r1_prefills_total") - prefills, "one prefill for three choices");
        assertTrue(metric("r1_prefill_tokens_total") - computed <= promptTokens, "the prompt computed at most once");
        assertTrue(metric("r1_prompt_tokens_copied_total") - copied >= 2L * promptTokens, "the other two choices copied it");
        JsonNode cs = r.json().get("choices");
        assertEquals(3, cs.size());
        for (int i = 0; i < 3; i++) {
            var alone = TestServers.post(port, "/v1/completions", req.formatted(40 + i, 1));
            assertEquals(200, alone.status(), alone.body());
            assertEquals(alone.json().at("/choices/0/text").asText(), cs.get(i).get("text").asText(),
                    "choice " + i + " is what a request with seed " + (40 + i) + " gives");
        }
    }

    @Test
    void loadTestsSocketClientReadsAWholeStreamAndSeesRefusals() {
        // the plain-socket client LoadTest's overhead pairs use: it de-chunks the SSE stream itself
        LoadTest.Result r = LoadTest.oneRaw(port, LoadTest.rawRequest(port, 12, "Hello there"));
        assertTrue(r.ok(), "the stream ends in [DONE]");
        assertTrue(r.tokens() >= 1 && r.tokens() <= 12, "usage tokens " + r.tokens());
        assertTrue(r.ttft() > 0);
        assertFalse(LoadTest.oneRaw(port, LoadTest.rawRequest(port, 0, "Hello there")).ok(), "max_tokens 0 is refused (400)");
    }
}

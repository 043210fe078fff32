package dev.r1.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.engine.Engines;
import dev.r1.engine.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The server over the llama.cpp backend: same surface, several slots of one llama.cpp model. */
class LlamaCppServerTest {
    @Test
    void servesConcurrentGreedyCompletionsOnLlamaCpp() throws Exception {
        try (Model m = Engines.load("llama.cpp", TestServers.tinyModel(), 2);
             OpenAiServer s = OpenAiServer.start(TestServers.options().withSlots(2), m)) {
            int port = s.port();
            String body = "{\"prompt\":\"The quick brown fox\",\"max_tokens\":16,\"temperature\":0}";
            var alone = TestServers.post(port, "/v1/completions", body);
            assertEquals(200, alone.status(), alone.body());
            String text = alone.json().at("/choices/0/text").asText();
            assertEquals(16, alone.json().at("/usage/completion_tokens").asInt());
            List<Future<TestServers.Reply>> fs = new ArrayList<>();
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 2; i++) fs.add(ex.submit(() -> TestServers.post(port, "/v1/completions", body)));
                for (Future<TestServers.Reply> f : fs) assertEquals(text, f.get().json().at("/choices/0/text").asText());
            }
            var chat = TestServers.post(port, "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":8,\"stream\":true}");
            List<com.fasterxml.jackson.databind.JsonNode> ev = TestServers.events(chat.body());
            assertEquals("[DONE]", ev.getLast().asText());
            assertTrue(ev.size() >= 3);
            assertEquals(0, s.busySlots());
        }
    }
}

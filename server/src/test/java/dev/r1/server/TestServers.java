package dev.r1.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.r1.engine.Engines;
import dev.r1.engine.Model;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.gguf.GgufValue;
import dev.r1.models.template.R1ChatTemplate;
import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tokenizer.Vocabulary;
import dev.r1.quantize.synth.SyntheticModel;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A tiny synthesized model and loopback clients for the server tests. */
final class TestServers {
    private TestServers() {}

    static {
        // The JDK server reads these once per JVM: short enough for the slow-loris test to see.
        System.setProperty("sun.net.httpserver.maxReqTime", "2");
        System.setProperty("sun.net.httpserver.idleInterval", "5");
    }

    private static Path model;

    /** The tiny-qwen2 preset with its byte-level R1 vocabulary and chat template, Q8_0, written once per JVM. */
    static synchronized Path tinyModel() {
        if (model != null) return model;
        try {
            Path dir = Files.createTempDirectory("r1-server-test");
            dir.toFile().deleteOnExit();
            ModelConfig cfg = Presets.get("tiny-qwen2");
            Map<String, GgufValue> meta = new LinkedHashMap<>(Vocabulary.tinyByteLevel(cfg.vocab()).toGgufMetadata(cfg.vocab()));
            meta.put("tokenizer.chat_template", GgufValue.string(R1ChatTemplate.publishedJinja()));
            Path out = dir.resolve("tiny.gguf");
            SyntheticModel.write(out, true, cfg, "server test", 11, s -> s.isVector() ? GgmlType.F32 : GgmlType.Q8_0, meta, 7, b -> {});
            out.toFile().deleteOnExit();
            return model = out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Model load() {
        return Engines.load("java", tinyModel(), 2);
    }

    static ServerOptions options() {
        return ServerOptions.defaults().withPort(0).withModelId("tiny").withSlots(4).withCtx(512).withQueue(8)
                .withMaxTokens(400).withPingInterval(Duration.ofMillis(200)).withThreads(1);
    }

    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Reply(int status, String body, java.net.http.HttpHeaders headers) {
        JsonNode json() {
            try {
                return OpenAiServer.JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    static Reply post(int port, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (headers.length > 0) b.headers(headers);
        return send(b.build());
    }

    static Reply get(int port, String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30)).GET();
        if (headers.length > 0) b.headers(headers);
        return send(b.build());
    }

    static Reply send(HttpRequest r) {
        try {
            HttpResponse<String> res = CLIENT.send(r, HttpResponse.BodyHandlers.ofString());
            return new Reply(res.statusCode(), res.body(), res.headers());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The JSON objects of an SSE body, with "[DONE]" as a text node; asserts the framing. */
    static List<JsonNode> events(String sse) {
        List<JsonNode> out = new ArrayList<>();
        for (String ev : sse.split("\n\n")) {
            if (ev.isEmpty() || ev.startsWith(":")) continue;
            if (!ev.startsWith("data: ")) throw new AssertionError("not an SSE data event: " + ev);
            String d = ev.substring(6);
            try {
                out.add(d.equals("[DONE]") ? OpenAiServer.JSON.getNodeFactory().textNode("[DONE]") : OpenAiServer.JSON.readTree(d));
            } catch (IOException e) {
                throw new AssertionError("bad event JSON: " + d, e);
            }
        }
        return out;
    }
}

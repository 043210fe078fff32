package dev.r1.cli;

import dev.r1.engine.Engines;
import dev.r1.models.ModelException;
import dev.r1.server.OpenAiServer;
import dev.r1.server.ServerOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model over an OpenAI-compatible HTTP API (chat/completions, completions, models, health,",
                "tokenize, detokenize, metrics; each with and without /v1). R1 reasoning comes back as",
                "reasoning_content. Binds loopback; another --host needs --api-key-file. SIGTERM/Ctrl-C stops it",
                "gracefully (running answers get a few seconds to finish).", "",
                "Examples:",
                "  r1 serve model.gguf",
                "  r1 serve model.gguf --slots 4 --ctx 8192 --port 8081",
                "  r1 serve model.gguf --host 0.0.0.0 --api-key-file ~/.r1-key --cors-origin https://app.example"})
final class ServeCommand implements Callable<Integer> {

    @Parameters(paramLabel = "MODEL", description = "GGUF model file")
    Path model;

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1", description = "address to bind (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "port, 0 = any free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--slots", paramLabel = "N", defaultValue = "1", description = "answers generated at once, decoded together (default: ${DEFAULT-VALUE})")
    int slots;

    @Option(names = {"-c", "--ctx"}, paramLabel = "N", defaultValue = "0", description = "context per slot in tokens (default: 4096, capped at the model's)")
    int ctx;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "16", description = "requests that may wait for a slot; more get 503 (default: ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "auto", description = "auto, java, llama.cpp or cuda (default: ${DEFAULT-VALUE}: java when its kernels for every tensor type of the file run at llama.cpp's speed, else llama.cpp; it says which)")
    String backend;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all cores)")
    Integer threads;

    @Option(names = "--api-key-file", paramLabel = "FILE", description = "file holding the API key clients must send as a Bearer token")
    Path apiKeyFile;

    @Option(names = "--cors-origin", paramLabel = "ORIGIN", description = "origin allowed to call from a browser (repeatable; default: none)")
    List<String> corsOrigins = new ArrayList<>();

    @Option(names = "--model-id", paramLabel = "NAME", description = "model name reported by /v1/models (default: the file name)")
    String modelId;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "4096", description = "most tokens one answer may have (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "256", description = "open connections at most (default: ${DEFAULT-VALUE})")
    int maxConnections;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600", description = "seconds a request may run, queueing included (default: ${DEFAULT-VALUE})")
    int timeout;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (!Files.exists(model)) throw new ModelException(model + ": no such model file");
        String b = Engines.check(backend);
        String id = modelId != null ? modelId : model.getFileName().toString().replaceFirst("\\.gguf$", "");
        Path file = HfImport.gguf(model); // an HF directory serves from its weights as stored, imported once
        Engines.Choice choice = Engines.resolve(b, file);
        System.err.println("r1: backend " + choice.backend() + (choice.why() != null ? ": " + choice.why() : ""));
        String chosen = choice.backend();
        String key = null;
        if (apiKeyFile != null) {
            key = Files.readString(apiKeyFile, StandardCharsets.UTF_8).strip();
            if (key.length() < 16) throw new IllegalArgumentException("--api-key-file " + apiKeyFile + ": the key must be at least 16 characters");
        }
        if (timeout < 1) throw new IllegalArgumentException("--timeout must be >= 1 second");
        ServerOptions o = ServerOptions.defaults().withHost(host).withPort(port).withModelId(id).withSlots(slots).withCtx(ctx)
                .withQueue(queue).withApiKey(key).withCorsOrigins(corsOrigins).withMaxTokens(maxTokens)
                .withMaxConnections(maxConnections).withThreads(threads != null ? threads : 0)
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(timeout));
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        // warmed up before it reports ready, so that the first request is not the one that waits for the JIT
        OpenAiServer server = OpenAiServer.startLoading(o, () -> {
            var m = Engines.load(chosen, file, t);
            m.warmUp();
            return m;
        });
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("r1 serve: stopping (running answers get 5 s to finish)");
            server.close(5000);
            stopped.countDown();
        }));
        System.err.printf("r1 serve: http://%s:%d/v1 (%s on %s, %d slot%s); loading the model...%n",
                host.contains(":") ? "[" + host + "]" : host, server.port(), id, b, slots, slots == 1 ? "" : "s");
        if (OpenAiServer.connectionWatchUnavailable() != null)
            System.err.println("r1 serve: warning: client connections cannot be watched (run the JVM with --add-opens "
                    + "jdk.httpserver/sun.net.httpserver=ALL-UNNAMED, as ./r1 does): a client that leaves a non-streaming "
                    + "request is noticed only when its answer is written");
        while (!server.isReady() && server.loadError() == null) Thread.sleep(50);
        if (server.loadError() != null) {
            System.err.println("r1 serve: the model failed to load: " + server.loadError());
            return 1;
        }
        System.err.println("r1 serve: ready");
        stopped.await();
        return 0;
    }
}

package dev.r1.server;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.r1.engine.Model;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * An OpenAI-compatible HTTP server over one loaded {@link Model}: the JDK's HttpServer, one virtual thread
 * per exchange, Jackson for every JSON body. Listening starts before the model is loaded ({@code /health}
 * answers 503 meanwhile). Endpoints are mounted with and without the {@code /v1} prefix.
 */
public final class OpenAiServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    static {
        // Nesting and number caps well below Jackson's defaults: a request body is a few fields and messages.
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64).maxNumberLength(64).maxStringLength(8 << 20).build());
    }

    final ServerOptions options;
    final Metrics metrics = new Metrics();
    final Security security;
    private final HttpServer http;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final long created = System.currentTimeMillis() / 1000;
    private volatile Model model;
    private volatile Scheduler scheduler;
    private volatile String loadError;
    private final boolean ownsModel;
    private final Completions completions;

    private OpenAiServer(ServerOptions o, boolean ownsModel) throws IOException {
        this.options = o;
        this.ownsModel = ownsModel;
        this.security = new Security(o);
        applyHttpLimits(o);
        http = HttpServer.create(new InetSocketAddress(o.host(), o.port()), 64);
        http.setExecutor(executor);
        http.createContext("/", this::handle);
        security.bound(http.getAddress().getPort());
        completions = new Completions(this);
    }

    /** Serves an already loaded model (the caller closes it after the server). */
    public static OpenAiServer start(ServerOptions o, Model model) throws IOException {
        OpenAiServer s = new OpenAiServer(o, false);
        s.ready(model);
        s.http.start();
        return s;
    }

    /** Listens at once and loads the model in the background; the server closes the model. */
    public static OpenAiServer startLoading(ServerOptions o, Supplier<Model> loader) throws IOException {
        OpenAiServer s = new OpenAiServer(o, true);
        s.http.start();
        Thread.ofPlatform().name("r1-load").start(() -> {
            try {
                s.ready(loader.get());
            } catch (RuntimeException e) {
                s.loadError = e.getMessage();
            }
        });
        return s;
    }

    private void ready(Model m) {
        this.scheduler = new Scheduler(m, options.slots(), options.ctx(), options.threads(), options.queue(), options.prefillChunk(), metrics);
        this.model = m;
    }

    /**
     * The JDK server reads its limits from system properties once, when its first instance starts; a
     * property already set (e.g. by a test or -D) wins.
     */
    private static void applyHttpLimits(ServerOptions o) {
        setIfAbsent("sun.net.httpserver.nodelay", "true"); // each SSE chunk leaves at once
        setIfAbsent("sun.net.httpserver.maxReqTime", Long.toString(Math.max(1, o.readTimeout().toSeconds())));
        setIfAbsent("sun.net.httpserver.idleInterval", Long.toString(Math.max(1, o.idleTimeout().toSeconds())));
        setIfAbsent("jdk.httpserver.maxConnections", Integer.toString(o.maxConnections()));
        setIfAbsent("sun.net.httpserver.maxReqHeaders", "64");
        setIfAbsent("sun.net.httpserver.maxReqHeaderSize", Integer.toString(64 * 1024));
    }

    private static void setIfAbsent(String k, String v) {
        if (System.getProperty(k) == null) System.setProperty(k, v);
    }

    public int port() { return http.getAddress().getPort(); }

    /**
     * Null when the server can watch its clients' connections (so a client that leaves is noticed at once),
     * else why not (the JVM lacks {@code --add-opens jdk.httpserver/sun.net.httpserver=ALL-UNNAMED}).
     */
    public static String connectionWatchUnavailable() { return ConnectionWatch.UNAVAILABLE; }

    /** True once the model is loaded. */
    public boolean isReady() { return scheduler != null; }

    /** The load failure, or null. */
    public String loadError() { return loadError; }

    Model model() { return model; }

    Scheduler scheduler() {
        Scheduler s = scheduler;
        if (s == null) throw ApiException.unavailable(loadError != null ? "the model failed to load: " + loadError : "the model is loading");
        return s;
    }

    /** Busy slots and waiting choices (tests check that nothing leaks). */
    public int busySlots() { Scheduler s = scheduler; return s == null ? 0 : s.busySlots(); }

    public int queueLength() { Scheduler s = scheduler; return s == null ? 0 : s.queueLength(); }

    private void handle(HttpExchange x) {
        metrics.started.increment();
        String path = x.getRequestURI().getPath();
        String endpoint = path.startsWith("/v1/") ? path.substring(3) : path;
        int status = 500;
        try (x) {
            try {
                security.checkHost(x);
                boolean corsOk = security.cors(x);
                if (x.getRequestMethod().equals("OPTIONS")) { // CORS preflight
                    if (!corsOk) throw new ApiException(403, "permission_error", "origin not allowed (start the server with --cors-origin ORIGIN)");
                    x.sendResponseHeaders(status = 204, -1);
                    return;
                }
                if (!endpoint.equals("/health")) security.checkKey(x);
                status = route(x, endpoint);
            } catch (ApiException e) {
                status = e.status;
                sendError(x, e);
            } catch (IOException e) {
                status = 499; // the client went away
            } catch (RuntimeException e) {
                status = 500;
                sendError(x, ApiException.server(e.toString()));
            }
        } finally {
            metrics.request(known(endpoint), status);
        }
    }

    private static String known(String endpoint) {
        return switch (endpoint) {
            case "/chat/completions", "/completions", "/models", "/health", "/tokenize", "/detokenize", "/metrics" -> endpoint;
            default -> "other";
        };
    }

    private int route(HttpExchange x, String endpoint) throws IOException {
        String method = x.getRequestMethod();
        switch (endpoint) {
            case "/health" -> {
                requireMethod(method, "GET");
                Scheduler s = scheduler;
                if (s == null) throw ApiException.unavailable(loadError != null ? "the model failed to load: " + loadError : "the model is loading");
                ObjectNode o = JSON.createObjectNode().put("status", "ok").put("slots_idle", s.slotCount() - s.busySlots())
                        .put("slots_processing", s.busySlots());
                return sendJson(x, 200, o);
            }
            case "/models" -> {
                requireMethod(method, "GET");
                ObjectNode o = JSON.createObjectNode().put("object", "list");
                ObjectNode m = o.putArray("data").addObject().put("id", options.modelId()).put("object", "model")
                        .put("created", created).put("owned_by", "r1");
                if (model != null) m.putObject("meta").put("n_ctx", scheduler().contextSize()).put("n_vocab", model.vocabSize());
                return sendJson(x, 200, o);
            }
            case "/metrics" -> {
                requireMethod(method, "GET");
                byte[] b = metrics.render().getBytes(StandardCharsets.UTF_8);
                x.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                x.sendResponseHeaders(200, b.length);
                x.getResponseBody().write(b);
                return 200;
            }
            case "/tokenize" -> {
                requireMethod(method, "POST");
                JsonNode b = readJson(x);
                scheduler();
                int[] ids = Requests.tokenize(b, model);
                ObjectNode o = JSON.createObjectNode();
                ArrayNode a = o.putArray("tokens");
                for (int id : ids) a.add(id);
                return sendJson(x, 200, o);
            }
            case "/detokenize" -> {
                requireMethod(method, "POST");
                JsonNode b = readJson(x);
                scheduler();
                return sendJson(x, 200, JSON.createObjectNode().put("content", model.detokenize(Requests.tokenIds(b, model))));
            }
            case "/chat/completions", "/completions" -> {
                requireMethod(method, "POST");
                JsonNode b = readJson(x);
                return completions.handle(x, b, endpoint.equals("/chat/completions"));
            }
            default -> throw new ApiException(404, "not_found_error", "no endpoint " + x.getRequestURI().getPath());
        }
    }

    private static void requireMethod(String method, String want) {
        if (!method.equals(want)) throw new ApiException(405, "invalid_request_error", "use " + want + " for this endpoint");
    }

    /**
     * Bytes past the cap that are read and dropped before an error (a 413, a 401...) is sent. The client may
     * still be sending; closing a connection with unread bytes resets it, and a reset client loses the answer it
     * had not read yet (seen under load: "header parser received no bytes"). Reading the rest first, as
     * nginx's lingering close does, lets the 413 arrive; bodies larger still are cut off. The time this
     * takes is bounded by the request read timeout.
     */
    static final long DRAIN_LIMIT = 32L << 20;

    /** The body as JSON, refused with 413 past the size cap (checked before and while reading). */
    JsonNode readJson(HttpExchange x) throws IOException {
        int cap = options.maxBodyBytes();
        long declared;
        try {
            declared = declaredLength(x);
        } catch (NumberFormatException e) {
            throw ApiException.invalid("bad Content-Length");
        }
        if (declared > cap) throw tooLarge(cap); // sendError reads the rest
        byte[] body = x.getRequestBody().readNBytes(cap + 1);
        if (body.length > cap) throw tooLarge(cap);
        return parseJson(body);
    }

    /** Before an error answer: the unread rest of the body, dropped, unless it is declared too large to bother. */
    private void drainBody(HttpExchange x) {
        long limit = options.maxBodyBytes() + DRAIN_LIMIT;
        try {
            if (declaredLength(x) > limit) return;
        } catch (NumberFormatException e) {
            return;
        }
        drain(x.getRequestBody(), limit);
    }

    /** The request's Content-Length, -1 when it has none; NumberFormatException when it is not a number. */
    private static long declaredLength(HttpExchange x) {
        String len = x.getRequestHeaders().getFirst("Content-Length");
        return len == null ? -1 : Long.parseLong(len.trim());
    }

    /** Reads and drops up to {@code limit} bytes; a client gone meanwhile ends it quietly. */
    static void drain(InputStream in, long limit) {
        byte[] buf = new byte[64 * 1024];
        try {
            for (long left = limit; left > 0; ) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) return;
                left -= n;
            }
        } catch (IOException ignored) {
            // the connection is closed after the answer anyway
        }
    }

    /** A request body as JSON; anything else is a 400 saying why. */
    static JsonNode parseJson(byte[] body) {
        if (body.length == 0) throw ApiException.invalid("the request body is empty; send a JSON object");
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.invalid("the body is not valid JSON: " + Requests.quote(e.getOriginalMessage()));
        } catch (IOException e) {
            throw ApiException.invalid("the body could not be read as JSON: " + Requests.quote(e.getMessage()));
        }
        if (n == null) throw ApiException.invalid("the request body is empty; send a JSON object");
        return n;
    }

    private static ApiException tooLarge(int cap) {
        return new ApiException(413, "invalid_request_error", "the request body is larger than " + cap + " bytes");
    }

    static ObjectNode errorBody(ApiException e) {
        ObjectNode o = JSON.createObjectNode();
        o.putObject("error").put("code", e.status).put("message", e.getMessage()).put("type", e.type);
        return o;
    }

    private void sendError(HttpExchange x, ApiException e) {
        try {
            drainBody(x);
            // a body past the drain limit, or one that was not JSON, leaves the connection in doubt
            if (e.status == 413 || e.status == 400) x.getResponseHeaders().set("Connection", "close");
            sendJson(x, e.status, errorBody(e));
        } catch (IOException | RuntimeException ignored) {
            // headers already sent (a stream) or the client is gone: nothing more to tell it
        }
    }

    static int sendJson(HttpExchange x, int status, JsonNode body) throws IOException {
        byte[] b = JSON.writeValueAsBytes(body);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, b.length);
        OutputStream out = x.getResponseBody();
        out.write(b);
        return status;
    }

    /** Stops listening, lets running generations end (up to {@code graceMillis}), frees the slots. */
    public void close(long graceMillis) {
        Scheduler s = scheduler;
        if (s != null) s.close(graceMillis);
        http.stop(2); // returns once the last exchanges (a final [DONE]) are written, or after 2 s
        executor.shutdownNow();
        if (ownsModel && model != null) model.close();
    }

    @Override
    public void close() { close(2000); }
}

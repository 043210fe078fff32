package dev.r1.server;

import com.sun.net.httpserver.HttpExchange;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Set;

/** The request checks that come before any work: Host (DNS rebinding), API key, CORS origin. */
final class Security {
    private final ServerOptions o;
    private final byte[] keyHash;
    private final boolean loopback;
    private volatile Set<String> hosts = Set.of();

    Security(ServerOptions o) {
        this.o = o;
        this.keyHash = o.apiKey() == null ? null : sha256(o.apiKey());
        this.loopback = isLoopback(o.host());
        if (!loopback && o.apiKey() == null)
            throw new IllegalArgumentException("refusing to listen on " + o.host() + " without an API key: anyone who can reach it "
                    + "could use the model; pass --api-key-file FILE (or bind 127.0.0.1)");
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--host " + host + ": unknown host");
        }
    }

    /** The Host header values a loopback server answers to, once the port is known. */
    void bound(int port) {
        hosts = Set.of("localhost", "127.0.0.1", "[::1]", "localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port);
    }

    /**
     * On loopback a browser page from any site can reach the server through a name that resolves to
     * 127.0.0.1 (DNS rebinding); its requests carry that name as Host, so only our own names pass.
     */
    void checkHost(HttpExchange x) {
        if (!loopback) return;
        String h = x.getRequestHeaders().getFirst("Host");
        if (h == null || !hosts.contains(h.toLowerCase(Locale.ROOT)))
            throw new ApiException(403, "permission_error", "Host header '" + h + "' is not one of this server's names");
    }

    /** Bearer key check; both sides hashed first so the comparison takes the same time whatever the input. */
    void checkKey(HttpExchange x) {
        if (keyHash == null) return;
        String auth = x.getRequestHeaders().getFirst("Authorization");
        String given = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : "";
        if (!MessageDigest.isEqual(keyHash, sha256(given)))
            throw new ApiException(401, "authentication_error", "missing or wrong API key (send Authorization: Bearer KEY)");
    }

    /** Adds CORS headers for a listed Origin; returns whether the origin is allowed (false when absent). */
    boolean cors(HttpExchange x) {
        String origin = x.getRequestHeaders().getFirst("Origin");
        if (origin == null || !o.corsOrigins().contains(origin)) return false;
        var h = x.getResponseHeaders();
        h.set("Access-Control-Allow-Origin", origin); // the origin itself, never "*"
        h.set("Vary", "Origin");
        h.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        h.set("Access-Control-Allow-Headers", "Authorization, Content-Type");
        h.set("Access-Control-Max-Age", "600");
        return true;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

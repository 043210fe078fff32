package dev.r1.server;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Notices a client that closes its connection while its answer is being generated, so that the generation
 * stops at its next token even when nothing is written meanwhile (a non-streaming request, or a stream
 * waiting in the queue or in a long prefill).
 *
 * <p>The JDK's HttpServer offers no connection state: once the request body is read, its stream answers
 * end-of-body without touching the socket. So the watch reads the exchange's socket itself, on a virtual
 * thread, once the body is consumed: end-of-stream (FIN) or a reset means the client left. A well-behaved
 * HTTP/1.1 client sends nothing more before the response (it does not pipeline), so the read just waits;
 * bytes it did send cannot be handed back to the server, which is why a watched exchange always answers with
 * {@code Connection: close} (one more TCP handshake per completion, nothing next to generating it). The
 * server then closes the socket after the response, which ends the read.
 *
 * <p>The socket is the exchange's private field: reaching it needs
 * {@code --add-opens jdk.httpserver/sun.net.httpserver=ALL-UNNAMED} (the r1 jar's manifest and the test JVMs
 * carry it). Without it, or on another JDK layout, nothing is watched and a client that leaves is noticed
 * when its answer (or the next streamed chunk) cannot be written; the server says so once, at start.
 */
final class ConnectionWatch {
    private ConnectionWatch() {}

    private static final Field EXCHANGE, CONNECTION, CHANNEL;
    /** Why watching is off, or null when it works. */
    static final String UNAVAILABLE;

    static {
        Field e = null, c = null, ch = null;
        String why = null;
        try {
            e = field("sun.net.httpserver.HttpExchangeImpl", "impl");
            c = field("sun.net.httpserver.ExchangeImpl", "connection");
            ch = field("sun.net.httpserver.HttpConnection", "chan");
            if (!SocketChannel.class.isAssignableFrom(ch.getType())) throw new NoSuchFieldException("HttpConnection.chan is a " + ch.getType());
        } catch (ReflectiveOperationException | RuntimeException x) {
            why = x.toString();
        }
        EXCHANGE = why == null ? e : null;
        CONNECTION = why == null ? c : null;
        CHANNEL = why == null ? ch : null;
        UNAVAILABLE = why;
    }

    private static Field field(String cls, String name) throws ReflectiveOperationException {
        Field f = Class.forName(cls, false, HttpExchange.class.getClassLoader()).getDeclaredField(name);
        f.setAccessible(true); // InaccessibleObjectException (a RuntimeException) without --add-opens
        return f;
    }

    /** The exchange's socket, or null when it cannot be reached (another HttpServer, HTTPS, no --add-opens). */
    static SocketChannel channel(HttpExchange x) {
        if (UNAVAILABLE != null) return null;
        try {
            Object impl = EXCHANGE.getDeclaringClass().isInstance(x) ? EXCHANGE.get(x) : null;
            Object conn = impl == null ? null : CONNECTION.get(impl);
            return conn == null ? null : (SocketChannel) CHANNEL.get(conn);
        } catch (IllegalAccessException e) {
            return null;
        }
    }

    /**
     * Runs {@code onGone} once when the client of {@code x} closes or resets its connection (or the server
     * closes it after answering, when {@code onGone} must be harmless). Call after the request body is read,
     * before the response. Returns false, doing nothing, when the socket cannot be watched.
     */
    static boolean watch(HttpExchange x, Runnable onGone) {
        SocketChannel ch = channel(x);
        if (ch == null || !ch.isBlocking()) return false;
        x.getResponseHeaders().set("Connection", "close"); // bytes the watch reads cannot be given back
        Thread.ofVirtual().name("r1-watch").start(() -> {
            ByteBuffer b = ByteBuffer.allocate(64);
            try {
                while (ch.read(b.clear()) >= 0) {
                    // a pipelined request or garbage: dropped (the connection closes after this answer)
                }
            } catch (IOException | RuntimeException e) {
                // reset by the client, or closed by the server after the answer
            }
            onGone.run();
        });
        return true;
    }
}

package dev.r1.server;

/** A request that fails with an OpenAI-style error body {@code {"error": {"code", "message", "type"}}}. */
public final class ApiException extends RuntimeException {
    public final int status;
    public final String type;

    public ApiException(int status, String type, String message) {
        super(message);
        this.status = status;
        this.type = type;
    }

    public static ApiException invalid(String message) { return new ApiException(400, "invalid_request_error", message); }
    public static ApiException unavailable(String message) { return new ApiException(503, "unavailable_error", message); }
    public static ApiException server(String message) { return new ApiException(500, "server_error", message); }
}

package dev.r1.quantize;

/** The one exception the quantize module throws across its boundary; messages name the tensor or file. */
public class QuantizeException extends RuntimeException {
    public QuantizeException(String message) { super(message); }
    public QuantizeException(String message, Throwable cause) { super(message, cause); }
}

package dev.r1.models;

import java.nio.file.Path;

/**
 * The one error a user sees from the models module: a model file (or config) is missing, malformed,
 * or not supported. Messages name the file and the field, say what was expected and what was found,
 * and, where it helps, what to do about it. The CLI prints the message without a stack trace.
 */
public class ModelException extends RuntimeException {

    /** Longest message: they quote names and values from hostile files. */
    static final int MAX_MESSAGE_CHARS = 1600;

    public ModelException(String message) {
        super(oneLine(message, MAX_MESSAGE_CHARS));
    }

    public ModelException(String message, Throwable cause) {
        super(oneLine(message, MAX_MESSAGE_CHARS), cause);
    }

    /** A problem with one field of one file: {@code "<file>: <field>: <detail>"}. */
    public static ModelException at(Object file, String field, String detail) {
        // Each part bounded on its own, so a megabyte-long key still leaves the detail readable.
        return new ModelException(oneLine(describe(file), 300) + ": " + oneLine(field, 300) + ": " + oneLine(detail, 900));
    }

    /**
     * {@code s} as one printable line of at most {@code max} characters: line breaks and other control
     * characters escaped (a key or token read from a file may hold any), the middle elided when too long.
     */
    public static String oneLine(String s, int max) {
        if (s == null) return "null";
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean control = c < 0x20 || (c >= 0x7F && c < 0xA0) || c == '\u2028' || c == '\u2029';
            if (control && b == null) b = new StringBuilder(s.length() + 16).append(s, 0, i);
            if (b != null) {
                if (!control) b.append(c);
                else if (c == '\n') b.append("\\n");
                else if (c == '\r') b.append("\\r");
                else if (c == '\t') b.append("\\t");
                else b.append(String.format("\\u%04x", (int) c));
            }
        }
        String out = b == null ? s : b.toString();
        if (out.length() <= max) return out;
        int head = max * 2 / 3, tail = max - head - 5;
        return out.substring(0, head) + " ... " + out.substring(out.length() - tail);
    }

    /**
     * A JSON reader's complaint on one line: Jackson's own message without its multi-line source excerpt,
     * plus the line and column.
     */
    public static String jsonProblem(java.io.IOException e) {
        if (e instanceof com.fasterxml.jackson.core.JsonProcessingException j) {
            com.fasterxml.jackson.core.JsonLocation at = j.getLocation();
            String msg = String.valueOf(j.getOriginalMessage()).replaceAll("\\s*\\R\\s*", " ");
            return at == null ? msg : msg + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        }
        return String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " ");
    }

    /** Short, stable file naming for messages: the path as given (a Path, a String, or a description). */
    public static String describe(Object file) {
        return file instanceof Path p ? p.toString() : String.valueOf(file);
    }
}

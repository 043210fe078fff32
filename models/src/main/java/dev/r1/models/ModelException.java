package dev.r1.models;

import java.nio.file.Path;

/**
 * The one error a user sees from the models module: a model file (or config) is missing, malformed,
 * or not supported. Messages name the file and the field, say what was expected and what was found,
 * and, where it helps, what to do about it. The CLI prints the message without a stack trace.
 */
public class ModelException extends RuntimeException {

    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A problem with one field of one file: {@code "<file>: <field>: <detail>"}. */
    public static ModelException at(Object file, String field, String detail) {
        return new ModelException(describe(file) + ": " + field + ": " + detail);
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

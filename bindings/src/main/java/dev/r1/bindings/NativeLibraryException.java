package dev.r1.bindings;

/**
 * A native library r1 needs is missing, unloadable or not the pinned build. The message says which file,
 * where it was looked for, and the command that fetches it; callers print it as is.
 */
public final class NativeLibraryException extends RuntimeException {
    public NativeLibraryException(String message) {
        super(message);
    }

    public NativeLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}

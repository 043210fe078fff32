package dev.r1.models.io;

import dev.r1.models.ModelException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Files the tools write (models, reports, plots): checked before the work starts, written to a temporary
 * file beside the target and moved into place, so a failure never leaves a partial file.
 *
 * <p>The temporary file is {@code .NAME.r1-PID-RANDOM.tmp}. It is created like any plain file (the
 * user's umask decides its mode, so others can read the result as they would any file the user makes;
 * {@code Files.createTempFile} would give 0600). A JVM shutdown hook deletes the ones still open when
 * the process is stopped (Ctrl-C, SIGTERM), and each new write sweeps temporary files of the same target
 * left by a process that is gone (SIGKILL, power loss).
 */
public final class OutputFiles {
    private OutputFiles() {}

    private static final Set<Path> OPEN = ConcurrentHashMap.newKeySet();
    /** Files from before the PID was in the name ({@code .NAME.<digits>.tmp}): swept once idle this long. */
    private static final Duration LEGACY_IDLE = Duration.ofMinutes(10);

    static {
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(OutputFiles::deleteOpen, "r1-temp-cleanup"));
        } catch (IllegalStateException alreadyShuttingDown) {
            // first used during shutdown: nothing will be written that needs cleaning up
        }
    }

    /** Writes the content of one file to a stream. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Fails early, with what to do, when {@code target} cannot be written: its folder is missing or not
     * writable, it is a folder, or it exists and {@code overwrite} is off ({@code forceHint} names the
     * option that allows it, or is null when replacing is always fine).
     */
    public static void checkWritable(Path target, String what, boolean overwrite, String forceHint) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (Files.isDirectory(abs)) throw new ModelException(target + ": is a directory; give a file name for the " + what);
        if (dir == null || !Files.isDirectory(dir))
            throw new ModelException(target + ": the folder " + dir + " does not exist; create it or write the " + what + " elsewhere");
        if (!Files.isWritable(dir))
            throw new ModelException(target + ": no permission to write in " + dir + "; write the " + what + " elsewhere");
        if (!overwrite && Files.exists(abs))
            throw new ModelException(target + ": already exists; choose another name"
                    + (forceHint != null ? " or pass " + forceHint + " to replace it" : ""));
        if (Files.exists(abs) && !Files.isWritable(abs))
            throw new ModelException(target + ": exists and is not writable; write the " + what + " elsewhere");
    }

    /**
     * Creates an empty temporary file beside {@code target} (first sweeping stale ones of ours) and
     * registers it for deletion should the process be stopped; {@link #release} unregisters it.
     */
    public static Path createTemp(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        sweepStale(abs);
        String prefix = "." + abs.getFileName() + ".r1-" + ProcessHandle.current().pid() + "-";
        for (int attempt = 0; ; attempt++) {
            Path tmp = abs.resolveSibling(prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            OPEN.add(tmp); // before creating it: a stop between the two must still find it
            try {
                // CREATE_NEW without attributes: the mode a plain create gives under the umask.
                FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                OPEN.remove(tmp);
                if (attempt > 100) throw e;
            } catch (IOException | RuntimeException e) {
                OPEN.remove(tmp);
                throw e;
            }
        }
    }

    /** The temporary file was moved into place or deleted: no longer ours to clean up. */
    public static void release(Path temp) {
        OPEN.remove(temp);
    }

    /** Deletes {@code temp} (best effort) and unregisters it. */
    public static void discard(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // best effort: the next write of the same target sweeps it
        }
        OPEN.remove(temp);
    }

    /** Writes {@code target} atomically (temporary file, then rename), replacing an existing file. */
    public static void writeAtomically(Path target, Content content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path tmp = createTemp(abs);
        try {
            try (OutputStream os = Channels.newOutputStream(FileChannel.open(tmp, StandardOpenOption.WRITE))) {
                content.writeTo(os);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            discard(tmp);
        }
    }

    /** Temporary files still open (for the shutdown hook and tests). */
    static Set<Path> open() {
        return Set.copyOf(OPEN);
    }

    /** What the shutdown hook does: deletes every temporary file not yet moved into place. */
    static void deleteOpen() {
        for (Path p : OPEN) discard(p);
    }

    private static final Pattern OURS = Pattern.compile("\\.(.+)\\.r1-(\\d+)-[0-9a-z]+\\.tmp");
    private static final Pattern LEGACY = Pattern.compile("\\.(.+)\\.\\d+\\.tmp");

    /**
     * Deletes temporary files of {@code target} that nobody writes any more: ours whose process is gone,
     * and older-style ones untouched for a while. Returns how many were deleted.
     */
    public static int sweepStale(Path target) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        String name = abs.getFileName().toString();
        if (dir == null || !Files.isDirectory(dir)) return 0;
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "." + globEscape(name) + ".*.tmp")) {
            for (Path p : ds) {
                if (isStale(p, name)) {
                    try {
                        if (Files.deleteIfExists(p)) n++;
                    } catch (IOException ignored) {
                        // not ours to insist on (another user's file, a read-only folder)
                    }
                }
            }
        } catch (IOException ignored) {
            // sweeping is housekeeping; the write itself reports real problems
        }
        return n;
    }

    private static boolean isStale(Path p, String targetName) throws IOException {
        String f = p.getFileName().toString();
        Matcher m = OURS.matcher(f);
        if (m.matches() && m.group(1).equals(targetName)) {
            long pid = Long.parseLong(m.group(2));
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            return h.isEmpty() || !h.get().isAlive();
        }
        Matcher l = LEGACY.matcher(f);
        if (l.matches() && l.group(1).equals(targetName)) {
            FileTime t = Files.getLastModifiedTime(p);
            return t.toInstant().isBefore(Instant.now().minus(LEGACY_IDLE));
        }
        return false;
    }

    private static String globEscape(String s) {
        return s.replaceAll("([*?\\[\\]{}\\\\])", "\\\\$1");
    }
}

package dev.r1.models.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.models.ModelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputFilesTest {
    @TempDir Path dir;

    @Test
    void tempFilesGetThePlainCreateModeAndTheStopHookDeletesOnlyUnfinishedOnes() throws Exception {
        var plain = Files.getPosixFilePermissions(Files.createFile(dir.resolve("plain")));
        Path a = OutputFiles.createTemp(dir.resolve("a.gguf")), b = OutputFiles.createTemp(dir.resolve("b.gguf"));
        assertEquals(plain, Files.getPosixFilePermissions(a), "not createTempFile's 0600");
        assertTrue(a.getFileName().toString().matches("\\.a\\.gguf\\.r1-" + ProcessHandle.current().pid() + "-[0-9a-z]+\\.tmp"), a.toString());
        Files.move(b, dir.resolve("b.gguf"));
        OutputFiles.release(b); // b is in place: not the hook's to delete
        assertTrue(OutputFiles.open().contains(a) && !OutputFiles.open().contains(b));
        OutputFiles.deleteOpen(); // what Ctrl-C / SIGTERM runs
        assertFalse(Files.exists(a));
        assertTrue(Files.exists(dir.resolve("b.gguf")));
        assertTrue(OutputFiles.open().isEmpty());
    }

    @Test
    void olderStyleTempFilesAreSweptOnlyOnceIdle() throws Exception {
        Path old = Files.writeString(dir.resolve(".m.gguf.1234567890.tmp"), "x");
        Path fresh = Files.writeString(dir.resolve(".m.gguf.987654321.tmp"), "x");
        Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(1, ChronoUnit.HOURS)));
        assertEquals(1, OutputFiles.sweepStale(dir.resolve("m.gguf")));
        assertFalse(Files.exists(old));
        assertTrue(Files.exists(fresh), "may still be written by an older r1");
    }

    @Test
    void atomicWriteReplacesAndChecksSayWhatToDo() throws Exception {
        Path t = dir.resolve("r.json");
        OutputFiles.writeAtomically(t, os -> os.write("one".getBytes()));
        OutputFiles.writeAtomically(t, os -> os.write("two".getBytes()));
        assertEquals("two", Files.readString(t));
        assertThrows(java.io.IOException.class, () -> OutputFiles.writeAtomically(t, os -> { throw new java.io.IOException("disk full"); }));
        assertEquals("two", Files.readString(t), "a failed write leaves the old file");
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "and no temp file");
        }
        var e = assertThrows(ModelException.class, () -> OutputFiles.checkWritable(t, "report", false, "--force"));
        assertTrue(e.getMessage().contains("--force"), e.getMessage());
        e = assertThrows(ModelException.class, () -> OutputFiles.checkWritable(dir.resolve("no/x.json"), "report", true, null));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        e = assertThrows(ModelException.class, () -> OutputFiles.checkWritable(dir, "report", true, null));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
    }
}

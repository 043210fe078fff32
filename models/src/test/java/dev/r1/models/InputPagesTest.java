package dev.r1.models;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Released input pages leave the process's resident set (per /proc/self/smaps) and read back unchanged. */
class InputPagesTest {
    @TempDir Path tmp;

    private static final int PAGE = 4096;

    @Test
    void releasedPagesLeaveTheResidentSetAndReadBackUnchanged() throws IOException {
        assumeTrue(InputPages.supported() && Files.isReadable(Path.of("/proc/self/smaps")), "needs Linux madvise");
        int size = 4 << 20;
        byte[] bytes = new byte[size];
        new Random(5).nextBytes(bytes);
        Path f = Files.write(tmp.resolve("input.bin"), bytes).toRealPath();
        try (FileChannel ch = FileChannel.open(f); Arena arena = Arena.ofConfined()) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            touch(m);
            assertEquals(size / 1024, residentKb(f), "every page read is resident");

            // A range that is not page-aligned releases only the pages wholly inside it.
            InputPages.release(m, 1, 3L * PAGE - 2);
            assertEquals(size / 1024 - PAGE / 1024, residentKb(f), "only page 1 lies wholly inside [1, 3 pages - 1)");

            InputPages.release(m, 0, size);
            assertTrue(residentKb(f) <= PAGE / 1024, "released: " + residentKb(f) + " kB still resident");
            assertArrayEquals(bytes, m.toArray(ValueLayout.JAVA_BYTE), "released pages read back from the file");
        }
    }

    @Test
    void heapSegmentsAndEmptyRangesAreLeftAlone() {
        byte[] a = {1, 2, 3};
        InputPages.release(MemorySegment.ofArray(a), 0, 3);
        InputPages.release(MemorySegment.ofArray(a), 0, 0);
        assertArrayEquals(new byte[] {1, 2, 3}, a);
    }

    private static void touch(MemorySegment m) {
        long sum = 0;
        for (long o = 0; o < m.byteSize(); o += PAGE) sum += m.get(ValueLayout.JAVA_BYTE, o);
        if (sum == Long.MIN_VALUE) throw new AssertionError(); // keep the reads
    }

    /** Rss of the mapping of {@code file} in /proc/self/smaps, in kB. */
    private static long residentKb(Path file) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).endsWith(" " + file)) continue;
            for (int j = i + 1; j < lines.size(); j++) {
                String l = lines.get(j);
                if (l.startsWith("Rss:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError(file + " is not mapped");
    }
}

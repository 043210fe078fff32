package dev.r1.engine.cpu;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class HugePageArenaTest {
    @Test
    void largeAllocationsAreAlignedZeroedAdvisedAndFreedAtClose() throws IOException {
        assumeTrue(HugePageArena.available(), "not Linux: the plain arena serves");
        MemorySegment seg;
        try (HugePageArena arena = new HugePageArena()) {
            seg = arena.allocate(5 * HugePageArena.HUGE + 123, 64);
            assertEquals(0, seg.address() % HugePageArena.HUGE, "2 MiB aligned");
            assertEquals(5 * HugePageArena.HUGE + 123, seg.byteSize());
            for (long o = 0; o < seg.byteSize(); o += 4096) assertEquals(0, seg.get(ValueLayout.JAVA_BYTE, o), "zero at " + o);
            seg.fill((byte) 7);
            assertEquals(7, seg.get(ValueLayout.JAVA_BYTE, seg.byteSize() - 1));
            // the kernel records the advice as the mapping's "hg" flag (whether huge pages then came depends
            // on the machine's THP mode and free memory, so that is not asserted)
            assertTrue(vmFlags(seg.address()).contains(" hg"), "MADV_HUGEPAGE set on the mapping");
            MemorySegment small = arena.allocate(100, 8);
            assertEquals(100, small.byteSize());
        }
        MemorySegment closed = seg;
        assertThrows(IllegalStateException.class, () -> closed.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void theRepackedWeightsLiveInIt() {
        // CpuBackend.prepare's arena argument is where repack allocates; a Q4_0 matrix big enough for a
        // mapping of its own must land 2 MiB-aligned
        assumeTrue(HugePageArena.available());
        int rows = 4096, cols = 1024; // 2.25 MiB of Q4_0
        MemorySegment data = java.lang.foreign.Arena.ofAuto().allocate((long) rows * cols / 32 * 18, 64);
        try (HugePageArena arena = new HugePageArena(); Parallel pool = new Parallel(1)) {
            WeightMatrix w = CpuBackend.prepare("t", dev.r1.models.tensor.GgmlType.Q4_0, rows, cols, data, arena, pool);
            assumeTrue(w.packed() != null, "repacking off at this width");
            assertEquals(0, w.packed().address() % HugePageArena.HUGE);
        }
    }

    private static String vmFlags(long address) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        boolean in = false;
        for (String l : lines) {
            if (l.matches("^[0-9a-f]+-[0-9a-f]+ .*")) { // a mapping's header line
                String[] r = l.split(" ")[0].split("-");
                in = Long.parseUnsignedLong(r[0], 16) <= address && address < Long.parseUnsignedLong(r[1], 16);
            } else if (in && l.startsWith("VmFlags:")) {
                return l;
            }
        }
        return "";
    }
}

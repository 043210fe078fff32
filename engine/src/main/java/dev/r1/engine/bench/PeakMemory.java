package dev.r1.engine.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Peak resident set size of this process (VmHWM), the figure llama-bench users compare. */
public final class PeakMemory {
    private PeakMemory() {}

    /** Peak RSS in MiB, or -1 where /proc is not available. */
    public static long peakRssMb() {
        return procStatusKb("VmHWM:") / 1024;
    }

    /**
     * Resets the peak to the current RSS (Linux: "5" into /proc/self/clear_refs) so each backend measured in
     * one process gets its own peak. Returns false where the kernel doesn't allow it.
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    public static long currentRssMb() {
        return procStatusKb("VmRSS:") / 1024;
    }

    private static long procStatusKb(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith(key)) return Long.parseLong(line.replaceAll("\\D", ""));
        } catch (IOException | NumberFormatException ignored) { }
        return -1024;
    }
}

package dev.r1.cli;

import java.util.Locale;

/** Human-readable sizes and counts for CLI output. */
final class Format {
    private Format() {}

    static String bytes(long b) {
        if (b < 1024) return b + " B";
        String[] u = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int i = -1;
        while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
        return String.format(Locale.ROOT, "%.2f %s", v, u[i]);
    }

    /** Throughput of {@code bytes} in {@code seconds}, with the digits a small file needs ("0 MB/s" says nothing). */
    static String rate(long bytes, double seconds) {
        if (!(seconds > 0)) return "- MB/s";
        double mbps = bytes / 1e6 / seconds;
        return String.format(Locale.ROOT, mbps >= 100 ? "%.0f MB/s" : mbps >= 1 ? "%.1f MB/s" : "%.2f MB/s", mbps);
    }

    static String count(long n) {
        if (n >= 1_000_000_000L) return String.format(Locale.ROOT, "%.2f B", n / 1e9);
        if (n >= 1_000_000L) return String.format(Locale.ROOT, "%.2f M", n / 1e6);
        if (n >= 1_000L) return String.format(Locale.ROOT, "%.1f K", n / 1e3);
        return Long.toString(n);
    }
}

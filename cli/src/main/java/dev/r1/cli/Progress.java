package dev.r1.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress on stderr: a redrawn bar with ETA on a terminal, a plain line every 10% otherwise (logs, CI),
 * so long work (synth, quantize) never looks hung.
 */
final class Progress {
    private final String label;
    private final long total;
    private final long t0 = System.nanoTime();
    private final boolean tty = System.console() != null && System.getenv("R1_NO_PROGRESS") == null;
    private final PrintStream err = System.err;
    private long lastDraw;
    private int lastDecile = -1;

    Progress(String label, long total) {
        this.label = label;
        this.total = Math.max(1, total);
    }

    synchronized void update(long done) {
        double f = Math.min(1, (double) done / total);
        double secs = (System.nanoTime() - t0) / 1e9;
        if (tty) {
            long now = System.nanoTime();
            if (now - lastDraw < 100_000_000L && done < total) return; // redraw at most 10x a second
            lastDraw = now;
            int w = 30, fill = (int) (f * w);
            String eta = f > 0.01 ? String.format(Locale.ROOT, "ETA %ds", Math.round(secs / f - secs)) : "";
            err.printf(Locale.ROOT, "\r%s [%s%s] %3.0f%% %s   ", label, "#".repeat(fill), " ".repeat(w - fill), 100 * f, eta);
        } else {
            int decile = (int) (f * 10);
            if (decile != lastDecile) {
                lastDecile = decile;
                err.printf(Locale.ROOT, "%s: %3d%% (%.1fs)%n", label, decile * 10, secs);
            }
        }
    }

    void done() {
        if (tty) err.printf(Locale.ROOT, "\r%s done in %.1fs%s%n", label, (System.nanoTime() - t0) / 1e9, " ".repeat(40));
    }

    /**
     * "loading NAME (SIZE)..." on stderr for a model big enough to take a while (the engine maps, checks
     * and repacks it without reporting a fraction): on a terminal with the seconds ticking, so a 20 GB load
     * never looks hung; closing it says how long it took.
     */
    interface Loading extends AutoCloseable {
        @Override void close();
    }

    static Loading loading(java.nio.file.Path model) {
        return loading(model, 256L << 20);
    }

    static Loading loading(java.nio.file.Path model, long minBytes) {
        long size;
        try {
            size = java.nio.file.Files.size(model);
        } catch (java.io.IOException e) {
            size = 0;
        }
        if (size < minBytes) return () -> {};
        String what = String.format(Locale.ROOT, "loading %s (%s)", model.getFileName(), Format.bytes(size));
        long t0 = System.nanoTime();
        PrintStream err = System.err;
        boolean tty = System.console() != null && System.getenv("R1_NO_PROGRESS") == null;
        if (!tty) {
            err.println(what + "...");
            return () -> {};
        }
        Thread ticker = Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    err.printf(Locale.ROOT, "\r%s... %ds", what, (System.nanoTime() - t0) / 1_000_000_000L);
                    Thread.sleep(500);
                }
            } catch (InterruptedException done) {
                // loaded
            }
        });
        return () -> {
            ticker.interrupt();
            try {
                ticker.join();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            err.printf(Locale.ROOT, "\r%s in %.1fs%s%n", what, (System.nanoTime() - t0) / 1e9, " ".repeat(8));
        };
    }
}

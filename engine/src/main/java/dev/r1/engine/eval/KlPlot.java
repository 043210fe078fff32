package dev.r1.engine.eval;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The distribution of per-position KL as a histogram over log10(KL) (KL spans decades: most positions
 * near zero, a tail where the student is lost), with the mean, p99 and max marked; SVG or PNG by extension.
 */
public final class KlPlot {
    private static final int W = 900, H = 480, L = 70, R = 20, T = 50, B = 55, BINS = 48;

    private KlPlot() {}

    public static void write(Path out, String title, float[] kl) {
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean svg = name.endsWith(".svg");
        if (!svg && !name.endsWith(".png")) throw new EvalException("--plot file must end in .svg or .png: " + out);
        int zeros = 0;
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE, sum = 0;
        for (float v : kl) {
            sum += v;
            if (v <= 0) { zeros++; continue; }
            lo = Math.min(lo, Math.log10(v));
            hi = Math.max(hi, Math.log10(v));
        }
        if (zeros == kl.length) { lo = -1; hi = 0; }
        lo = Math.floor(lo);
        hi = Math.max(lo + 1, Math.ceil(hi));
        int[] bins = new int[BINS];
        for (float v : kl) if (v > 0) bins[Math.min(BINS - 1, (int) ((Math.log10(v) - lo) / (hi - lo) * BINS))]++;
        int top = 1;
        for (int b : bins) top = Math.max(top, b);
        float[] sorted = kl.clone();
        java.util.Arrays.sort(sorted);
        double[] marks = {sum / kl.length, KlStats.quantile(sorted, 0.99), sorted[sorted.length - 1]};
        String[] markNames = {"mean", "p99", "max"};
        String sub = String.format(Locale.ROOT, "%d positions%s; x: log10 KL (nats)", kl.length, zeros > 0 ? ", " + zeros + " with KL 0 not drawn" : "");
        Canvas c = svg ? new Svg() : new Png();
        c.text(L, 22, title, 15);
        c.text(L, 40, sub, 12);
        int pw = W - L - R, ph = H - T - B;
        c.line(L, H - B, W - R, H - B, "#000000");
        c.line(L, T, L, H - B, "#000000");
        for (int b = 0; b < BINS; b++) {
            int h = (int) Math.round((double) bins[b] / top * ph);
            int x0 = L + b * pw / BINS, x1 = L + (b + 1) * pw / BINS;
            if (h > 0) c.rect(x0 + 1, H - B - h, x1 - x0 - 1, h, "#1f77b4");
        }
        for (int d = (int) lo; d <= (int) hi; d++) {
            int x = L + (int) Math.round((d - lo) / (hi - lo) * pw);
            c.line(x, H - B, x, H - B + 5, "#000000");
            c.text(x - 10, H - B + 20, "1e" + d, 11);
        }
        c.text(8, T + 10, String.valueOf(top), 11);
        c.text(8, H - B, "0", 11);
        c.text(W / 2 - 60, H - 12, "KL(teacher ‖ student) per position", 12);
        for (int i = 0; i < marks.length; i++) {
            if (!(marks[i] > 0)) continue;
            int x = L + (int) Math.round((Math.log10(marks[i]) - lo) / (hi - lo) * pw);
            c.line(x, T, x, H - B, "#d62728");
            c.text(x + 3, T + 12 + 14 * i, String.format(Locale.ROOT, "%s %.3g", markNames[i], marks[i]), 11);
        }
        try {
            Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), "." + out.getFileName(), ".tmp");
            try {
                try (OutputStream os = Files.newOutputStream(tmp)) {
                    c.finish(os);
                }
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new EvalException("cannot write plot " + out + ": " + e.getMessage(), e);
        }
    }

    /** The three primitives the plot needs, drawn to SVG text or a PNG image alike. */
    private interface Canvas {
        void line(int x0, int y0, int x1, int y1, String color);
        void rect(int x, int y, int w, int h, String color);
        void text(int x, int y, String s, int size);
        void finish(OutputStream os) throws IOException;
    }

    private static final class Svg implements Canvas {
        private final StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n", W, H));

        public void line(int x0, int y0, int x1, int y1, String color) {
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"/>%n", x0, y0, x1, y1, color));
        }

        public void rect(int x, int y, int w, int h, String color) {
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>%n", x, y, w, h, color));
        }

        public void text(int x, int y, String s, int size) {
            String esc = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"%d\">%s</text>%n", x, y, size, esc));
        }

        public void finish(OutputStream os) throws IOException {
            sb.append("</svg>\n");
            os.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    private static final class Png implements Canvas {
        private final BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        private final Graphics2D g = img.createGraphics();

        Png() {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, W, H);
        }

        public void line(int x0, int y0, int x1, int y1, String color) {
            g.setColor(Color.decode(color));
            g.drawLine(x0, y0, x1, y1);
        }

        public void rect(int x, int y, int w, int h, String color) {
            g.setColor(Color.decode(color));
            g.fillRect(x, y, w, h);
        }

        public void text(int x, int y, String s, int size) {
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, size));
            g.drawString(s, x, y);
        }

        public void finish(OutputStream os) throws IOException {
            g.dispose();
            ImageIO.write(img, "png", os);
        }
    }
}

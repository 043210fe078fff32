package dev.r1.engine.bench;

import dev.r1.models.io.OutputFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** Per-token decode latency over the generation, one line per backend; SVG or PNG by file extension. */
public final class LatencyPlot {
    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd)};
    private static final int W = 900, H = 480, L = 70, R = 20, T = 40, B = 50;

    private LatencyPlot() {}

    /** Writes the plot atomically; {@code series} maps a label to per-token milliseconds. */
    public static void write(Path out, String title, Map<String, double[]> series) {
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean svg = name.endsWith(".svg");
        if (!svg && !name.endsWith(".png"))
            throw new IllegalArgumentException("plot file must end in .svg or .png: " + out);
        try {
            OutputFiles.writeAtomically(out, os -> {
                if (svg) os.write(svg(title, series).getBytes(StandardCharsets.UTF_8));
                else ImageIO.write(png(title, series), "png", os);
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plot " + out + ": " + e.getMessage(), e);
        }
    }

    record Scale(double maxX, double maxY) {
        double x(double i) { return L + (W - L - R) * (maxX <= 1 ? 0 : i / (maxX - 1)); }
        double y(double v) { return H - B - (H - T - B) * (v / maxY); }
    }

    static Scale scale(Map<String, double[]> series) {
        double maxY = 0, maxX = 1;
        for (double[] s : series.values()) {
            maxX = Math.max(maxX, s.length);
            for (double v : s) maxY = Math.max(maxY, v);
        }
        return new Scale(maxX, niceCeil(maxY));
    }

    /** Rounds the axis top up to 1, 2 or 5 times a power of ten, so tick labels read cleanly. */
    static double niceCeil(double v) {
        if (v <= 0) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[]{1, 2, 5, 10}) if (m * p >= v) return m * p;
        return 10 * p;
    }

    static String svg(String title, Map<String, double[]> series) {
        Scale sc = scale(series);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">%s</text>%n", L, escape(title)));
        for (int k = 0; k <= 5; k++) {
            double v = sc.maxY() * k / 5, y = sc.y(v);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                    L, W - R, y, y, L - 6, y + 4, fmt(v)));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">generated token</text>%n", (W + L) / 2, H - 12));
        sb.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" transform=\"rotate(-90 16 %d)\" text-anchor=\"middle\">ms / token</text>%n", H / 2, H / 2));
        int c = 0;
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            String color = String.format("#%06x", PALETTE[c % PALETTE.length].getRGB() & 0xffffff);
            StringBuilder pts = new StringBuilder();
            double[] s = e.getValue();
            for (int i = 0; i < s.length; i++) pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", sc.x(i), sc.y(s[i])));
            sb.append(String.format("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"%s\"/>%n", color, pts.toString().trim()));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>%n", W - R - 220, T + 16 + 16 * c, color, escape(e.getKey())));
            c++;
        }
        return sb.append("</svg>\n").toString();
    }

    static BufferedImage png(String title, Map<String, double[]> series) {
        Scale sc = scale(series);
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.BLACK);
        g.drawString(title, L, 24);
        for (int k = 0; k <= 5; k++) {
            double v = sc.maxY() * k / 5;
            int y = (int) sc.y(v);
            g.setColor(new Color(0xdddddd));
            g.drawLine(L, y, W - R, y);
            g.setColor(Color.BLACK);
            String lbl = fmt(v);
            g.drawString(lbl, L - 6 - g.getFontMetrics().stringWidth(lbl), y + 4);
        }
        g.drawString("generated token", (W + L) / 2 - 45, H - 12);
        g.drawString("ms / token", 4, T - 8);
        g.setStroke(new BasicStroke(1.5f));
        int c = 0;
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            g.setColor(PALETTE[c % PALETTE.length]);
            double[] s = e.getValue();
            for (int i = 1; i < s.length; i++)
                g.drawLine((int) sc.x(i - 1), (int) sc.y(s[i - 1]), (int) sc.x(i), (int) sc.y(s[i]));
            g.drawString(e.getKey(), W - R - 220, T + 16 + 16 * c);
            c++;
        }
        g.dispose();
        return img;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

}

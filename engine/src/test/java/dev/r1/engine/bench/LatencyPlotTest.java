package dev.r1.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatencyPlotTest {
    @TempDir Path dir;

    private static Map<String, double[]> series() {
        Map<String, double[]> m = new LinkedHashMap<>();
        m.put("java", new double[]{10, 12, 11, 13});
        m.put("llama.cpp", new double[]{9, 9.5, 9.2, 9.1});
        return m;
    }

    @Test
    void svgHasOneLinePerBackendAndNiceAxis() throws Exception {
        Path out = dir.resolve("p.svg");
        LatencyPlot.write(out, "decode", series());
        String svg = Files.readString(out);
        assertEquals(2, svg.split("<polyline", -1).length - 1);
        assertTrue(svg.contains(">llama.cpp<"));
        assertTrue(svg.contains(">20<"), "axis top 13 rounds up to 20");
    }

    @Test
    void pngDecodes() throws Exception {
        Path out = dir.resolve("p.png");
        LatencyPlot.write(out, "decode", series());
        BufferedImage img = ImageIO.read(out.toFile());
        assertEquals(900, img.getWidth());
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temp file left behind");
        }
    }

    @Test
    void unknownExtensionIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> LatencyPlot.write(dir.resolve("p.jpg"), "t", series()));
    }

    @Test
    void niceCeilRoundsUpToOneTwoFive() {
        assertEquals(50, LatencyPlot.niceCeil(47));
        assertEquals(0.2, LatencyPlot.niceCeil(0.13), 1e-12);
        assertEquals(100, LatencyPlot.niceCeil(100));
    }
}

package dev.r1.models.template;

import dev.r1.models.Limits;
import dev.r1.models.ModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fuzz harnesses' lower render cap stops a looping template as the production cap does, only sooner. */
class FuzzRenderTest {
    @Test
    @Timeout(30)
    void lowerCapStopsALoopSooner() {
        int n = Limits.TEMPLATE_COLLECTION_SIZE;
        JinjaChatTemplate loop = new JinjaChatTemplate("{% for i in range(" + n + ") %}{% for j in range(" + n
                + ") %}{% set x = i %}{% endfor %}{% endfor %}done", null, null);
        long t0 = System.nanoTime();
        ModelException e = assertThrows(ModelException.class,
                () -> loop.render(List.of(), false, FuzzRender.FUZZ_RENDER_MILLIS));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(e.getMessage().contains("longer than " + FuzzRender.FUZZ_RENDER_MILLIS + " ms"), e.getMessage());
        assertTrue(ms < Limits.TEMPLATE_RENDER_MILLIS, "stopped after " + ms + " ms");
        assertEquals("ok", new JinjaChatTemplate("{% for i in range(10) %}{% endfor %}ok", null, null)
                .render(List.of(), false, FuzzRender.FUZZ_RENDER_MILLIS));
    }

    @Test
    void regressionModeKeepsTheProductionCap() {
        if (!FuzzRender.fuzzing()) assertEquals(Limits.TEMPLATE_RENDER_MILLIS, FuzzRender.RENDER_MILLIS);
    }
}

package dev.r1.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class VectorWidthsTest {

    @Test
    void defaultIsOneShapeOf256BitsEvenOnAvx512() {
        // 512 by default would mix shapes in one process (the float kernels at 512, the quantized at 256):
        // see VectorWidths and KernelsAllocateNothingTest
        assertEquals(256, VectorWidths.chosen(null, 512));
        assertEquals(256, VectorWidths.chosen(" ", 512));
        assertEquals(256, VectorWidths.chosen(null, 256));
        assertEquals(128, VectorWidths.chosen(null, 128));
        assertEquals(VectorWidths.SHAPE, VectorWidths.QUANT, "the running JVM's kernels use one shape");
    }

    @Test
    void overridePicksAWidthUpToTheHardware() {
        assertEquals(512, VectorWidths.chosen("512", 512));
        assertEquals(256, VectorWidths.chosen("512", 256));
        assertEquals(128, VectorWidths.chosen("128", 512));
        assertThrows(IllegalArgumentException.class, () -> VectorWidths.chosen("384", 512));
        assertThrows(IllegalArgumentException.class, () -> VectorWidths.chosen("wide", 512));
    }
}

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

    @Test
    void repackedQ4_0RunsAtTheHardwareWidthUnlessLowered() {
        // Q4x8 calls only methods the concrete vector classes override, and stores through a path no
        // other kernel uses, so it may be wider than the rest (KernelsAllocateNothingTest holds it to that)
        assertEquals(512, VectorWidths.repackBits(null, null, 512));
        assertEquals(256, VectorWidths.repackBits(null, null, 256));
        assertEquals(256, VectorWidths.repackBits(null, "256", 512), "-Dr1.cpu.vectorBits lowers every kernel");
        assertEquals(128, VectorWidths.repackBits(null, "128", 512));
        assertEquals(256, VectorWidths.repackBits("256", null, 512), "-Dr1.cpu.repackBits picks this one alone");
        assertEquals(512, VectorWidths.repackBits("512", "256", 512));
        assertEquals(256, VectorWidths.repackBits("512", null, 256), "never past the hardware");
        assertThrows(IllegalArgumentException.class, () -> VectorWidths.repackBits("64", null, 512));
        assertEquals(Q4x8.R * 32, VectorWidths.REPACK.vectorBitSize(), "one row per float lane");
    }
}

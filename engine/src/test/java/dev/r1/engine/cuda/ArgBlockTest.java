package dev.r1.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** cuLaunchKernel reads kernelParams[i] as a pointer to argument i: check the packing without a GPU. */
class ArgBlockTest {

    @Test
    void paramsPointAtSlotsHoldingTheValues() {
        try (Arena a = Arena.ofConfined()) {
            ArgBlock b = new ArgBlock(a, "PIFP").set(0x7f00_1234_5678L, -3, 0.5f, 0L);
            MemorySegment params = b.params().reinterpret(4 * 8);
            long[] want = {0x7f00_1234_5678L, -3, Float.floatToRawIntBits(0.5f), 0};
            for (int i = 0; i < 4; i++) {
                MemorySegment slot = params.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(8);
                assertEquals(b.slot(i).address(), slot.address(), "param " + i);
                long got = b.signature().charAt(i) == 'P' ? slot.get(ValueLayout.JAVA_LONG, 0) : slot.get(ValueLayout.JAVA_INT, 0);
                assertEquals(want[i], got, "value of param " + i);
            }
            // rewritten in place for the next launch: same params array, new values
            MemorySegment before = b.params();
            b.i32(1, 77).f32(2, -1f);
            assertEquals(before.address(), b.params().address());
            assertEquals(77, b.slot(1).get(ValueLayout.JAVA_INT, 0));
            assertEquals(-1f, b.slot(2).get(ValueLayout.JAVA_FLOAT, 0));
        }
    }

    @Test
    void wrongKindsAndCountsAreRefused() {
        try (Arena a = Arena.ofConfined()) {
            ArgBlock b = new ArgBlock(a, "PI");
            var e = assertThrows(IllegalArgumentException.class, () -> b.f32(1, 1f));
            assertEquals("argument 1 of \"PI\" is I, not F", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> b.set(1L));
            assertThrows(IllegalArgumentException.class, () -> new ArgBlock(a, "PX"));
        }
    }
}

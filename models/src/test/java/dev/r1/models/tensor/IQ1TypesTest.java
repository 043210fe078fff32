package dev.r1.models.tensor;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.bindings.NativeLibraries;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * IQ1_S and IQ1_M dequantizers against ggml's own {@code dequantize_row_*} (the pinned libggml-base.so), bit for
 * bit, on random super-blocks: every index bit, scale, delta sign and f16 scale nibble is random, so a grid entry or
 * bit position read wrongly shows up. The grid comes from the same library ({@link IqGrids#iq1s}).
 */
class IQ1TypesTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"IQ1_S", "IQ1_M"})
    void dequantizeEqualsGgmls(GgmlType type) throws Throwable {
        int blocks = 256;
        SplittableRandom rnd = new SplittableRandom(type.id());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocate((long) blocks * type.typeSize());
            for (long i = 0; i < src.byteSize(); i++) src.set(Layouts.I8, i, (byte) rnd.nextInt(256));
            for (int b = 0; b < blocks; b++) {
                // a finite d of either sign, subnormal to large
                float d = (rnd.nextBoolean() ? 1 : -1) * (float) Math.pow(2, rnd.nextInt(-22, 6)) * (1 + rnd.nextFloat());
                int bits = Float.floatToFloat16(d) & 0xFFFF;
                long o = (long) b * type.typeSize();
                if (type == GgmlType.IQ1_S) {
                    src.set(Layouts.I16, o, (short) bits);
                } else { // IQ1_M: nibble k of d tops scale word k
                    for (int k = 0; k < 4; k++) {
                        long at = o + 48 + 2 * k;
                        src.set(Layouts.I16, at, (short) ((src.get(Layouts.I16, at) & 0x0FFF) | (bits >>> (4 * k) & 0xF) << 12));
                    }
                }
            }
            SymbolLookup base = SymbolLookup.libraryLookup(NativeLibraries.llama().dir().resolve("libggml-base.so"), a);
            MethodHandle h = Linker.nativeLinker().downcallHandle(
                    base.find("dequantize_row_" + type.name().toLowerCase(Locale.ROOT)).orElseThrow(),
                    FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
            int n = blocks * 256;
            MemorySegment out = a.allocate(ValueLayout.JAVA_FLOAT, n);
            h.invokeExact(src, out, (long) n);
            float[] theirs = out.toArray(ValueLayout.JAVA_FLOAT);
            float[] ours = new float[n + 3];
            type.dequantize(src, 0, ours, 3, n); // at an offset: dstOff is honoured
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(theirs[i]), Float.floatToRawIntBits(ours[3 + i]),
                        type + " value " + i + ": ggml " + theirs[i] + ", r1 " + ours[3 + i]);
            }
        }
    }

    @Test
    void gridHoldsDistinctTernaryEntries() {
        long[] grid = IqGrids.get().iq1s;
        assertEquals(2048, grid.length);
        Set<Long> seen = new HashSet<>();
        int[] count = new int[3];
        for (long e : grid) {
            assertTrue(seen.add(e), "IQ1 grid entries are distinct");
            for (int j = 0; j < 8; j++) {
                int v = (byte) (e >>> (8 * j));
                assertTrue(v >= -1 && v <= 1, "IQ1 grid value " + v);
                count[v + 1]++;
            }
        }
        for (int c : count) assertTrue(c > 0, "each of -1, 0, 1 appears");
    }
}

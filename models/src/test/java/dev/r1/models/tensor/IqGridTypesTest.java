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
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * The IQ2/IQ3 grid types' dequantizers against ggml's own {@code dequantize_row_*} (the pinned libggml-base.so),
 * bit for bit, on random super-blocks: every index, sign field and scale is random, so a grid entry, sign pattern
 * or bit position read wrongly shows up. The grids themselves come from the same library ({@link IqGrids}); the
 * sign table is also checked against its rule (7 bits given, the 8th makes the count of minus signs even).
 */
class IqGridTypesTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S"})
    void dequantizeEqualsGgmls(GgmlType type) throws Throwable {
        int blocks = 64;
        SplittableRandom rnd = new SplittableRandom(type.id());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocate((long) blocks * type.typeSize());
            for (long i = 0; i < src.byteSize(); i++) src.set(Layouts.I8, i, (byte) rnd.nextInt(256));
            for (int b = 0; b < blocks; b++) {
                // a finite d of either sign, small to large
                float d = (rnd.nextBoolean() ? 1 : -1) * (float) Math.pow(2, rnd.nextInt(-20, 6)) * (1 + rnd.nextFloat());
                src.set(Layouts.I16, (long) b * type.typeSize(), Float.floatToFloat16(d));
            }
            SymbolLookup base = SymbolLookup.libraryLookup(NativeLibraries.llama().dir().resolve("libggml-base.so"), a);
            MethodHandle h = Linker.nativeLinker().downcallHandle(
                    base.find("dequantize_row_" + type.name().toLowerCase(Locale.ROOT)).orElseThrow(),
                    FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
            int n = blocks * 256;
            MemorySegment out = a.allocate(ValueLayout.JAVA_FLOAT, n);
            h.invokeExact(src, out, (long) n);
            float[] theirs = out.toArray(ValueLayout.JAVA_FLOAT);
            float[] ours = new float[n];
            type.dequantize(src, 0, ours, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(theirs[i]), Float.floatToRawIntBits(ours[i]),
                        type + " value " + i + ": ggml " + theirs[i] + ", r1 " + ours[i]);
            }
        }
    }

    @Test
    void signTableFollowsItsRule() {
        byte[] k = IqGrids.get().ksigns;
        for (int i = 0; i < 128; i++) {
            int want = i | (Integer.bitCount(i) & 1) << 7;
            assertEquals(want, k[i] & 0xFF, "sign pattern " + i);
        }
    }

    @Test
    void gridsHoldMagnitudesOfTheirKind() {
        IqGrids g = IqGrids.get();
        // IQ2 magnitudes are 8, 25 or 43 (ggml's three levels); IQ3's are 8 levels (3 bits a value), 4 to an entry
        for (long[] grid : new long[][] {g.iq2xxs, g.iq2xs, g.iq2s}) {
            java.util.Set<Long> seen = new java.util.HashSet<>();
            for (long e : grid) {
                assertTrue(seen.add(e), "IQ2 grid entries are distinct");
                for (int j = 0; j < 8; j++) {
                    int m = (int) (e >>> (8 * j)) & 0xFF;
                    assertTrue(m == 8 || m == 25 || m == 43, "IQ2 magnitude " + m);
                }
            }
        }
        for (int[] grid : new int[][] {g.iq3xxs, g.iq3s}) {
            java.util.Set<Integer> seen = new java.util.HashSet<>(), levels = new java.util.TreeSet<>();
            for (int e : grid) {
                assertTrue(seen.add(e), "IQ3 grid entries are distinct");
                for (int j = 0; j < 4; j++) levels.add((e >>> (8 * j)) & 0xFF);
            }
            assertEquals(8, levels.size(), "IQ3 levels " + levels);
        }
    }
}

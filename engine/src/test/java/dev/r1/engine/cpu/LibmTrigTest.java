package dev.r1.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link LibmTrig} against libm's own {@code sinf}/{@code cosf} (called through FFM: what llama.cpp's RoPE calls
 * on this machine), bit for bit: every RoPE angle of a long context at the distills' head size, random
 * arguments in each of the three reduction ranges, negative ones, and the edges between ranges.
 */
class LibmTrigTest {
    static final Linker L = Linker.nativeLinker();
    static final FunctionDescriptor F_F = FunctionDescriptor.of(ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT);
    static final MethodHandle SINF = L.downcallHandle(L.defaultLookup().find("sinf").orElseThrow(), F_F);
    static final MethodHandle COSF = L.downcallHandle(L.defaultLookup().find("cosf").orElseThrow(), F_F);
    static final MethodHandle POWF = L.downcallHandle(L.defaultLookup().find("powf").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT));

    static int notRounded;

    static void check(float x) throws Throwable {
        float s = (float) SINF.invokeExact(x), c = (float) COSF.invokeExact(x);
        if (Float.floatToRawIntBits(s) != Float.floatToRawIntBits(LibmTrig.sinf(x))) assertEquals(s, LibmTrig.sinf(x), 0f, "sinf(" + x + ")");
        if (Float.floatToRawIntBits(c) != Float.floatToRawIntBits(LibmTrig.cosf(x))) assertEquals(c, LibmTrig.cosf(x), 0f, "cosf(" + x + ")");
        if (s != (float) Math.sin(x) || c != (float) Math.cos(x)) notRounded++;
    }

    @Test
    void ropeAnglesAreLibms() throws Throwable {
        notRounded = 0;
        for (float base : new float[] {10000f, 1000000f}) {
            float scale = (float) POWF.invokeExact(base, -2.0f / 128);
            for (int p = 0; p < 8192; p += 3) {
                float theta = p;
                for (int i = 0; i < 64; i++) {
                    check(theta);
                    theta *= scale;
                }
            }
        }
        assertTrue(notRounded > 100, "libm's sinf/cosf were the rounded ones almost everywhere: the test would not tell");
    }

    @Test
    void everyRangeIsLibms() throws Throwable {
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 400_000; i++) {
            double u = r.nextDouble() - 0.5;
            check((float) switch (i % 5) {
                case 0 -> u * 2;        // |x| < pi/4 mostly
                case 1 -> u * 240;      // one-step reduction
                case 2 -> u * 4e5;      // fixed-point reduction
                case 3 -> u * 2e38;
                default -> u * 1e-3;    // the tiny path
            });
        }
        for (float x : new float[] {0f, -0f, 0x1p-12f, 0x1.921FB6p-1f, Math.nextDown(0x1.921FB6p-1f), 120f, Math.nextDown(120f),
                -120f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, 1e-30f}) {
            check(x);
        }
        assertTrue(Float.isNaN(LibmTrig.sinf(Float.POSITIVE_INFINITY)) && Float.isNaN(LibmTrig.cosf(Float.NaN)));
    }

    /** RoPE's frequency step is ggml's powf(base, -2/n_dims); ours is Math.pow's rounding: equal at the distills' values. */
    @Test
    void thetaScaleIsLibmsPowf() throws Throwable {
        for (float base : new float[] {10000f, 1000000f, 500000f}) {
            for (int hd : new int[] {32, 64, 128}) {
                float want = (float) POWF.invokeExact(base, -2.0f / hd);
                assertEquals(want, dev.r1.engine.model.Backend.Rope.of(base, hd, null, true).thetaScale(), 0f, base + " " + hd);
            }
        }
    }
}

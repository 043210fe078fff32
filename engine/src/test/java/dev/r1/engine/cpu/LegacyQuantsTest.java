package dev.r1.engine.cpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.r1.bindings.LlamaLibrary;
import dev.r1.bindings.NativeLibraries;
import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tensor.IQ4_NLType;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Q4_1 / Q5_0 / Q5_1 / IQ4_NL kernels ({@link LegacyQuants}) against scalar references written from
 * ggml's AVX2 code (per-lane sums of 4 elements, 8 float lanes, {@code hsum_float_8}; IQ4_NL per block)
 * and, on ggml's haswell library, against ggml's own {@code quantize_row_q8_1} and
 * {@code ggml_vec_dot_*} called through the FFM linker: bit for bit, at 256 and at 128 bits (the lanes
 * are laid out so both widths add in ggml's order). IQ4_NL follows ggml's repacked kernels, which llama.cpp
 * uses for it on AVX2, so against the row-major {@code ggml_vec_dot_iq4_nl_q8_0} (another order) it is
 * held to float rounding.
 */
class LegacyQuantsTest {
    static final int COLS = 1536, BLOCKS = COLS / 32;

    // ---- scalar references, from the block bytes ----

    static float f16(MemorySegment w, long off) { return Float.float16ToFloat(w.get(JAVA_SHORT_UNALIGNED, off)); }

    /** Element {@code i} of block {@code off} as the integer the AVX2 code multiplies. */
    static int weight(GgmlType type, MemorySegment w, long off, int i) {
        int qsOff = switch (type) { case Q4_1 -> 4; case Q5_0 -> 6; case Q5_1 -> 8; default -> 2; };
        int byt = w.get(JAVA_BYTE, off + qsOff + (i & 15)) & 0xFF;
        int nib = i < 16 ? byt & 0xF : byt >>> 4;
        var le = JAVA_INT.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN).withByteAlignment(1);
        int qh = switch (type) { case Q5_0 -> w.get(le, off + 2); case Q5_1 -> w.get(le, off + 4); default -> 0; };
        int hb = (qh >>> i) & 1;
        return switch (type) {
            case Q4_1 -> nib;
            case Q5_0 -> (nib | hb << 4) - 16;
            case Q5_1 -> nib | hb << 4;
            case IQ4_NL -> IQ4_NLType.value(nib);
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /** ggml's AVX2 vec_dot for Q4_1/Q5_0/Q5_1, one scalar at a time; {@code s} null for Q5_0. */
    static float reference(GgmlType type, MemorySegment w, long rowOff, short[] q, float[] d, float[] s) {
        float[] lane = new float[8];
        float summs = 0;
        long bytes = type.typeSize();
        for (int b = 0; b < BLOCKS; b++) {
            long off = rowOff + b * bytes;
            float scale = f16(w, off) * d[b];
            if (s != null) summs = Math.fma(f16(w, off + 2), s[b], summs);
            for (int k = 0; k < 8; k++) {
                int g = 0;
                for (int i = 4 * k; i < 4 * k + 4; i++) g += weight(type, w, off, i) * q[b * 32 + i];
                lane[k] = Math.fma((float) g, scale, lane[k]);
            }
        }
        return ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7])) + summs;
    }

    /** ggml's repacked IQ4_NL order: per row, exact block sums FMA'd block after block. */
    static float referenceIQ4(MemorySegment w, long rowOff, short[] q, float[] d) {
        float acc = 0;
        for (int b = 0; b < BLOCKS; b++) {
            long off = rowOff + b * 18L;
            int sum = 0;
            for (int i = 0; i < 32; i++) sum += weight(GgmlType.IQ4_NL, w, off, i) * q[b * 32 + i];
            acc = Math.fma((float) sum, f16(w, off) * d[b], acc);
        }
        return acc;
    }

    static float kernel(GgmlType type, MemorySegment w, long off, short[] q, float[] d, float[] s) {
        float[] t = QuantKernels.laneScratch();
        return switch (type) {
            case Q4_1 -> LegacyQuants.dotQ4_1(w, off, BLOCKS, q, 0, d, s, 0, t);
            case Q5_1 -> LegacyQuants.dotQ5_1(w, off, BLOCKS, q, 0, d, s, 0, t);
            case Q5_0 -> LegacyQuants.dotQ5_0(w, off, BLOCKS, q, 0, d, 0, t);
            case IQ4_NL -> LegacyQuants.dotIQ4_NL(w, off, BLOCKS, q, 0, d, 0);
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    static float[] activations(SplittableRandom r, int rep) {
        float[] x = new float[COLS];
        double scale = Math.pow(10, rep % 13 - 8);
        for (int i = 0; i < COLS; i++) x[i] = (float) (r.nextGaussian() * scale * (rep % 5 + 0.1) * (i % 31 == 0 ? 20 : 1));
        if (rep % 7 == 0) java.util.Arrays.fill(x, 64, 128, 0f); // all-zero blocks
        return x;
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void kernelEqualsItsScalarReference(GgmlType type) {
        int rows = 24;
        SplittableRandom r = new SplittableRandom(type.id());
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix m = MatmulTestData.matrix(type, rows, COLS, type.id(), arena);
            short[] q = new short[COLS];
            float[] d = new float[BLOCKS], s = new float[BLOCKS];
            for (int rep = 0; rep < 10; rep++) {
                LegacyQuants.quantizeQ8_1(activations(r, rep), 0, COLS, q, 0, d, s, 0);
                boolean q81 = type == GgmlType.Q4_1 || type == GgmlType.Q5_1;
                for (int row = 0; row < rows; row++) {
                    long off = row * m.rowBytes();
                    float want = type == GgmlType.IQ4_NL ? referenceIQ4(m.data(), off, q, d)
                            : reference(type, m.data(), off, q, d, q81 ? s : null);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(kernel(type, m.data(), off, q, d, s)),
                            type + " row " + row + " rep " + rep + " at " + VectorWidths.describe());
                }
            }
        }
    }

    @Test
    void q8_1QuantsAreQ8_0sWithTheBlockSum() {
        SplittableRandom r = new SplittableRandom(3);
        float[] x = activations(r, 2);
        short[] q = new short[COLS], q0 = new short[COLS];
        float[] d = new float[BLOCKS], d0 = new float[BLOCKS], s = new float[BLOCKS];
        LegacyQuants.quantizeQ8_1(x, 0, COLS, q, 0, d, s, 0);
        QuantKernels.quantizeQ8(x, 0, COLS, q0, 0, d0, 0);
        assertEquals(java.util.Arrays.toString(q0), java.util.Arrays.toString(q));
        assertEquals(java.util.Arrays.toString(d0), java.util.Arrays.toString(d));
        for (int b = 0; b < BLOCKS; b++) {
            float amax = 0;
            int sum = 0;
            for (int i = 0; i < 32; i++) {
                amax = Math.max(amax, Math.abs(x[b * 32 + i]));
                sum += q[b * 32 + i];
            }
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(amax / 127f * sum)), s[b], "block " + b);
        }
    }

    // ---- against ggml's own functions ----

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void activationsAndDotsAreGgmls(GgmlType type) throws Throwable {
        LlamaLibrary lib = NativeLibraries.llama();
        org.junit.jupiter.api.Assumptions.assumeTrue("haswell".equals(lib.cpuVariant()), "ggml runs its " + lib.cpuVariant() + " library, not haswell");
        SymbolLookup cpu = SymbolLookup.libraryLookup(lib.dir().resolve("libggml-cpu-haswell.so"), Arena.global());
        Linker l = Linker.nativeLinker();
        l.downcallHandle(cpu.find("ggml_cpu_init").orElseThrow(), FunctionDescriptor.ofVoid()).invokeExact();
        boolean q81 = type == GgmlType.Q4_1 || type == GgmlType.Q5_1;
        MethodHandle quantize = l.downcallHandle(cpu.find(q81 ? "quantize_row_q8_1" : "quantize_row_q8_0").orElseThrow(),
                FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
        String dotName = "ggml_vec_dot_" + type.name().toLowerCase() + (q81 ? "_q8_1" : "_q8_0");
        MethodHandle vecDot = l.downcallHandle(cpu.find(dotName).orElseThrow(),
                FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT));
        int blockBytes = q81 ? 36 : 34, rows = 16;
        SplittableRandom r = new SplittableRandom(type.id() * 31L);
        try (Arena a = Arena.ofConfined()) {
            WeightMatrix m = MatmulTestData.matrix(type, rows, COLS, type.id() + 100, a);
            MemorySegment qa = a.allocate((long) blockBytes * BLOCKS), out = a.allocate(4);
            short[] q = new short[COLS];
            float[] d = new float[BLOCKS], s = new float[BLOCKS];
            for (int rep = 0; rep < 40; rep++) {
                float[] x = activations(r, rep);
                quantize.invokeExact(a.allocateFrom(JAVA_FLOAT, x), qa, (long) COLS);
                LegacyQuants.quantizeQ8_1(x, 0, COLS, q, 0, d, s, 0);
                for (int b = 0; b < BLOCKS; b++) {
                    long o = (long) blockBytes * b;
                    assertEquals(f16(qa, o), d[b], "scale of block " + b);
                    if (q81) assertEquals(f16(qa, o + 2), s[b], "sum of block " + b);
                    for (int i = 0; i < 32; i++) assertEquals(qa.get(JAVA_BYTE, o + blockBytes - 32 + i), q[b * 32 + i], "quant " + i + " of block " + b);
                }
                for (int row = 0; row < rows; row++) {
                    long off = row * m.rowBytes();
                    vecDot.invokeExact(COLS, out, 0L, m.data().asSlice(off), 0L, qa, 0L, 1);
                    float want = out.get(JAVA_FLOAT, 0), got = kernel(type, m.data(), off, q, d, s);
                    if (type == GgmlType.IQ4_NL) {
                        // another order (two accumulators over alternate blocks): float rounding only
                        float mag = 0;
                        for (int b = 0; b < BLOCKS; b++) mag += Math.abs(f16(m.data(), off + 18L * b) * d[b]) * 32 * 127 * 127;
                        assertEquals(want, got, mag * 0x1p-22f, type + " row " + row + " rep " + rep);
                    } else {
                        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got),
                                type + " row " + row + " rep " + rep + ": ggml " + want + ", ours " + got + " at " + VectorWidths.describe());
                    }
                }
            }
        }
    }
}

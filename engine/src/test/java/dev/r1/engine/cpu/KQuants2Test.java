package dev.r1.engine.cpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.r1.bindings.LlamaLibrary;
import dev.r1.bindings.NativeLibraries;
import dev.r1.models.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link KQuants2}'s kernels three ways, on weights from our (ggml byte-identical) quantizers and on random
 * bytes (every bit pattern of quants and scales): bit for bit against a plain scalar reference written from
 * the block layouts ({@link KQuants2Reference}) and against ggml's own {@code ggml_vec_dot_<type>_q8_K} from
 * its haswell library (at every vector width: the kernels rebuild ggml's lanes exactly), and against the
 * float64 dot of the dequantized operands up to float rounding. Then Matmul with n tokens gives each
 * token's row dot.
 */
class KQuants2Test {
    static final Parallel POOL = new Parallel(3);

    @AfterAll
    static void close() { POOL.close(); }

    static final int COLS = 2048; // 8 super-blocks per row: the float lanes carry across them

    static WeightMatrix weights(GgmlType type, int rows, boolean randomBytes, long seed, Arena arena) {
        return weights(type, rows, COLS, randomBytes, seed, arena);
    }

    static WeightMatrix weights(GgmlType type, int rows, int cols, boolean randomBytes, long seed, Arena arena) {
        if (!randomBytes) return MatmulTestData.matrix(type, rows, cols, seed, arena);
        SplittableRandom r = new SplittableRandom(seed);
        long rb = WeightMatrix.rowBytes(type, cols);
        MemorySegment m = arena.allocate(rows * rb + 1).asSlice(1); // unaligned rows on purpose
        for (long i = 0; i < m.byteSize(); i++) m.set(JAVA_BYTE, i, (byte) r.nextInt(256));
        // finite, varied f16 super-block scales (random bits could be NaN or infinite)
        int[] scaleOffsets = switch (type) {
            case Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case IQ4_XS, Q4_K -> new int[] {0};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(type.name());
        };
        for (long b = 0; b < m.byteSize() / type.typeSize(); b++) {
            for (int o : scaleOffsets) {
                float f = (float) (r.nextDouble(0.5, 2) * Math.pow(2, r.nextInt(-14, 4)) * (r.nextBoolean() ? 1 : -1));
                m.set(JAVA_SHORT_UNALIGNED, b * type.typeSize() + o, Float.floatToFloat16(f));
            }
        }
        return new WeightMatrix("w", type, rows, cols, m);
    }

    /** Q8_K activations of {@code n} rows, with large-magnitude outliers and an all-zero super-block. */
    record Acts(float[] x, short[] q, short[] qp, float[] d, int[] bs) {
        static Acts of(int n, long seed) {
            return of(n, COLS, seed);
        }

        static Acts of(int n, int cols, long seed) {
            float[] x = MatmulTestData.acts(n, cols, seed);
            java.util.Arrays.fill(x, 256, 512, 0f);
            short[] q = new short[n * cols];
            float[] d = new float[n * cols / 256];
            int[] bs = new int[n * cols / 16];
            for (int t = 0; t < n; t++) KQuants.quantizeQ8K(x, t * cols, cols, q, t * cols, d, t * cols / 256, bs, t * cols / 16);
            short[] qp = new short[q.length];
            KQuants2.toPairs(q, 0, q.length, qp, 0);
            return new Acts(x, q, qp, d, bs);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q5_K", "Q3_K", "Q2_K", "IQ4_XS"})
    void kernelEqualsScalarReferenceAndFloat64(GgmlType type) {
        int rows = 24, sbs = COLS / 256;
        Acts a = Acts.of(1, 7);
        try (Arena arena = Arena.ofConfined()) {
            for (boolean randomBytes : new boolean[] {false, true}) {
                WeightMatrix m = weights(type, rows, randomBytes, type.id() * 31L + (randomBytes ? 1 : 0), arena);
                float[] w = new float[COLS];
                for (int r = 0; r < rows; r++) {
                    long off = r * m.rowBytes();
                    float got = KQuants2.dot(type, m.data(), off, sbs, a.q, a.qp, 0, a.d, 0, a.bs, 0);
                    String what = type + (randomBytes ? " random bytes" : " quantized") + " row " + r + " at " + VectorWidths.describe();
                    float ref = KQuants2Reference.dot(type, m.data(), off, sbs, a.q, a.d, a.bs);
                    assertEquals(Float.floatToRawIntBits(ref), Float.floatToRawIntBits(got), what + ": " + ref + " vs " + got);
                    m.row(r, w);
                    double exact = 0, abs = 0;
                    for (int i = 0; i < COLS; i++) {
                        double p = (double) w[i] * a.q[i] * a.d[i / 256];
                        exact += p;
                        abs += Math.abs(p);
                    }
                    // ggml's per-sub-block float scales (dequantize) vs the kernel's integer sums: a few ulps per term
                    assertEquals(exact, got, 1e-5 * abs + 1e-30, what + " vs float64");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q5_K", "Q3_K", "Q2_K", "IQ4_XS"})
    void kernelIsGgmlsVecDot(GgmlType type) throws Throwable {
        LlamaLibrary lib = NativeLibraries.llama();
        assumeTrue("haswell".equals(lib.cpuVariant()), "ggml runs its " + lib.cpuVariant() + " library, not haswell");
        SymbolLookup cpu = SymbolLookup.libraryLookup(lib.dir().resolve("libggml-cpu-haswell.so"), Arena.global());
        Linker l = Linker.nativeLinker();
        l.downcallHandle(cpu.find("ggml_cpu_init").orElseThrow(), FunctionDescriptor.ofVoid()).invokeExact();
        MethodHandle quantize = l.downcallHandle(cpu.find("quantize_row_q8_K").orElseThrow(),
                FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
        String name = "ggml_vec_dot_" + type.name().toLowerCase(java.util.Locale.ROOT).replace("_k", "_K") + "_q8_K";
        MethodHandle vecDot = l.downcallHandle(cpu.find(name).orElseThrow(),
                FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT));
        int rows = 16, sbs = COLS / 256, q8kBytes = 4 + 256 + 32; // block_q8_K: float d, 256 quants, 16 int16 sums
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment y = arena.allocate((long) q8kBytes * sbs, 16), out = arena.allocate(4);
            for (int rep = 0; rep < 4; rep++) {
                Acts a = Acts.of(1, 100 + rep);
                quantize.invokeExact(arena.allocateFrom(JAVA_FLOAT, a.x), y, (long) COLS);
                for (int b = 0; b < sbs; b++) { // the activations too are ggml's, bit for bit
                    long o = (long) q8kBytes * b;
                    assertEquals(Float.floatToRawIntBits(y.get(JAVA_FLOAT, o)), Float.floatToRawIntBits(a.d[b]), "Q8_K scale " + b);
                    for (int i = 0; i < 256; i++) assertEquals(y.get(JAVA_BYTE, o + 4 + i), a.q[256 * b + i], "Q8_K quant " + i);
                    for (int g = 0; g < 16; g++) assertEquals(y.get(JAVA_SHORT_UNALIGNED, o + 260 + 2 * g), a.bs[16 * b + g], "Q8_K sum " + g);
                }
                WeightMatrix m = weights(type, rows, rep % 2 == 1, type.id() * 7L + rep, arena);
                for (int r = 0; r < rows; r++) {
                    vecDot.invokeExact(COLS, out, 0L, m.data().asSlice(r * m.rowBytes()), 0L, y, 0L, 1);
                    float want = out.get(JAVA_FLOAT, 0);
                    float got = KQuants2.dot(type, m.data(), r * m.rowBytes(), sbs, a.q, a.qp, 0, a.d, 0, a.bs, 0);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got),
                            type + " rep " + rep + " row " + r + " at " + VectorWidths.describe() + ": ggml " + want + ", ours " + got);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q5_K", "Q3_K", "Q2_K", "IQ4_XS"})
    void matmulGivesEachTokensRowDot(GgmlType type) {
        int rows = 20, cols = 768, sbs = cols / 256; // small: this runs before the JIT has compiled the kernels
        Matmul mm = new Matmul(POOL);
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix m = weights(type, rows, cols, false, 5, arena);
            assertEquals(WeightMatrix.Kernel.K_QUANT, m.kernel());
            for (int n : new int[] {1, 3, 9}) {
                Acts a = Acts.of(n, cols, n);
                float[] out = new float[n * rows];
                mm.multiply(a.x, n, m, out);
                for (int t = 0; t < n; t++) {
                    for (int r = 0; r < rows; r++) {
                        float want = KQuants2.dot(type, m.data(), r * m.rowBytes(), sbs, a.q, a.qp, t * cols, a.d, t * sbs, a.bs, t * sbs * 16);
                        assertEquals(want, out[t * rows + r], type + " n=" + n + " token " + t + " row " + r);
                    }
                }
            }
        }
    }
}

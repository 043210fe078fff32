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
import dev.r1.bindings.llama.Llama;
import dev.r1.models.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The IQ2/IQ3 dot products against the functions llama.cpp runs, ggml's haswell {@code ggml_vec_dot_<type>_q8_K},
 * bit for bit: rows of random bytes (every index, sign field and scale) and rows ggml's own quantizer made from
 * Gaussian weights, with activations from ggml's {@code quantize_row_q8_K}; 1, 3 and 7 super-blocks a row.
 */
class IQuantsTest {

    static MethodHandle quantizeRowK;
    static SymbolLookup cpu;

    @BeforeAll
    static void load() throws Throwable {
        LlamaLibrary lib = NativeLibraries.llama();
        assumeTrue("haswell".equals(lib.cpuVariant()), "ggml runs its " + lib.cpuVariant() + " library, not haswell");
        cpu = SymbolLookup.libraryLookup(lib.dir().resolve("libggml-cpu-haswell.so"), Arena.global());
        Linker l = Linker.nativeLinker();
        l.downcallHandle(cpu.find("ggml_cpu_init").orElseThrow(), FunctionDescriptor.ofVoid()).invokeExact();
        quantizeRowK = l.downcallHandle(cpu.find("quantize_row_q8_K").orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S"})
    void dotIsGgmls(GgmlType type) throws Throwable {
        MethodHandle vecDot = Linker.nativeLinker().downcallHandle(
                cpu.find("ggml_vec_dot_" + type.name().toLowerCase(Locale.ROOT) + "_q8_K").orElseThrow(),
                FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT));
        SplittableRandom r = new SplittableRandom(type.id());
        int ts = type.typeSize(), rows = 6;
        for (int sbs : new int[] {1, 3, 7}) {
            int cols = 256 * sbs;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment w = a.allocate((long) ts * sbs * rows), y = a.allocate(292L * sbs), out = a.allocate(4);
                // rows 0-2: random bytes, d of either sign; rows 3-5: ggml's quantizer on Gaussian weights
                for (long i = 0; i < (long) ts * sbs * 3; i++) w.set(JAVA_BYTE, i, (byte) r.nextInt(256));
                for (int b = 0; b < 3 * sbs; b++) {
                    w.set(JAVA_SHORT_UNALIGNED, (long) ts * b, Float.floatToFloat16((float) ((r.nextDouble() - 0.5) * 2e-2)));
                }
                float[] f = new float[3 * cols], imatrix = new float[cols];
                for (int i = 0; i < f.length; i++) f[i] = (float) (r.nextGaussian() * 0.02);
                for (int i = 0; i < cols; i++) imatrix[i] = (float) (0.1 + r.nextDouble());
                long n = Llama.ggml_quantize_chunk(type.id(), a.allocateFrom(JAVA_FLOAT, f), w.asSlice((long) ts * sbs * 3), 0, 3, cols,
                        a.allocateFrom(JAVA_FLOAT, imatrix));
                assertEquals((long) ts * sbs * 3, n);
                float[] x = new float[cols];
                for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
                quantizeRowK.invokeExact(a.allocateFrom(JAVA_FLOAT, x), y, (long) cols);
                short[] q = new short[cols];
                float[] d = new float[sbs];
                int[] bs = new int[16 * sbs];
                KQuants.quantizeQ8K(x, 0, cols, q, 0, d, 0, bs, 0);
                short[] qp = new short[cols];
                KQuants2.toPairs(q, 0, cols, qp, 0);
                IQuants.Scratch scratch = new IQuants.Scratch();
                for (int row = 0; row < rows; row++) {
                    vecDot.invokeExact(cols, out, 0L, w.asSlice((long) ts * row * sbs), 0L, y, 0L, 1);
                    float want = out.get(JAVA_FLOAT, 0);
                    float ours = IQuants.dot(type, w, (long) ts * row * sbs, sbs, qp, 0, d, 0, scratch);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(ours),
                            type + ", " + sbs + " super-blocks, row " + row + ": ggml " + want + ", ours " + ours);
                }
            }
        }
    }

    /**
     * A whole matmul through ggml's own graph ({@code ggml_mul_mat} on its haswell library), 16 rows by 4, 7, 8 and 12
     * tokens: below 8 tokens ggml dots each row as {@code vec_dot} does ({@link IQuants#dot}), from 8 on it takes its
     * IQ panel gemm, whose float order {@link IQuants#dotPanel} and {@link IQ1Quants#dotPanel} follow (IQ4_XS too; IQ1 rows
     * through {@link IQuants#decodeRowIQ1} as the engine runs them, and through the scalar reference). Bit for bit.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M", "IQ4_XS"})
    void matmulIsGgmls(GgmlType type) throws Throwable {
        OneOpGgml.load();
        SplittableRandom r = new SplittableRandom(31 + type.id());
        int rows = 16, sbs = 3, cols = 256 * sbs, ts = type.typeSize();
        for (int n : type == GgmlType.IQ4_XS ? new int[] {8, 12} : new int[] {4, 7, 8, 12}) { // IQ4_XS below 8: KQuants2Test
            try (Arena a = Arena.ofConfined()) {
                MemorySegment ctx = OneOpGgml.context(a, 16L << 20);
                try {
                    MemorySegment tw = (MemorySegment) OneOpGgml.newTensor4d.invokeExact(ctx, type.id(), (long) cols, (long) rows, 1L, 1L);
                    MemorySegment tx = (MemorySegment) OneOpGgml.newTensor4d.invokeExact(ctx, OneOpGgml.F32, (long) cols, (long) n, 1L, 1L);
                    MemorySegment w = OneOpGgml.data(tw, (long) ts * sbs * rows), xs = OneOpGgml.data(tx, 4L * cols * n);
                    float[] f = new float[rows * cols], imatrix = new float[cols];
                    for (int i = 0; i < f.length; i++) f[i] = (float) (r.nextGaussian() * 0.02);
                    for (int i = 0; i < cols; i++) imatrix[i] = (float) (0.1 + r.nextDouble());
                    Llama.ggml_quantize_chunk(type.id(), a.allocateFrom(JAVA_FLOAT, f), w, 0, rows, cols, a.allocateFrom(JAVA_FLOAT, imatrix));
                    float[] x = new float[n * cols];
                    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                    MemorySegment.copy(x, 0, xs, JAVA_FLOAT, 0, x.length);
                    MemorySegment out = (MemorySegment) OneOpGgml.mulMat.invokeExact(ctx, tw, tx);
                    org.junit.jupiter.api.Assertions.assertTrue(OneOpGgml.compute(ctx, out, 2), "ggml_graph_compute");
                    float[] theirs = OneOpGgml.data(out, 4L * rows * n).toArray(JAVA_FLOAT);
                    short[] q = new short[n * cols], qp = new short[n * cols];
                    float[] d = new float[n * sbs];
                    int[] bs = new int[n * 16 * sbs];
                    KQuants.quantizeQ8K(x, 0, n * cols, q, 0, d, 0, bs, 0);
                    KQuants2.toPairs(q, 0, n * cols, qp, 0);
                    short[] qw = new short[n * cols];
                    IQuants.toPairsWide(q, 0, n * cols, qw, 0);
                    IQuants.Scratch s = new IQuants.Scratch();
                    IQ1Quants.Scratch s1 = new IQ1Quants.Scratch();
                    boolean panel = IQuants.panel(rows, n);
                    for (int row = 0; row < rows; row++) {
                        long off = (long) row * ts * sbs;
                        if (IQuants.serves(type)) IQuants.decodeRow(type, w, off, sbs, s);
                        if (type == GgmlType.IQ4_XS) IQuants.decodeRowIQ4XS(w, off, sbs, s);
                        if (IQ1Quants.serves(type)) IQuants.decodeRowIQ1(type, w, off, sbs, s); // the engine's IQ1 panel
                        if (panel) { // the four-token form gives each token's floats too
                            float[] four = new float[4 * n];
                            IQuants.dotPanel4(sbs, s, qw, 0, cols, d, 0, sbs, four, 0, n);
                            for (int t = 0; t < 4; t++) {
                                assertEquals(Float.floatToRawIntBits(theirs[t * rows + row]), Float.floatToRawIntBits(four[t * n]),
                                        type + ", four tokens at once, row " + row + ", token " + t);
                            }
                        }
                        for (int t = 0; t < n; t++) {
                            float ours = IQ1Quants.serves(type)
                                    ? (panel ? IQ1Quants.dotPanel(type, w, off, sbs, q, t * cols, d, t * sbs, s1)
                                            : IQ1Quants.dot(type, w, off, sbs, q, t * cols, d, t * sbs, bs, t * sbs * 16, s1))
                                    : panel ? IQuants.dotPanel(sbs, s, qw, t * cols, d, t * sbs)
                                            : IQuants.dotDecoded(type, w, off, sbs, s, qp, t * cols, d, t * sbs);
                            float want = theirs[t * rows + row];
                            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(ours),
                                    type + ", " + n + " tokens, row " + row + ", token " + t + ": ggml " + want + ", ours " + ours);
                            if (panel && IQ1Quants.serves(type)) { // the scalar reference above, the engine's vector form here
                                float v = IQuants.dotPanel(sbs, s, qw, t * cols, d, t * sbs);
                                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(v), type + " decoded row, token " + t);
                            }
                        }
                    }
                } finally {
                    OneOpGgml.free.invokeExact(ctx);
                }
            }
        }
    }
}

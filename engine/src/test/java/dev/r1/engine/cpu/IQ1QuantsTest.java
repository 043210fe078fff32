package dev.r1.engine.cpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.r1.bindings.NativeLibraries;
import dev.r1.bindings.llama.Llama;
import dev.r1.models.tensor.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link IQ1Quants} against ggml's own {@code ggml_vec_dot_iq1_s_q8_K} / {@code ggml_vec_dot_iq1_m_q8_K}, bit for bit,
 * on rows of several super-blocks (the float accumulators carry across them): rows from ggml's quantizer (with an
 * importance matrix, as IQ1 needs) and rows of random bytes (every index, scale and delta sign), against Q8_K
 * activations from ggml's {@code quantize_row_q8_K}. The reference is the haswell library, loaded by path whatever
 * variant ggml picked for this process: our kernels follow its AVX2 code, and these functions are plain arithmetic
 * that only need its {@code ggml_cpu_init}.
 */
class IQ1QuantsTest {
    static final int ROWS = 12, SBS = 6, COLS = 256 * SBS, Q8K = 4 + 256 + 32; // block_q8_K: f32 d, 256 quants, 16 int16 sums
    static MethodHandle quantizeQ8K, dotS, dotM;

    @BeforeAll
    static void load() throws Throwable {
        Path dir = NativeLibraries.llama().dir(), haswell = dir.resolve("libggml-cpu-haswell.so");
        assumeTrue(Files.exists(haswell), "no " + haswell);
        SymbolLookup cpu = SymbolLookup.libraryLookup(haswell, Arena.global());
        Linker l = Linker.nativeLinker();
        // ggml's own check that this CPU runs the library's instructions (0: it does not), before calling into it
        int score = (int) l.downcallHandle(cpu.find("ggml_backend_score").orElseThrow(), FunctionDescriptor.of(JAVA_INT)).invokeExact();
        assumeTrue(score > 0, "this CPU cannot run ggml's haswell library");
        // ggml_cpu_init fills the f16 table the dot products read
        l.downcallHandle(cpu.find("ggml_cpu_init").orElseThrow(), FunctionDescriptor.ofVoid()).invokeExact();
        quantizeQ8K = l.downcallHandle(cpu.find("quantize_row_q8_K").orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
        FunctionDescriptor vecDot = FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT);
        dotS = l.downcallHandle(cpu.find("ggml_vec_dot_iq1_s_q8_K").orElseThrow(), vecDot);
        dotM = l.downcallHandle(cpu.find("ggml_vec_dot_iq1_m_q8_K").orElseThrow(), vecDot);
    }

    @Test
    void servesTheTwoIq1Types() {
        assertTrue(IQ1Quants.serves(GgmlType.IQ1_S) && IQ1Quants.serves(GgmlType.IQ1_M));
        assertFalse(IQ1Quants.serves(GgmlType.IQ2_XXS) || IQ1Quants.serves(GgmlType.Q4_K) || IQ1Quants.serves(GgmlType.TQ1_0));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"IQ1_S", "IQ1_M"})
    void dotIsGgmlsVecDot(GgmlType type) throws Throwable {
        SplittableRandom r = new SplittableRandom(type.id() * 131L);
        MethodHandle ggml = type == GgmlType.IQ1_S ? dotS : dotM;
        long rowBytes = (long) SBS * type.typeSize();
        IQ1Quants.Scratch x = new IQ1Quants.Scratch();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment y = a.allocate((long) Q8K * SBS, 16), out = a.allocate(4);
            MemorySegment quantized = ggmlQuantized(type, r, a), random = randomBlocks(type, r, a);
            float[] wf = new float[COLS];
            for (int rep = 0; rep < 6; rep++) {
                float[] act = new float[COLS];
                for (int i = 0; i < COLS; i++) act[i] = (float) (r.nextGaussian() * (rep + 0.3) * (i % 37 == 0 ? 12 : 1));
                if (rep == 2) java.util.Arrays.fill(act, 512, 768, 0f); // an all-zero activation block: d = 0
                quantizeQ8K.invokeExact(a.allocateFrom(JAVA_FLOAT, act), y, (long) COLS);
                short[] q = new short[COLS + 256];
                float[] d = new float[SBS + 1];
                int[] bs = new int[16 * (SBS + 1)];
                int qo = 256 * (rep % 2), dO = rep % 2, bo = 16 * (rep % 2); // at an offset in odd reps
                for (int b = 0; b < SBS; b++) {
                    long o = (long) Q8K * b;
                    d[dO + b] = y.get(JAVA_FLOAT_UNALIGNED, o);
                    for (int i = 0; i < 256; i++) q[qo + 256 * b + i] = y.get(JAVA_BYTE, o + 4 + i);
                    for (int g = 0; g < 16; g++) bs[bo + 16 * b + g] = y.get(JAVA_SHORT_UNALIGNED, o + 260 + 2L * g);
                }
                for (MemorySegment m : new MemorySegment[] {quantized, random}) {
                    String what = type + (m == quantized ? " quantized" : " random") + " rep " + rep;
                    for (int row = 0; row < ROWS; row++) {
                        ggml.invokeExact(COLS, out, 0L, m.asSlice(row * rowBytes), 0L, y, 0L, 1);
                        float want = out.get(JAVA_FLOAT, 0);
                        float got = IQ1Quants.dot(type, m, row * rowBytes, SBS, q, qo, d, dO, bs, bo, x);
                        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), what + " row " + row + ": ggml " + want + ", r1 " + got);
                        // and the kernel reads the bits as the dequantizer does: the float64 dot of its values, near enough
                        type.dequantize(m, row * rowBytes, wf, 0, COLS);
                        double exact = 0, abs = 0;
                        for (int i = 0; i < COLS; i++) {
                            double p = (double) wf[i] * q[qo + i] * d[dO + i / 256];
                            exact += p;
                            abs += Math.abs(p);
                        }
                        assertEquals(exact, got, 1e-5 * abs + 1e-30, what + " row " + row + " vs float64");
                    }
                }
            }
        }
    }

    /** ggml's quantization of Gaussian rows (a few outlier columns), with a positive importance per column. */
    private static MemorySegment ggmlQuantized(GgmlType type, SplittableRandom r, Arena a) {
        float[] w = new float[ROWS * COLS], imatrix = new float[COLS];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * 0.02 * (i % 97 == 0 ? 8 : 1));
        for (int i = 0; i < COLS; i++) imatrix[i] = (float) (0.05 + 4 * r.nextDouble() * r.nextDouble());
        long rowBytes = (long) SBS * type.typeSize();
        MemorySegment out = a.allocate(ROWS * rowBytes + 1).asSlice(1); // unaligned rows on purpose
        long n = Llama.ggml_quantize_chunk(type.id(), a.allocateFrom(JAVA_FLOAT, w), out, 0L, ROWS, COLS, a.allocateFrom(JAVA_FLOAT, imatrix));
        assertEquals(ROWS * rowBytes, n, "bytes ggml wrote");
        return out;
    }

    /** Random bytes with a finite f16 super-block scale (IQ1_M: spread over the top nibbles of its scale words). */
    private static MemorySegment randomBlocks(GgmlType type, SplittableRandom r, Arena a) {
        int ts = type.typeSize(), blocks = ROWS * SBS;
        MemorySegment m = a.allocate((long) blocks * ts);
        for (long i = 0; i < m.byteSize(); i++) m.set(JAVA_BYTE, i, (byte) r.nextInt(256));
        for (int b = 0; b < blocks; b++) {
            float f = (float) (r.nextDouble(0.5, 2) * Math.pow(2, r.nextInt(-14, 4)) * (r.nextBoolean() ? 1 : -1));
            int bits = Float.floatToFloat16(f) & 0xFFFF;
            long o = (long) b * ts;
            if (type == GgmlType.IQ1_S) {
                m.set(JAVA_SHORT_UNALIGNED, o, (short) bits);
            } else {
                for (int k = 0; k < 4; k++) {
                    long at = o + 48 + 2 * k;
                    m.set(JAVA_SHORT_UNALIGNED, at, (short) ((m.get(JAVA_SHORT_UNALIGNED, at) & 0x0FFF) | (bits >>> (4 * k) & 0xF) << 12));
                }
            }
        }
        return m;
    }

}

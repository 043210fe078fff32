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
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our SwiGLU, 8-bit activation quantization and Q8_0 dot product against the very functions llama.cpp
 * runs (ggml's CPU library exports them), bit for bit. These are what make the engines' logits identical
 * on Q8_0 models ({@code LlamaCppParityTest}); a last-bit difference in any of them moves 8-bit rounding
 * and shows up as a KL of ~1e-4. Our kernels follow ggml's AVX2 code, so the comparison runs when ggml
 * chose its {@code haswell} library (this machine kind); other variants add in other orders.
 */
class GgmlKernelParityTest {
    static MethodHandle swiglu, quantizeRow, vecDot;

    @BeforeAll
    static void load() throws Throwable {
        LlamaLibrary lib = NativeLibraries.llama();
        assumeTrue("haswell".equals(lib.cpuVariant()), "ggml runs its " + lib.cpuVariant() + " library, not haswell");
        SymbolLookup cpu = SymbolLookup.libraryLookup(lib.dir().resolve("libggml-cpu-haswell.so"), Arena.global());
        Linker l = Linker.nativeLinker();
        // ggml_cpu_init fills the f16 tables its dot products read
        l.downcallHandle(cpu.find("ggml_cpu_init").orElseThrow(), FunctionDescriptor.ofVoid()).invokeExact();
        swiglu = l.downcallHandle(cpu.find("ggml_vec_swiglu_f32").orElseThrow(),
                FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        quantizeRow = l.downcallHandle(cpu.find("quantize_row_q8_0").orElseThrow(),
                FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
        vecDot = l.downcallHandle(cpu.find("ggml_vec_dot_q8_0_q8_0").orElseThrow(),
                FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT));
    }

    @Test
    void swigluIsGgmls() throws Throwable {
        int n = 8960 * 2;
        SplittableRandom r = new SplittableRandom(5);
        float[] g = new float[n], u = new float[n];
        for (int i = 0; i < n; i++) {
            // include |x| > 87, where ggml's exp takes its two-factor scaling path, and exact zeros
            g[i] = i % 97 == 0 ? 0f : (float) (r.nextGaussian() * (i % 7 == 0 ? 60 : 3));
            u[i] = (float) r.nextGaussian();
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment y = a.allocate(4L * n);
            swiglu.invokeExact(n, y, a.allocateFrom(JAVA_FLOAT, g), a.allocateFrom(JAVA_FLOAT, u));
            float[] ours = g.clone();
            GgmlExp.swiglu(ours, u, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToRawIntBits(y.getAtIndex(JAVA_FLOAT, i)), Float.floatToRawIntBits(ours[i]),
                        "silu(" + g[i] + ") * " + u[i]);
            }
        }
    }

    @Test
    void q8ActivationsAndQ8_0DotAreGgmls() throws Throwable {
        int cols = 1536, blocks = cols / 32;
        SplittableRandom r = new SplittableRandom(9);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment qa = a.allocate(34L * blocks), qw = a.allocate(34L * blocks), out = a.allocate(4);
            float[] x = new float[cols], d = new float[blocks];
            short[] q = new short[cols], natural = new short[cols];
            float[] lanes = QuantKernels.laneScratch();
            for (int rep = 0; rep < 300; rep++) {
                for (int i = 0; i < cols; i++) x[i] = (float) (r.nextGaussian() * (rep % 5 + 0.1) * (i % 31 == 0 ? 20 : 1));
                if (rep % 50 == 0) java.util.Arrays.fill(x, 0, 64, 0f); // all-zero blocks
                quantizeRow.invokeExact(a.allocateFrom(JAVA_FLOAT, x), qa, (long) cols);
                QuantKernels.quantizeQ8(x, 0, cols, natural, 0, d, 0);
                QuantKernels.quantizeQ8Pairs(x, 0, cols, q, 0, d, 0);
                for (int b = 0; b < blocks; b++) {
                    assertEquals(Float.float16ToFloat(qa.get(JAVA_SHORT_UNALIGNED, 34L * b)), d[b], "scale of block " + b);
                    for (int i = 0; i < 32; i++) {
                        byte want = qa.get(JAVA_BYTE, 34L * b + 2 + i);
                        assertEquals(want, natural[b * 32 + i], "quant " + i + " of block " + b);
                        assertEquals(want, q[b * 32 + (i >> 1) + (i & 1) * 16], "pair layout, quant " + i + " of block " + b);
                    }
                }
                // a Q8_0 weight row: random blocks as ggml's own quantizer makes them
                for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
                quantizeRow.invokeExact(a.allocateFrom(JAVA_FLOAT, x), qw, (long) cols);
                vecDot.invokeExact(cols, out, 0L, qw, 0L, qa, 0L, 1);
                float want = out.get(JAVA_FLOAT, 0);
                sameDot(want, QuantKernels.dotQ8_0(qw, 0, blocks, q, 0, d, 0, lanes), "decode kernel, rep " + rep);
                short[] ws = new short[cols];
                float[] wd = new float[blocks], two = new float[2];
                QuantKernels.unpackQ8_0(qw, 0, blocks, ws, wd);
                sameDot(want, QuantKernels.dotUnpacked(ws, wd, blocks, q, 0, d, 0, lanes), "prefill kernel, rep " + rep);
                short[] q2 = new short[2 * cols];
                float[] d2 = new float[2 * blocks];
                System.arraycopy(q, 0, q2, cols, cols);
                System.arraycopy(d, 0, d2, blocks, blocks);
                QuantKernels.dotUnpacked2(ws, wd, blocks, q2, 0, cols, d2, 0, blocks, two, 0, 1, lanes);
                sameDot(want, two[1], "two-token prefill kernel, rep " + rep);
            }
        }
    }

    /**
     * Bit for bit at 256-bit quantized kernels (ggml's AVX2 order, the haswell library the suite pins);
     * at 128 bits our lanes add in another order, so there the last bits may differ.
     */
    private static void sameDot(float want, float got, String what) {
        if (VectorWidths.QUANT.vectorBitSize() == 256) {
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), what);
        } else {
            // a reordered sum of 48 block products (with cancellation): a few ulps of a typical block each
            assertEquals(want, got, 48 * 32 * Math.ulp(Math.max(16f, Math.abs(want))), what + " at " + VectorWidths.describe());
        }
    }
}

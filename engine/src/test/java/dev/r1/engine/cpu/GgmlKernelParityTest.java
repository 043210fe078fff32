package dev.r1.engine.cpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
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
    static MethodHandle swiglu, quantizeRow, vecDot, quantizeRowK, quantizeMatK, gemvQ4K, gemmQ4K, vecDotQ6K;

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
        // llama.cpp's repacked Q4_K path: activations for one token and for four (a C++ template instance,
        // ggml_quantize_mat_t<8, GGML_TYPE_Q8_K>, looked up by its mangled name), and the two kernels
        quantizeRowK = l.downcallHandle(cpu.find("quantize_row_q8_K").orElseThrow(),
                FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
        quantizeMatK = l.downcallHandle(cpu.find("_Z19ggml_quantize_mat_tILl8EL9ggml_type15EEvPKfPvll").orElseThrow(),
                FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG));
        FunctionDescriptor kernel = FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT);
        gemvQ4K = l.downcallHandle(cpu.find("ggml_gemv_q4_K_8x8_q8_K").orElseThrow(), kernel);
        gemmQ4K = l.downcallHandle(cpu.find("ggml_gemm_q4_K_8x8_q8_K").orElseThrow(), kernel);
        vecDotQ6K = l.downcallHandle(cpu.find("ggml_vec_dot_q6_K_q8_K").orElseThrow(),
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
     * {@link KQuants#quantizeQ8K} (vectorized) against ggml's {@code quantize_row_q8_K}, byte for byte: the scale,
     * the 256 quants and the 16 sums of each block (ggml's {@code block_q8_K}: f32, 256 int8, 16 int16), on
     * Gaussian blocks of several scales, a tie of opposite signs and a block whose maximum is its last element.
     */
    @Test
    void q8kQuantizationIsGgmls() throws Throwable {
        int blocks = 12, cols = 256 * blocks;
        SplittableRandom r = new SplittableRandom(23);
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, i / 256 % 5 - 2));
        x[256 + 17] = 50f;
        x[256 + 99] = -50f;
        x[512 + 255] = -80f;
        short[] q = new short[cols];
        float[] d = new float[blocks];
        int[] bs = new int[16 * blocks];
        KQuants.quantizeQ8K(x, 0, cols, q, 0, d, 0, bs, 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment theirs = a.allocate(292L * blocks);
            quantizeRowK.invokeExact(a.allocateFrom(JAVA_FLOAT, x), theirs, (long) cols);
            for (int b = 0; b < blocks; b++) {
                long o = 292L * b;
                assertEquals(Float.floatToRawIntBits(theirs.get(JAVA_FLOAT_UNALIGNED, o)), Float.floatToRawIntBits(d[b]), "scale of block " + b);
                for (int i = 0; i < 256; i++) assertEquals(theirs.get(JAVA_BYTE, o + 4 + i), (byte) q[256 * b + i], "quant " + i + " of block " + b);
                for (int g = 0; g < 16; g++) {
                    assertEquals(theirs.get(JAVA_SHORT_UNALIGNED, o + 260 + 2L * g), (short) bs[16 * b + g], "sum " + g + " of block " + b);
                }
            }
        }
    }

    /**
     * {@link Q4Kx8} against ggml's repacked Q4_K kernels on the same weights: {@code gemv} for one token,
     * {@code gemm} for four (its finer fma grain), each fed ggml's own activation quantization, and ours
     * fed {@link KQuants#quantizeQ8K} of the same floats. Bit for bit: this is what keeps Q4_K_M files
     * identical to llama.cpp's logits.
     */
    @Test
    void repackedQ4_KKernelsAreGgmls() throws Throwable {
        int rows = 32, cols = 1536, sbs = cols / 256;
        assumeTrue(Q4Kx8.fits(rows, cols), "Q4_K is not repacked at " + VectorWidths.describe());
        SplittableRandom r = new SplittableRandom(17);
        float[] wf = new float[rows * cols];
        for (int i = 0; i < wf.length; i++) wf[i] = (float) (r.nextGaussian() * (i % 64 == 0 ? 4 : 1));
        byte[] wq = dev.r1.quantize.Quantizers.quantize(dev.r1.quantize.Quantizers.forId(dev.r1.models.tensor.GgmlType.Q4_K.id()), "w", wf, rows, cols);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment w = a.allocateFrom(JAVA_BYTE, wq);
            MemorySegment ours = Q4Kx8.repack(w, rows, cols, a, new Parallel(1));
            MemorySegment theirs = ggmlQ4Kx8(w, rows, sbs, a);
            float[] x = new float[4 * cols];
            short[] q = new short[4 * cols];
            float[] d = new float[4 * sbs];
            int[] bs = new int[4 * sbs * 16];
            int[][] spread = new int[4][cols / 2 * Q4Kx8.R];
            int[] pairs = new int[2 * cols];
            MemorySegment out = a.allocate(4L * 4 * rows), act = a.allocate(4L * 292 * sbs + 64);
            float[] got = new float[4 * rows];
            for (int rep = 0; rep < 20; rep++) {
                for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (rep % 4 + 0.2) * (i % 29 == 0 ? 15 : 1));
                for (int t = 0; t < 4; t++) {
                    KQuants.quantizeQ8K(x, t * cols, cols, q, t * cols, d, t * sbs, bs, t * sbs * 16);
                    Q4Kx8.spread(q, t * cols, cols, spread[t]);
                }
                Q4Kx8.pairs(q, 0, 4 * cols, pairs, 0);
                float[] bp = new float[4 * sbs * 8];
                Q4Kx8.minSums(bs, 0, 4 * sbs, bp, 0);
                // one token: ggml's gemv
                quantizeRowK.invokeExact(a.allocateFrom(JAVA_FLOAT, java.util.Arrays.copyOf(x, cols)), act, (long) cols);
                gemvQ4K.invokeExact(cols, out, (long) rows, theirs, act, 1, rows);
                for (int g = 0; g < rows / Q4Kx8.R; g++) {
                    Q4Kx8.gemv(ours, (long) g * sbs * Q4Kx8.BLOCK, sbs, Q4Kx8.SPREAD ? spread[0] : pairs, 0, d, 0, bs, 0, got, g * Q4Kx8.R);
                }
                for (int i = 0; i < rows; i++) {
                    assertEquals(Float.floatToRawIntBits(out.getAtIndex(JAVA_FLOAT, i)), Float.floatToRawIntBits(got[i]),
                            "gemv, rep " + rep + ", row " + i + ": " + out.getAtIndex(JAVA_FLOAT, i) + " vs " + got[i]);
                }
                // four tokens: ggml's gemm, ours two at a time in its grain
                quantizeMatK.invokeExact(a.allocateFrom(JAVA_FLOAT, x), act, 4L, (long) cols);
                gemmQ4K.invokeExact(cols, out, (long) rows, theirs, act, 4, rows);
                for (int g = 0; g < rows / Q4Kx8.R; g++) {
                    for (int t = 0; t < 4; t += 2) {
                        // the mins in floats (bp, 512 bits) in even reps, in integers in odd ones
                        Q4Kx8.gemm2Fine(ours, (long) g * sbs * Q4Kx8.BLOCK, sbs, pairs, t * cols / 2, (t + 1) * cols / 2, d, t * sbs, (t + 1) * sbs,
                                bs, t * sbs * 16, (t + 1) * sbs * 16, rep % 2 == 0 ? bp : null, got, t * rows + g * Q4Kx8.R, (t + 1) * rows + g * Q4Kx8.R);
                    }
                }
                for (int i = 0; i < 4 * rows; i++) {
                    assertEquals(Float.floatToRawIntBits(out.getAtIndex(JAVA_FLOAT, i)), Float.floatToRawIntBits(got[i]),
                            "gemm, rep " + rep + ", token " + i / rows + ", row " + i % rows + ": " + out.getAtIndex(JAVA_FLOAT, i) + " vs " + got[i]);
                }
            }
        }
    }

    /**
     * ggml's {@code block_q4_Kx8} for 8-row groups (how its repacking lays them out): the eight d, the
     * eight dmin, per sub-block the eight rows' 6-bit scales and mins packed as one Q4_K block packs its
     * eight sub-blocks', and the rows' nibble bytes interleaved 8 at a time.
     */
    private static MemorySegment ggmlQ4Kx8(MemorySegment w, int rows, int sbs, Arena a) {
        int block = 16 + 16 + 96 + 1024;
        MemorySegment out = a.allocate((long) rows / 8 * sbs * block);
        for (int g = 0; g < rows / 8; g++) {
            for (int s = 0; s < sbs; s++) {
                long o = ((long) g * sbs + s) * block;
                int[][] sc = new int[8][8], mn = new int[8][8];
                for (int r = 0; r < 8; r++) {
                    long in = ((long) (8 * g + r) * sbs + s) * 144;
                    out.set(JAVA_SHORT_UNALIGNED, o + 2 * r, w.get(JAVA_SHORT_UNALIGNED, in));
                    out.set(JAVA_SHORT_UNALIGNED, o + 16 + 2 * r, w.get(JAVA_SHORT_UNALIGNED, in + 2));
                    int b0 = w.get(JAVA_INT_UNALIGNED, in + 4), b4 = w.get(JAVA_INT_UNALIGNED, in + 8), b8 = w.get(JAVA_INT_UNALIGNED, in + 12);
                    for (int j = 0; j < 8; j++) {
                        sc[j][r] = KQuants.subScale(b0, b8, j);
                        mn[j][r] = KQuants.subMin(b0, b4, b8, j);
                    }
                    for (int c = 0; c < 16; c++) { // 8 bytes of row r's 128 go to chunk c·8 + r
                        MemorySegment.copy(w, in + 16 + 8L * c, out, o + 128 + 8L * (8 * c + r), 8);
                    }
                }
                for (int j = 0; j < 8; j++) {
                    long so = o + 32 + 12L * j;
                    for (int k = 0; k < 4; k++) {
                        out.set(JAVA_BYTE, so + k, (byte) (sc[j][k] | (sc[j][k + 4] >> 4) << 6));
                        out.set(JAVA_BYTE, so + 4 + k, (byte) (mn[j][k] | (mn[j][k + 4] >> 4) << 6));
                        out.set(JAVA_BYTE, so + 8 + k, (byte) ((sc[j][k + 4] & 15) | (mn[j][k + 4] & 15) << 4));
                    }
                }
            }
        }
        return out;
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

    /**
     * A Q6_K row of 1, 3 and 35 super-blocks (35: ffn_down of the 1.5B) · Q8_K activations, ours against
     * {@code ggml_vec_dot_q6_K_q8_K} (x86 builds never repack Q6_K, so llama.cpp runs this for every Q6_K
     * matrix): both the row-major kernel and the repacked one that every Q6_K matrix but the head takes.
     */
    @Test
    void q6_KDotIsGgmls() throws Throwable {
        SplittableRandom r = new SplittableRandom(21);
        for (int sbs : new int[] {1, 3, 35}) {
            int cols = 256 * sbs;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment w = a.allocate(210L * sbs * 8), y = a.allocate(292L * sbs), out = a.allocate(4);
                for (int row = 0; row < 8; row++) {
                    for (int b = 0; b < sbs; b++) {
                        long o = 210L * (row * sbs + b);
                        for (int i = 0; i < 192; i++) w.set(JAVA_BYTE, o + i, (byte) r.nextInt(256));
                        for (int i = 0; i < 16; i++) w.set(JAVA_BYTE, o + 192 + i, (byte) (r.nextInt(127) - 63));
                        w.set(JAVA_SHORT_UNALIGNED, o + 208, Float.floatToFloat16((float) (r.nextDouble() * 1e-3)));
                    }
                }
                float[] x = new float[cols];
                for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
                quantizeRowK.invokeExact(a.allocateFrom(JAVA_FLOAT, x), y, (long) cols);
                short[] q = new short[cols];
                float[] d = new float[sbs];
                int[] bs = new int[16 * sbs];
                KQuants.quantizeQ8K(x, 0, cols, q, 0, d, 0, bs, 0);
                int[] qv = new int[cols / 2 * Q6Kx8.R];
                Q6Kx8.spread(q, 0, cols, qv);
                MemorySegment packed = null, six = null;
                if (Q6Kx8.fits(8, cols)) {
                    try (Parallel pool = new Parallel(1)) {
                        packed = Q6Kx8.repack(w, 8, cols, a, pool, true);
                        if (Q6Kx6.fits(8, cols)) six = Q6Kx6.repack(w, 8, cols, a, pool);
                    }
                }
                float[] group = new float[8], group6 = new float[8];
                boolean repacked = packed != null; // groups of R rows (R follows the vector width)
                for (int g = 0; repacked && g < 8 / Q6Kx8.R; g++) {
                    Q6Kx8.gemvGgml(packed, (long) g * sbs * Q6Kx8.BLOCK, sbs, qv, d, 0, bs, 0, new float[8 * Q6Kx8.R],
                            group, g * Q6Kx8.R);
                }
                int[] pairs = new int[cols / 2]; // Q6Kx6's activations: packed pairs whatever Q6Kx8.SPREAD
                Q4Kx8.pairs(q, 0, cols, pairs, 0);
                for (int g = 0; six != null && g < 8 / Q6Kx6.R; g++) {
                    Q6Kx6.gemv(six, (long) g * sbs * Q6Kx6.BLOCK, sbs, pairs, d, 0, bs, 0, new float[8 * Q6Kx6.R], group6, g * Q6Kx6.R);
                }
                for (int row = 0; row < 8; row++) {
                    vecDotQ6K.invokeExact(cols, out, 0L, w.asSlice(210L * row * sbs), 0L, y, 0L, 1);
                    float want = out.get(JAVA_FLOAT, 0);
                    float ours = KQuants.dotQ6_K(w, 210L * row * sbs, sbs, q, 0, d, 0, bs, 0);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(ours), sbs + " super-blocks, row " + row + ": ggml " + want + ", ours " + ours);
                    if (repacked) {
                        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(group[row]), sbs + " super-blocks, row " + row + " repacked: ggml " + want + ", ours " + group[row]);
                    }
                    if (six != null) {
                        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(group6[row]), sbs + " super-blocks, row " + row + " in 6 bits: ggml " + want + ", ours " + group6[row]);
                    }
                }
            }
        }
    }
}

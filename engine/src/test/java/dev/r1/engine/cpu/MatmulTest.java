package dev.r1.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.Quantizers;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Matrix × activations for every weight type against a float64 reference computed from ggml's own
 * dequantization of the same bytes. For Q4_0/Q8_0 the activations are quantized to 8 bits, so the
 * reference is computed twice: with the float activations (error bounded by the rounding of each
 * activation: |x - q*d| <= d/2 plus the f16 rounding of d, times |w|; K-quants use Q8_K activations
 * with one float scale per 256), and with the kernel's own
 * quantized activations (then only float summation error remains).
 */
class MatmulTest {
    static final Parallel POOL = new Parallel(3);
    static final Parallel ONE = new Parallel(1);

    @AfterAll
    static void close() { POOL.close(); }

    record Case(WeightMatrix w, float[] dense) {}

    static Case random(GgmlType type, int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] f = new float[rows * cols];
        for (int i = 0; i < f.length; i++) f[i] = (float) (r.nextGaussian() / Math.sqrt(cols));
        byte[] bytes = Quantizers.quantize(Quantizers.forId(type.id()), "w", f, rows, cols);
        MemorySegment seg = MemorySegment.ofArray(bytes);
        // Unaligned rows on purpose: copy into a segment at an odd offset.
        MemorySegment odd = java.lang.foreign.Arena.ofAuto().allocate(bytes.length + 3).asSlice(3);
        odd.copyFrom(seg);
        float[] dense = type.dequantize(odd);
        return new Case(new WeightMatrix("w", type, rows, cols, odd), dense);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "Q4_0", "Q8_0", "Q4_K", "Q6_K", "BF16", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void matchesFloat64ReferenceForEveryTokenCount(GgmlType type) {
        int cols = type.blockSize() == 256 ? 512 : 160, rows = 37;
        Case c = random(type, rows, cols, type.id());
        Matmul mm = new Matmul(POOL);
        SplittableRandom r = new SplittableRandom(42);
        for (int n : new int[] {1, 3, 4, 9, 37}) {
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (i % 7 == 0 ? 5 : 1));
            float[] out = new float[n * rows];
            mm.multiply(x, n, c.w, out);
            short[] q = new short[cols];
            float[] qd = new float[cols / 32];
            boolean kType = type == GgmlType.Q4_K || type == GgmlType.Q6_K;
            // relative rounding of an activation where the weights are halves (HalfKernels.round): 2^-11 F16, 2^-8 BF16
            double halfUlp = type == GgmlType.F16 ? 0x1p-11 : type == GgmlType.BF16 ? 0x1p-8 : 0;
            int group = kType ? 256 : 32; // K-quants meet Q8_K activations (one scale per 256), as llama.cpp
            for (int t = 0; t < n; t++) {
                if (kType) KQuants.quantizeQ8K(x, t * cols, cols, q, 0, qd, 0, new int[cols / 16], 0);
                else if (c.w.usesQ8Activations()) QuantKernels.quantizeQ8(x, t * cols, cols, q, 0, qd, 0);
                for (int row = 0; row < rows; row++) {
                    double exact = 0, viaQ8 = 0, bound = 0, mag = 0, halves = 0;
                    for (int i = 0; i < cols; i++) {
                        double w = c.dense[row * cols + i];
                        double xi = x[t * cols + i];
                        exact += w * xi;
                        mag += Math.abs(w * xi);
                        halves += Math.abs(w * xi) * halfUlp;
                        if (c.w.usesQ8Activations()) {
                            double d = Math.abs(qd[i / group]);
                            viaQ8 += w * q[i] * (double) qd[i / group];
                            bound += Math.abs(w) * (d * 0.5 * (1 + 0x1p-10) + Math.abs(xi) * 0x1p-10);
                        }
                    }
                    float got = out[t * rows + row];
                    double sumErr = 1e-5 * mag + 1e-6; // float accumulation over a few hundred terms
                    if (type == GgmlType.Q4_1 || type == GgmlType.Q5_1) {
                        // Q8_1 carries d·Σq per block rounded to f16 (as ggml's), which meets the weights' minimum
                        for (int b = 0; b < cols / 32; b++) {
                            int sq = 0;
                            double wmax = 0;
                            for (int i = b * 32; i < b * 32 + 32; i++) {
                                sq += q[i];
                                wmax = Math.max(wmax, Math.abs(c.dense[row * cols + i]));
                            }
                            sumErr += wmax * Math.abs(qd[b] * sq) * 0x1p-10;
                        }
                    }
                    if (c.w.usesQ8Activations()) {
                        assertEquals(viaQ8, got, sumErr, type + " n=" + n + " t=" + t + " row=" + row + " (own quantization)");
                        assertEquals(exact, got, bound + sumErr, type + " n=" + n + " t=" + t + " row=" + row + " (vs float x)");
                    } else {
                        // F16/BF16 weights meet activations rounded to their type, as in ggml: half an ulp of each
                        assertEquals(exact, got, sumErr + halves, type + " n=" + n + " t=" + t + " row=" + row);
                    }
                }
            }
        }
    }

    /** A Q4_0 case with its {@link Q4x8} repacking, as the CPU backend loads Q4_0 matrices. */
    static Case repacked(int rows, int cols, long seed) {
        Case c = random(GgmlType.Q4_0, rows, cols, seed);
        MemorySegment p = Q4x8.repack(c.w.data(), rows, cols, java.lang.foreign.Arena.ofAuto(), POOL);
        assertTrue(p != null);
        return new Case(new WeightMatrix("w", GgmlType.Q4_0, rows, cols, c.w.data(), p), c.dense);
    }

    /**
     * Repacked Q4_0 against the row-major kernels and the float64 sum over the same quantized activations:
     * token counts that mix the two-token and one-token kernels, with each output exact to the
     * float rounding of sequential per-block FMAs (the order ggml's repacked kernels use).
     */
    @org.junit.jupiter.api.Test
    void repackedQ4_0MatchesTheRowMajorKernelsAndFloat64() {
        // 17 groups: shares of 5, 6, 6 on the 3-thread pool, and decoding takes an odd share's middle group alone
        int rows = 17 * Q4x8.R, cols = 160, blocks = cols / 32;
        Case c = repacked(rows, cols, 11);
        Case plain = new Case(new WeightMatrix("w", GgmlType.Q4_0, rows, cols, c.w.data()), c.dense);
        Matmul mm = new Matmul(POOL);
        SplittableRandom r = new SplittableRandom(8);
        for (int n : new int[] {1, 2, 4, 5, 7, 37}) {
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (i % 5 == 0 ? 4 : 1));
            float[] got = new float[n * rows], ref = new float[n * rows];
            mm.multiply(x, n, c.w, got);
            mm.multiply(x, n, plain.w, ref);
            short[] q = new short[cols];
            float[] qd = new float[blocks];
            for (int t = 0; t < n; t++) {
                QuantKernels.quantizeQ8(x, t * cols, cols, q, 0, qd, 0);
                for (int row = 0; row < rows; row++) {
                    // the float operations the kernel must do: per block fma((float) isum, dw*da, acc), in order
                    float acc = 0;
                    long base = (long) row * plain.w.rowBytes();
                    for (int b = 0; b < blocks; b++) {
                        long o = base + b * 18L;
                        float dw = Float.float16ToFloat(c.w.data().get(QuantLayouts.I16, o));
                        int isum = 0;
                        for (int i = 0; i < 16; i++) {
                            int v = c.w.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, o + 2 + i) & 0xFF;
                            isum += ((v & 0xF) - 8) * q[b * 32 + i] + ((v >> 4) - 8) * q[b * 32 + 16 + i];
                        }
                        acc = Math.fma((float) isum, dw * qd[b], acc);
                    }
                    String at = "n=" + n + " t=" + t + " row=" + row;
                    assertEquals(acc, got[t * rows + row], 0f, at + " (ggml's float order)");
                    assertEquals(ref[t * rows + row], got[t * rows + row], 1e-5 * Math.abs(ref[t * rows + row]) + 1e-5, at + " (row-major kernels)");
                }
            }
        }
    }

    /**
     * Repacked Q6_K (any matrix but the head: ggml's lanes) does the same float operations as the row-major
     * kernel (both match llama.cpp's bit for bit, {@code GgmlKernelParityTest}), so the outputs are equal, for
     * decoding and for batches; the head's kernel (one sum per super-block) agrees within float rounding.
     */
    @org.junit.jupiter.api.Test
    void repackedQ6_KEqualsTheRowMajorKernel() {
        int rows = 7 * Q6Kx8.R, cols = 512; // seven groups over 3 workers: shares of 2, 2, 3 (two-group kernels, a lone group)
        org.junit.jupiter.api.Assumptions.assumeTrue(Q6Kx8.fits(rows, cols),
                "Q6_K is not repacked at " + VectorWidths.describe() + " (the layout needs groups of 8 or 16 rows)");
        Case c = random(GgmlType.Q6_K, rows, cols, 21);
        Matmul mm = new Matmul(POOL);
        SplittableRandom r = new SplittableRandom(9);
        // both layouts of ggml's lanes: a byte a value (Q6Kx8) and 6 bits (Q6Kx6, where its kernels take packed pairs)
        for (boolean six : Q6Kx6.fits(rows, cols) ? new boolean[] {false, true} : new boolean[] {false}) {
            MemorySegment p = six ? Q6Kx6.repack(c.w.data(), rows, cols, java.lang.foreign.Arena.ofAuto(), POOL)
                    : Q6Kx8.repack(c.w.data(), rows, cols, java.lang.foreign.Arena.ofAuto(), POOL, true);
            WeightMatrix packed = new WeightMatrix("w", GgmlType.Q6_K, rows, cols, c.w.data(), p);
            assertEquals(six ? WeightMatrix.Kernel.Q6_K_X6 : WeightMatrix.Kernel.Q6_K_X8_GGML, packed.kernel());
            for (int n : new int[] {1, 2, 3, 5}) {
                float[] x = new float[n * cols];
                for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (i % 3 == 0 ? 6 : 1));
                float[] got = new float[n * rows], ref = new float[n * rows];
                mm.multiply(x, n, packed, got);
                mm.multiply(x, n, c.w, ref);
                assertTrue(java.util.Arrays.equals(ref, got), (six ? "6 bits" : "bytes") + " n=" + n + ": " + java.util.Arrays.toString(ref) + " vs " + java.util.Arrays.toString(got));
            }
        }
        MemorySegment ph = Q6Kx8.repack(c.w.data(), rows, cols, java.lang.foreign.Arena.ofAuto(), POOL, false);
        WeightMatrix head = new WeightMatrix("output.weight", GgmlType.Q6_K, rows, cols, c.w.data(), ph);
        assertTrue(head.kernel() == WeightMatrix.Kernel.Q6_K_X8);
        for (int n : new int[] {1, 2, 3}) {
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            float[] got = new float[n * rows], ref = new float[n * rows];
            mm.multiply(x, n, head, got);
            mm.multiply(x, n, c.w, ref);
            for (int i = 0; i < got.length; i++) assertEquals(ref[i], got[i], 1e-5 * Math.max(1, Math.abs(ref[i])), "head n=" + n + " " + i);
        }
    }

    /**
     * The output head's one token four groups a call ({@link Q6Kx8#gemv4}, a quarter of each worker's share apart) gives
     * {@link Q6Kx8#gemv}'s floats bit for bit: called directly, and through a multiply of 37 groups over the test's
     * workers (shares of 12, 12, 13: full fours and a share's last groups alone).
     */
    @org.junit.jupiter.api.Test
    void q6kHeadFourGroupsAreTheOneGroupKernel() {
        int R = Q6Kx8.R, groups = 37, rows = groups * R, cols = 512, sbs = cols / 256;
        org.junit.jupiter.api.Assumptions.assumeTrue(Q6Kx8.FOUR && Q6Kx8.fits(rows, cols), "the head goes two groups a call at " + VectorWidths.describe());
        Case c = random(GgmlType.Q6_K, rows, cols, 131);
        MemorySegment ph = Q6Kx8.repack(c.w.data(), rows, cols, java.lang.foreign.Arena.ofAuto(), POOL, false);
        WeightMatrix head = new WeightMatrix("output.weight", GgmlType.Q6_K, rows, cols, c.w.data(), ph);
        assertEquals(WeightMatrix.Kernel.Q6_K_X8, head.kernel());
        SplittableRandom r = new SplittableRandom(132);
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) (r.nextGaussian() * (i % 3 == 0 ? 6 : 1));
        short[] q = new short[cols];
        float[] d = new float[sbs];
        int[] qv = new int[cols / 2];
        KQuants.quantizeQ8K(x, 0, cols, q, 0, d, 0, new int[sbs * 16], 0);
        Q6Kx8.spread(q, 0, cols, qv);
        long groupBytes = (long) sbs * Q6Kx8.BLOCK;
        float[] want = new float[rows], four = new float[rows], got = new float[rows];
        for (int g = 0; g < groups; g++) Q6Kx8.gemv(ph, g * groupBytes, sbs, qv, d, 0, want, g * R);
        int h = 9; // groups g, g+9, g+18, g+27 for g < 9, then the last alone
        for (int g = 0; g < h; g++) Q6Kx8.gemv4(ph, g * groupBytes, h * groupBytes, sbs, qv, d, new int[8 * R], four, g * R, h * R);
        Q6Kx8.gemv(ph, 36 * groupBytes, sbs, qv, d, 0, four, 36 * R);
        new Matmul(POOL).multiply(x, 1, head, got);
        for (int i = 0; i < rows; i++) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(four[i]), "gemv4 row " + i + ": " + want[i] + " vs " + four[i]);
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "multiply row " + i + ": " + want[i] + " vs " + got[i]);
        }
    }

    /**
     * Repacked Q5_K keeps ggml's eight lanes and its float operations per row, as the row-major kernel does
     * (bit-identical to llama.cpp's, {@code GgmlKernelParityTest}): outputs equal bit for bit, decoding
     * alone (decodePacked), beside another kernel in one multiply (the row-chunk path), and for batches.
     */
    @org.junit.jupiter.api.Test
    void repackedQ5_KEqualsTheRowMajorKernel() {
        int rows = 7 * Q5Kx8.R, cols = 768; // seven groups over 3 workers: shares of 2, 2, 3 (two-group kernel, one left alone)
        org.junit.jupiter.api.Assumptions.assumeTrue(Q5Kx8.fits(rows, cols), "Q5_K is not repacked at " + VectorWidths.describe());
        Case c = random(GgmlType.Q5_K, rows, cols, 61);
        MemorySegment p = Q5Kx8.repack(c.w.data(), rows, cols, java.lang.foreign.Arena.ofAuto(), POOL);
        WeightMatrix packed = new WeightMatrix("w", GgmlType.Q5_K, rows, cols, c.w.data(), p);
        assertEquals(WeightMatrix.Kernel.Q5_K_X8, packed.kernel());
        Case other = random(GgmlType.Q6_K, 24, cols, 62);
        Matmul mm = new Matmul(POOL);
        SplittableRandom r = new SplittableRandom(63);
        for (int n : new int[] {1, 2, 3, 5}) {
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (i % 3 == 0 ? 6 : 1) + (i % 5 == 0 ? 2 : 0));
            float[] got = new float[n * rows], ref = new float[n * rows], mixed = new float[n * rows], o = new float[n * 24];
            mm.multiply(x, n, packed, got);
            mm.multiply(x, n, c.w, ref);
            mm.multiply(x, n, new WeightMatrix[] {other.w, packed}, new float[][] {o, mixed}, false);
            for (int i = 0; i < got.length; i++) {
                assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(got[i]), "n=" + n + " " + i + ": " + ref[i] + " vs " + got[i]);
                assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(mixed[i]), "mixed n=" + n + " " + i);
            }
        }
    }

    /**
     * Repacked Q6_K in 6 bits ({@link Q6Kx6}) at its extremes: every value 31 (stored 63), every sub-block scale -128, the
     * activations all one magnitude (each quantizes to 127), one sign per super-block. The one-token kernel starts each
     * lane's float sum at the unsigned values' negated offsets (here 32·32·128·127 = 16 646 144, the largest a partial sum
     * can reach) and adds {@code scale·(four products)}: exact below 2^24, so bit for bit the row-major kernel's integers.
     */
    @org.junit.jupiter.api.Test
    void repackedQ6_KAtItsExtremesEqualsTheRowMajorKernel() {
        int rows = 7 * Q6Kx8.R, cols = 512, bs = (int) GgmlType.Q6_K.typeSize();
        org.junit.jupiter.api.Assumptions.assumeTrue(Q6Kx6.fits(rows, cols), "Q6_K is not repacked in 6 bits at " + VectorWidths.describe());
        MemorySegment raw = java.lang.foreign.Arena.ofAuto().allocate((long) rows * cols / 256 * bs);
        for (long b = 0; b < raw.byteSize(); b += bs) {
            for (int i = 0; i < 192; i++) raw.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b + i, (byte) 0xFF); // ql, qh: 63
            for (int i = 192; i < 208; i++) raw.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b + i, (byte) 0x80); // scales -128
            raw.set(QuantLayouts.I16, b + 208, Float.floatToFloat16(b % 3 == 0 ? 0.01f : -0.02f)); // d
        }
        extremeTokenSameAsRowMajor(GgmlType.Q6_K, rows, cols, raw, Q6Kx6.repack(raw, rows, cols, java.lang.foreign.Arena.ofAuto(), POOL), WeightMatrix.Kernel.Q6_K_X6);
    }

    /**
     * Repacked Q5_K at its extremes, where the decoding kernel's float lanes are tightest: every value 31, every
     * sub-block scale and min 63, the activations all one magnitude (so every one quantizes to 127), one sign per super-block.
     * The one-token kernel sums each lane's {@code ls·(four products)} in float, exact while every partial sum stays below
     * 2^24 (here 8·63·4·31·127 = 7 936 992): bit for bit the row-major kernel's integers.
     */
    @org.junit.jupiter.api.Test
    void repackedQ5_KAtItsExtremesEqualsTheRowMajorKernel() {
        int rows = 7 * Q5Kx8.R, cols = 768, bs = (int) GgmlType.Q5_K.typeSize();
        org.junit.jupiter.api.Assumptions.assumeTrue(Q5Kx8.fits(rows, cols), "Q5_K is not repacked at " + VectorWidths.describe());
        MemorySegment raw = java.lang.foreign.Arena.ofAuto().allocate((long) rows * cols / 256 * bs);
        for (long b = 0; b < raw.byteSize(); b += bs) {
            raw.set(QuantLayouts.I16, b, Float.floatToFloat16(b % 3 == 0 ? 0.01f : -0.02f)); // d
            raw.set(QuantLayouts.I16, b + 2, Float.floatToFloat16(0.005f)); // dmin
            for (int i = 4; i < bs; i++) raw.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b + i, (byte) 0xFF); // scales, mins 63; values 31
        }
        extremeTokenSameAsRowMajor(GgmlType.Q5_K, rows, cols, raw, Q5Kx8.repack(raw, rows, cols, java.lang.foreign.Arena.ofAuto(), POOL), WeightMatrix.Kernel.Q5_K_X8);
    }

    /**
     * One token, every activation +-1 (one sign per super-block, so each quantizes to 127), through the repacked
     * {@code packed} of {@code raw} (kernel {@code kind}) and through the row-major kernel: equal bit for bit.
     */
    private static void extremeTokenSameAsRowMajor(GgmlType type, int rows, int cols, MemorySegment raw, MemorySegment packedData,
                                                   WeightMatrix.Kernel kind) {
        WeightMatrix rowMajor = new WeightMatrix("w", type, rows, cols, raw);
        WeightMatrix packed = new WeightMatrix("w", type, rows, cols, raw, packedData);
        assertEquals(kind, packed.kernel());
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = i / 256 % 2 == 0 ? 1f : -1f;
        float[] got = new float[rows], ref = new float[rows];
        Matmul mm = new Matmul(POOL);
        mm.multiply(x, 1, packed, got);
        mm.multiply(x, 1, rowMajor, ref);
        for (int i = 0; i < rows; i++) assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(got[i]), i + ": " + ref[i] + " vs " + got[i]);
    }

    /**
     * Inputs for the repacked kernels' tests: large, offset values, or (extreme) +-1 and +-3 per block of 32, which
     * quantize to +-127 at the block maximum, the activations' largest magnitude.
     */
    static float[] activations(int len, boolean extreme, SplittableRandom r) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = extreme ? (i % 32 == 7 ? 3f : 1f) * (i / 32 % 2 == 0 ? 1 : -1)
                    : (float) (r.nextGaussian() * (i % 3 == 0 ? 6 : 1) + (i % 5 == 0 ? 2 : 0));
        }
        return x;
    }

    /**
     * Repacked IQ4_XS keeps ggml's eight lanes and float operations per row, as the row-major kernel does (which
     * matches llama.cpp's bit for bit, {@code LlamaCppParityTest}'s Q2_K/IQ4_XS mix): outputs equal bit for bit,
     * decoding alone (decodePacked's pairs, a lone group), beside another kernel in one multiply, for batches (8+ tokens
     * in llama.cpp's panel order), and with every level at -127 and the sub-block scales at their extremes (-32, 31).
     */
    @org.junit.jupiter.api.Test
    void repackedIQ4_XSEqualsTheRowMajorKernel() {
        // in 4 bits where it takes them (512-bit machines), else in Q6_K's byte layout (AVX2: Q6Kx8.repackIQ4XS)
        boolean four = IQ4XSx8.NIBBLES;
        int rows = 7 * (four ? IQ4XSx8.R : Q6Kx8.R), cols = 512;
        org.junit.jupiter.api.Assumptions.assumeTrue(four ? IQ4XSx8.fits(rows, cols) : Q6Kx8.fits(rows, cols), "IQ4_XS is not repacked at " + VectorWidths.describe());
        java.util.function.UnaryOperator<MemorySegment> repack = data -> four ? IQ4XSx8.repack(data, rows, cols, java.lang.foreign.Arena.ofAuto(), POOL)
                : Q6Kx8.repackIQ4XS(data, rows, cols, java.lang.foreign.Arena.ofAuto(), POOL);
        Case c = random(GgmlType.IQ4_XS, rows, cols, 81);
        MemorySegment extreme = java.lang.foreign.Arena.ofAuto().allocate(c.w.data().byteSize());
        for (long b = 0; b < extreme.byteSize(); b += 136) {
            extreme.set(QuantLayouts.I16, b, Float.floatToFloat16(b % 3 == 0 ? -0.01f : 0.02f));
            extreme.set(QuantLayouts.I16, b + 2, (short) (b % 272 == 0 ? 0xFFFF : 0)); // scales_h: ls 63 or ls 0 (-> 31, -32)
            for (int i = 4; i < 136; i++) extreme.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b + i, (byte) (i < 8 ? (b % 272 == 0 ? 0xFF : 0) : 0));
        }
        // 8+ tokens: llama.cpp's IQ panel order (IQ4XSx8.panelNibbles or Q6Kx8.panel against IQuants.dotPanel, itself checked against ggml_mul_mat)
        sameAsRowMajor(GgmlType.IQ4_XS, rows, cols, c.w.data(), extreme, four ? WeightMatrix.Kernel.IQ4_XS_X8 : WeightMatrix.Kernel.IQ4_XS_X8B,
                repack, 82, new int[] {1, 2, 3, 5, 8, 9, 13});
        MemorySegment copy = java.lang.foreign.Arena.ofAuto().allocate(c.w.data().byteSize());
        copy.copyFrom(c.w.data());
        copy.set(QuantLayouts.I16, 3L * (cols / 256) * 136 + 136, (short) 0x7c00); // +inf, row 3, second super-block
        assertTrue(repack.apply(copy) == null);
    }

    /** {@code wa · x} alone and beside {@code wb} in one multiply give {@code wantA} (and {@code wb} {@code wantB}) bit for bit. */
    private static void sameAloneAndBeside(Matmul mm, WeightMatrix wa, WeightMatrix wb, float[] x, int n, float[] wantA, float[] wantB, String what) {
        float[] alone = new float[n * wa.rows()], outA = new float[n * wa.rows()], outB = new float[n * wb.rows()];
        mm.multiply(x, n, wa, alone);
        mm.multiply(x, n, new WeightMatrix[] {wa, wb}, new float[][] {outA, outB}, false);
        for (int k = 0; k < alone.length; k++) {
            String at = what + " a[" + k + "]";
            assertEquals(Float.floatToRawIntBits(wantA[k]), Float.floatToRawIntBits(alone[k]), at + ": " + wantA[k] + " vs " + alone[k]);
            assertEquals(Float.floatToRawIntBits(wantA[k]), Float.floatToRawIntBits(outA[k]), "with b, " + at);
        }
        for (int k = 0; k < outB.length; k++) assertEquals(Float.floatToRawIntBits(wantB[k]), Float.floatToRawIntBits(outB[k]), what + " b[" + k + "]");
    }

    /**
     * ggml's AMX kernels for IQ4_XS ({@code amx/mmq.cpp}: {@code tinygemm_kernel_vnni} for one token, the tiles' {@code
     * scale_C}/{@code acc_C} for prompts) written out in scalar code: per row and super-block the exact integer {@code Σ_j
     * (ls_j - 32) · Σ level·q8}, then {@code acc = fma((float) sum, d_w·d_a, acc)}.
     */
    static float[] amxOrderIQ4XS(MemorySegment data, int rows, int cols, float[] x, int n) {
        int sbs = cols / 256;
        short[] q = new short[cols];
        float[] d = new float[sbs], out = new float[n * rows];
        int[] bsums = new int[sbs * 16];
        for (int t = 0; t < n; t++) {
            KQuants.quantizeQ8K(x, t * cols, cols, q, 0, d, 0, bsums, 0);
            for (int row = 0; row < rows; row++) {
                float acc = 0;
                for (int sb = 0; sb < sbs; sb++) {
                    long b = ((long) row * sbs + sb) * 136;
                    int sh = data.get(QuantLayouts.I16, b + 2) & 0xFFFF, sum = 0;
                    for (int j = 0; j < 8; j++) {
                        int sl = data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, b + 4 + j / 2) >> 4 * (j % 2) & 0xF;
                        int ls = (sl | (sh >> 2 * j & 3) << 4) - 32, sub = 0;
                        for (int k = 0; k < 16; k++) {
                            int qs = data.get(java.lang.foreign.ValueLayout.JAVA_BYTE, b + 8 + 16 * j + k) & 0xFF;
                            sub += dev.r1.models.tensor.IQ4_NLType.value(qs & 0xF) * q[256 * sb + 32 * j + k]
                                    + dev.r1.models.tensor.IQ4_NLType.value(qs >> 4) * q[256 * sb + 32 * j + k + 16];
                        }
                        sum += ls * sub;
                    }
                    acc = Math.fma((float) sum, Float.float16ToFloat(data.get(QuantLayouts.I16, b)) * d[sb], acc);
                }
                out[t * rows + row] = acc;
            }
        }
        return out;
    }

    /**
     * IQ4_XS where llama.cpp runs ggml's AMX order ({@link IQ4XSx8#AMX_ORDER}): every multiply, one token (two groups a call,
     * {@link IQ4XSx8#gemv2Amx}, an odd share's lone group) and prompts, alone and beside another matrix, against {@link
     * #amxOrderIQ4XS} bit for bit; random blocks, and every level at -127 with activations +-127 and the scales at -32
     * and 31 (the kernel's 16-bit pair sums at their limit).
     */
    @org.junit.jupiter.api.Test
    void iq4xsInGgmlsAmxOrder() {
        org.junit.jupiter.api.Assumptions.assumeTrue(IQ4XSx8.AMX_ORDER, "this JVM runs IQ4_XS in vec_dot's order (-Dr1.cpu.iq4xsamx=true: the AMX one)");
        boolean four = IQ4XSx8.NIBBLES;
        int R = four ? IQ4XSx8.R : Q6Kx8.R, cols = 512, rowsA = 13 * R, rowsB = 6 * R; // 13 groups: an odd share's lone group
        Case a = random(GgmlType.IQ4_XS, rowsA, cols, 121), b = random(GgmlType.IQ4_XS, rowsB, cols, 122);
        MemorySegment extreme = java.lang.foreign.Arena.ofAuto().allocate(a.w.data().byteSize());
        for (long o = 0; o < extreme.byteSize(); o += 136) {
            extreme.set(QuantLayouts.I16, o, Float.floatToFloat16(o % 3 == 0 ? -0.01f : 0.02f));
            extreme.set(QuantLayouts.I16, o + 2, (short) (o % 272 == 0 ? 0xFFFF : 0)); // ls 63 or 0: scales 31, -32
            for (int i = 4; i < 136; i++) extreme.set(java.lang.foreign.ValueLayout.JAVA_BYTE, o + i, (byte) (i < 8 ? (o % 272 == 0 ? 0xFF : 0) : 0));
        }
        Matmul mm = new Matmul(POOL);
        SplittableRandom r = new SplittableRandom(123);
        for (MemorySegment da : new MemorySegment[] {a.w.data(), extreme}) {
            boolean ext = da == extreme;
            java.util.function.Function<MemorySegment, MemorySegment> repack = d -> four ? IQ4XSx8.repack(d, rowsA, cols, java.lang.foreign.Arena.ofAuto(), POOL)
                    : Q6Kx8.repackIQ4XS(d, rowsA, cols, java.lang.foreign.Arena.ofAuto(), POOL);
            WeightMatrix wa = new WeightMatrix("a", GgmlType.IQ4_XS, rowsA, cols, da, repack.apply(da));
            MemorySegment pb = four ? IQ4XSx8.repack(b.w.data(), rowsB, cols, java.lang.foreign.Arena.ofAuto(), POOL)
                    : Q6Kx8.repackIQ4XS(b.w.data(), rowsB, cols, java.lang.foreign.Arena.ofAuto(), POOL);
            WeightMatrix wb = new WeightMatrix("b", GgmlType.IQ4_XS, rowsB, cols, b.w.data(), pb);
            assertEquals(four ? WeightMatrix.Kernel.IQ4_XS_X8 : WeightMatrix.Kernel.IQ4_XS_X8B, wa.kernel());
            for (int n : new int[] {1, 2, 5, 9}) {
                float[] x = activations(n * cols, ext, r);
                sameAloneAndBeside(mm, wa, wb, x, n, amxOrderIQ4XS(da, rowsA, cols, x, n), amxOrderIQ4XS(b.w.data(), rowsB, cols, x, n),
                        (ext ? "extreme" : "random") + " n=" + n);
            }
        }
    }

    /**
     * IQ2_XXS, IQ3_XXS and IQ3_S in IQ4_XS's 4-bit layout, IQ2_XS and IQ2_S in its form with a scale per 16
     * ({@link IQ4XSx8#repackGrid}: nibbles into the type's signed grid values, the factor folded into d) give the row-major kernels' floats ({@link IQuants}, ggml's own bit for
     * bit, IQuantsTest) bit for bit: decoding alone, beside another kernel, for batches, and for 8+ tokens in llama.cpp's
     * panel order. Random blocks (every grid index, sign pattern and scale a random byte gives), two scales of d. IQ1_S and
     * IQ1_M ({@link IQ4XSx8#repackIQ1}) against {@link IQ1Quants}: their grid lanes through the decoding table, the delta
     * parts apart ({@link IQ4XSx8#iq1Delta}; IQ1_M's lanes a second pass through its delta table, {@link IQ4XSx8#iq1mDelta}),
     * {@code 8·grid ± 1} through the panel table.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S"})
    void repackedGridTypesEqualTheRowMajorKernel(GgmlType type) {
        int rows = 7 * IQ4XSx8.R, cols = 512, ts = type.typeSize();
        org.junit.jupiter.api.Assumptions.assumeTrue(IQ4XSx8.servesGrid(type) && IQ4XSx8.fits(rows, cols),
                type + " is not repacked at " + VectorWidths.describe());
        MemorySegment[] data = new MemorySegment[2];
        for (int k = 0; k < 2; k++) {
            SplittableRandom r = new SplittableRandom(101 + 7L * type.id() + k);
            data[k] = java.lang.foreign.Arena.ofAuto().allocate((long) rows * (cols / 256) * ts);
            for (long b = 0; b < data[k].byteSize(); b++) data[k].set(java.lang.foreign.ValueLayout.JAVA_BYTE, b, (byte) r.nextInt());
            for (long b = 0; b < data[k].byteSize(); b += ts) {
                short d = Float.floatToFloat16((float) ((k == 0 ? 0.002 : 0.3) * (0.5 + r.nextDouble())));
                if (type != GgmlType.IQ1_M) data[k].set(QuantLayouts.I16, b, d);
                else for (int q = 0; q < 4; q++) { // IQ1_M keeps its d in the top nibbles of the four scale words
                    long at = b + 48 + 2 * q;
                    data[k].set(QuantLayouts.I16, at, (short) (data[k].get(QuantLayouts.I16, at) & 0x0FFF | (d >>> 4 * q & 0xF) << 12));
                }
            }
        }
        sameAsRowMajor(type, rows, cols, data[0], data[1], IQ4XSx8.per16(type) ? WeightMatrix.Kernel.IQ2_XS_X4 : WeightMatrix.Kernel.IQ4_XS_X8,
                d -> IQ4XSx8.repackGrid(d, type, rows, cols, java.lang.foreign.Arena.ofAuto(), POOL), 111, new int[] {1, 2, 3, 5, 8, 9, 13});
        // in one multiply with an IQ4_XS matrix: groups of both in one two-stream call, each with its own level table
        WeightMatrix grid = new WeightMatrix("g", type, rows, cols, data[0], IQ4XSx8.repackGrid(data[0], type, rows, cols, java.lang.foreign.Arena.ofAuto(), POOL));
        Case xs = random(GgmlType.IQ4_XS, 3 * IQ4XSx8.R, cols, 112);
        WeightMatrix xsPacked = new WeightMatrix("x", GgmlType.IQ4_XS, xs.w.rows(), cols, xs.w.data(),
                IQ4XSx8.repack(xs.w.data(), xs.w.rows(), cols, java.lang.foreign.Arena.ofAuto(), POOL));
        // one thread: its share is every group, and a decoding step pairs the IQ4_XS groups with the grid type's
        Matmul mm = new Matmul(ONE);
        SplittableRandom r = new SplittableRandom(113);
        for (int n : new int[] {1, 2, 8}) {
            float[] x = activations(n * cols, false, r);
            float[] a = new float[n * xs.w.rows()], b = new float[n * rows], a1 = a.clone(), b1 = b.clone();
            mm.multiply(x, n, new WeightMatrix[] {xsPacked, grid}, new float[][] {a, b}, false);
            mm.multiply(x, n, xsPacked, a1);
            mm.multiply(x, n, new WeightMatrix("g", type, rows, cols, data[0]), b1);
            for (int i = 0; i < a.length; i++) assertEquals(Float.floatToRawIntBits(a1[i]), Float.floatToRawIntBits(a[i]), "IQ4_XS beside " + type + ", n=" + n);
            for (int i = 0; i < b.length; i++) assertEquals(Float.floatToRawIntBits(b1[i]), Float.floatToRawIntBits(b[i]), type + " beside IQ4_XS, n=" + n);
        }
        MemorySegment copy = java.lang.foreign.Arena.ofAuto().allocate(data[0].byteSize());
        copy.copyFrom(data[0]);
        if (type == GgmlType.IQ1_M) { // +inf (0x7c00) in the scale words' top nibbles, row 3, second super-block
            long at = 3L * (cols / 256) * ts + ts + 48;
            for (int q = 0; q < 4; q++) copy.set(QuantLayouts.I16, at + 2 * q, (short) (copy.get(QuantLayouts.I16, at + 2 * q) & 0x0FFF | (0x7c00 >>> 4 * q & 0xF) << 12));
        } else {
            copy.set(QuantLayouts.I16, 3L * (cols / 256) * ts + ts, (short) 0x7c00); // +inf, row 3, second super-block
        }
        assertTrue(IQ4XSx8.repackGrid(copy, type, rows, cols, java.lang.foreign.Arena.ofAuto(), POOL) == null);
    }

    /**
     * Q3_K repacked into Q6_K's layout ({@link Q6Kx8#repackQ3K}, read by {@link Q6Kx8#gemvGgml} with sums of zero)
     * gives the row-major kernel's floats ({@link KQuants2#dotQ3_K}, itself llama.cpp's) bit for bit: decoding alone,
     * beside another kernel in one multiply, for batches, and with every value at -4 (no high bit, q 0) and the
     * scales at their extremes (-32, 31).
     */
    @org.junit.jupiter.api.Test
    void repackedQ3_KEqualsTheRowMajorKernel() {
        int rows = 7 * Q6Kx8.R, cols = 512;
        org.junit.jupiter.api.Assumptions.assumeTrue(Q6Kx8.fits(rows, cols), "Q3_K is not repacked at " + VectorWidths.describe());
        Case c = random(GgmlType.Q3_K, rows, cols, 91);
        MemorySegment extreme = java.lang.foreign.Arena.ofAuto().allocate(c.w.data().byteSize());
        for (long b = 0; b < extreme.byteSize(); b += 110) {
            // hmask and qs 0: every value 0 - 4; scales all 0 (-> -32) or all 63 (-> 31), alternating blocks
            for (int i = 96; i < 108; i++) extreme.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b + i, (byte) (b % 220 == 0 ? 0xFF : 0));
            extreme.set(QuantLayouts.I16, b + 108, Float.floatToFloat16(b % 330 == 0 ? -0.01f : 0.02f));
        }
        sameAsRowMajor(GgmlType.Q3_K, rows, cols, c.w.data(), extreme, WeightMatrix.Kernel.Q3_K_X8,
                data -> Q6Kx8.repackQ3K(data, rows, cols, java.lang.foreign.Arena.ofAuto(), POOL), 92);
        if (Q3Kx4.ENABLED) { // and in 4 bits (Q3Kx4), on 512-bit machines
            sameAsRowMajor(GgmlType.Q3_K, rows, cols, c.w.data(), extreme, WeightMatrix.Kernel.Q3_K_X4,
                    data -> Q3Kx4.repack(data, rows, cols, java.lang.foreign.Arena.ofAuto(), POOL), 94);
        }
    }

    /**
     * Q2_K in 2 bits ({@link Q2Kx4}, 512-bit machines) gives the row-major kernel's floats ({@link KQuants2#dotQ2_K},
     * itself llama.cpp's) bit for bit, with the mins' fma before the quants' as ggml; extremes: every value 3 and every
     * scale and min 15.
     */
    @org.junit.jupiter.api.Test
    void repackedQ2_KEqualsTheRowMajorKernel() {
        int rows = 7 * Q2Kx4.R, cols = 512;
        org.junit.jupiter.api.Assumptions.assumeTrue(Q2Kx4.ENABLED && Q2Kx4.fits(rows, cols), "Q2_K is not repacked at " + VectorWidths.describe());
        Case c = random(GgmlType.Q2_K, rows, cols, 95);
        MemorySegment extreme = java.lang.foreign.Arena.ofAuto().allocate(c.w.data().byteSize());
        for (long b = 0; b < extreme.byteSize(); b += 84) {
            for (int i = 0; i < 80; i++) extreme.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b + i, (byte) 0xFF);
            extreme.set(QuantLayouts.I16, b + 80, Float.floatToFloat16(b % 168 == 0 ? -0.01f : 0.02f));
            extreme.set(QuantLayouts.I16, b + 82, Float.floatToFloat16(b % 252 == 0 ? 0.03f : -0.005f));
        }
        sameAsRowMajor(GgmlType.Q2_K, rows, cols, c.w.data(), extreme, WeightMatrix.Kernel.Q2_K_X4,
                data -> Q2Kx4.repack(data, rows, cols, java.lang.foreign.Arena.ofAuto(), POOL), 96);
        // d and dmin stay f16, widened by the kernel for finite values only: a matrix with another keeps the row-major kernel
        MemorySegment copy = java.lang.foreign.Arena.ofAuto().allocate(c.w.data().byteSize());
        for (int at : new int[] {80, 82}) { // +inf d, then NaN dmin, row 3, second super-block
            copy.copyFrom(c.w.data());
            copy.set(QuantLayouts.I16, 3L * (cols / 256) * 84 + 84 + at, (short) (at == 80 ? 0x7c00 : 0x7e00));
            assertTrue(Q2Kx4.repack(copy, rows, cols, java.lang.foreign.Arena.ofAuto(), POOL) == null, "offset " + at);
        }
    }

    /**
     * A repacked matrix's outputs equal the row-major kernel's bit for bit, for random and extreme data: decoding
     * alone, beside another kernel (a Q4_0 matrix) in one multiply, and batches of 2, 3 and 5 tokens.
     */
    private static void sameAsRowMajor(GgmlType type, int rows, int cols, MemorySegment random, MemorySegment extreme,
                                       WeightMatrix.Kernel kind, java.util.function.UnaryOperator<MemorySegment> repack, long seed) {
        sameAsRowMajor(type, rows, cols, random, extreme, kind, repack, seed, new int[] {1, 2, 3, 5});
    }

    private static void sameAsRowMajor(GgmlType type, int rows, int cols, MemorySegment random, MemorySegment extreme,
                                       WeightMatrix.Kernel kind, java.util.function.UnaryOperator<MemorySegment> repack, long seed,
                                       int[] tokens) {
        Case other = random(GgmlType.Q4_0, 40, cols, seed);
        Matmul mm = new Matmul(POOL);
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (MemorySegment data : new MemorySegment[] {random, extreme}) {
            WeightMatrix plain = new WeightMatrix("w", type, rows, cols, data);
            WeightMatrix packed = new WeightMatrix("w", type, rows, cols, data, repack.apply(data));
            assertEquals(kind, packed.kernel());
            assertEquals(WeightMatrix.Kernel.K_QUANT, plain.kernel());
            for (int n : tokens) {
                float[] x = activations(n * cols, data == extreme, r);
                float[] got = new float[n * rows], ref = new float[n * rows], mixed = new float[n * rows], o = new float[n * 40];
                mm.multiply(x, n, packed, got);
                mm.multiply(x, n, plain, ref);
                mm.multiply(x, n, new WeightMatrix[] {other.w, packed}, new float[][] {o, mixed}, false);
                for (int i = 0; i < got.length; i++) {
                    String at = (data == extreme ? "extreme" : "random") + " n=" + n + " " + i;
                    assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(got[i]), at + ": " + ref[i] + " vs " + got[i]);
                    assertEquals(Float.floatToRawIntBits(ref[i]), Float.floatToRawIntBits(mixed[i]), "mixed " + at);
                }
            }
        }
    }

    /**
     * Q4_1 or Q8_0 in ggml's AMX order ({@link GgmlVariant}: llama.cpp's {@code sapphirerapids} library, {@code mmq.cpp}'s
     * {@code tinygemm_kernel_vnni} for one token and {@code acc_C} after the AMX tiles for prompts) written out in scalar
     * code: per row and block the exact integer {@code Σ q_w·q_a}, {@code acc = fma(sum, d_w·d_a, acc)}, and for Q4_1
     * then {@code acc = fma(m_w, s_a, acc)}; tokens {@code t} of {@code x}, rows of the file's bytes {@code data}.
     */
    static float[] amxOrder(GgmlType type, MemorySegment data, int rows, int cols, float[] x, int n) {
        boolean q41 = type == GgmlType.Q4_1;
        int blocks = cols / 32, bytes = (int) type.typeSize();
        short[] q = new short[cols];
        float[] d = new float[blocks], s = new float[blocks], out = new float[n * rows];
        byte[] blk = new byte[bytes];
        for (int t = 0; t < n; t++) {
            LegacyQuants.quantizeQ8_1(x, t * cols, cols, q, 0, d, s, 0); // Q8_0's quants and scales, and Q8_1's sums
            for (int row = 0; row < rows; row++) {
                float acc = 0;
                for (int b = 0; b < blocks; b++) {
                    MemorySegment.copy(data, java.lang.foreign.ValueLayout.JAVA_BYTE, ((long) row * blocks + b) * bytes, blk, 0, bytes);
                    int sum = 0;
                    if (q41) for (int j = 0; j < 16; j++) sum += (blk[4 + j] & 0xF) * q[b * 32 + j] + (blk[4 + j] >> 4 & 0xF) * q[b * 32 + j + 16];
                    else for (int j = 0; j < 32; j++) sum += blk[2 + j] * q[b * 32 + j];
                    acc = Math.fma((float) sum, Float.float16ToFloat((short) ((blk[0] & 0xFF) | blk[1] << 8)) * d[b], acc);
                    if (q41) acc = Math.fma(Float.float16ToFloat((short) ((blk[2] & 0xFF) | blk[3] << 8)), s[b], acc);
                }
                out[t * rows + row] = acc;
            }
        }
        return out;
    }

    /**
     * A Q4_1 or Q8_0 matrix's file bytes at their extreme (every nibble 15, every Q8_0 value -128; with activations +-127):
     * the AMX kernels' 16-bit sums at their limit.
     */
    private static MemorySegment extremeAmx(GgmlType type, long bytes) {
        boolean q41 = type == GgmlType.Q4_1;
        int size = (int) type.typeSize(), head = q41 ? 4 : 2;
        MemorySegment m = java.lang.foreign.Arena.ofAuto().allocate(bytes);
        for (long b = 0; b < bytes; b += size) {
            m.set(QuantLayouts.I16, b, Float.floatToFloat16(b % 3 == 0 ? -0.01f : 0.02f));
            if (q41) m.set(QuantLayouts.I16, b + 2, Float.floatToFloat16(b % 5 == 0 ? 0.3f : -0.1f));
            for (int i = head; i < size; i++) m.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b + i, q41 ? (byte) 0xFF : (byte) 0x80);
        }
        return m;
    }

    /**
     * The kernels in ggml's AMX order called directly on the repacked layout, at this JVM's width whichever order the
     * engine runs here: Q4_1's ({@link Q8x8#gemvMinNibblesAmx}, and four groups a stride apart, {@link
     * Q8x8#gemvMinNibblesAmx4}) and Q8_0's ({@link Q8x8#gemvAmx}, {@link Q8x8#gemvAmx4}) against
     * {@link #amxOrder}, bit for bit, random rows and rows at the 16-bit sums' limit.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_1", "Q8_0"})
    void amxKernelsAreGgmlsAmxOrder(GgmlType type) {
        boolean q41 = type == GgmlType.Q4_1;
        int R = Q8x8.R, groups = 9, rows = groups * R, cols = 192, blocks = cols / 32;
        org.junit.jupiter.api.Assumptions.assumeTrue(q41 ? Q8x8.Q41_NIBBLES : Q8x8.fits(rows, cols), type + " has no such layout at " + VectorWidths.describe());
        Case c = random(type, rows, cols, q41 ? 81 : 85);
        SplittableRandom r = new SplittableRandom(82);
        MemorySegment extremes = extremeAmx(type, c.w.data().byteSize());
        for (MemorySegment data : new MemorySegment[] {c.w.data(), extremes}) {
            boolean extreme = data == extremes;
            MemorySegment packed = Q8x8.repack(data, type, rows, cols, java.lang.foreign.Arena.ofAuto(), POOL);
            float[] x = activations(cols, extreme, r), want = amxOrder(type, data, rows, cols, x, 1);
            short[] q = new short[cols];
            float[] d = new float[blocks], s = new float[blocks];
            LegacyQuants.quantizeQ8_1(x, 0, cols, q, 0, d, s, 0);
            int[] pairs = new int[cols / 2]; // Q4_1's pairs41, Q8_0's Q4x8 pairs
            if (q41) Q8x8.pairs41(q, 0, cols, pairs, 0);
            else Q4x8.pack(q, 0, cols, pairs, 0, new int[blocks], 0);
            long groupBytes = (long) blocks * Q8x8.block(type);
            float[] one = new float[rows], four = new float[rows];
            java.util.function.BiConsumer<Integer, float[]> alone = (g, to) -> {
                if (q41) Q8x8.gemvMinNibblesAmx(packed, g * groupBytes, blocks, pairs, 0, d, s, 0, to, g * R);
                else Q8x8.gemvAmx(packed, g * groupBytes, blocks, pairs, 0, d, 0, to, g * R);
            };
            // every group alone into one; into four groups 0, 2, 4, 6 and 1, 3, 5, 7 (a stride of two groups), and 8 alone
            for (int g = 0; g < groups; g++) alone.accept(g, one);
            alone.accept(8, four);
            for (int g = 0; g < 2; g++) {
                if (q41) Q8x8.gemvMinNibblesAmx4(packed, g * groupBytes, 2 * groupBytes, blocks, pairs, d, s, four, g * R, 2 * R);
                else Q8x8.gemvAmx4(packed, g * groupBytes, 2 * groupBytes, blocks, pairs, d, new int[4 * R], four, g * R, 2 * R);
            }
            for (int row = 0; row < rows; row++) {
                String at = type + " " + (extreme ? "extreme" : "random") + " row " + row;
                assertEquals(Float.floatToRawIntBits(want[row]), Float.floatToRawIntBits(one[row]), "one group, " + at + ": " + want[row] + " vs " + one[row]);
                assertEquals(Float.floatToRawIntBits(want[row]), Float.floatToRawIntBits(four[row]), "four groups, " + at + ": " + want[row] + " vs " + four[row]);
            }
        }
    }

    /**
     * Where the engine runs Q4_1 and Q8_0 in ggml's AMX order ({@link Q8x8#Q41_AMX}, {@link Q8x8#Q8_AMX}: AMX machines, and
     * {@link Q4x8WidthsTest}'s forks at every width), whole multiplies give {@link #amxOrder}'s floats bit for bit: decoding's four groups a
     * quarter of each share apart and the groups left over, a second matrix in the same multiply (fours that would span
     * two matrices go one group at a time), prompts' tokens one group at a time, and the 16-bit sums' limit.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_1", "Q8_0"})
    void amxOrderThroughMatmul(GgmlType type) {
        boolean q41 = type == GgmlType.Q4_1;
        org.junit.jupiter.api.Assumptions.assumeTrue(q41 ? Q8x8.Q41_AMX : Q8x8.Q8_AMX,
                "this JVM runs " + type + " in ggml's vec_dot order (-Dr1.cpu.q41amx=true, -Dr1.cpu.q8amx=true: the AMX one)");
        int R = Q8x8.R, cols = 160, rowsA = 37 * R, rowsB = 6 * R; // 37 groups over 3 workers: 12, 12, 13 (fours, and one left)
        Case a = random(type, rowsA, cols, 91), b = random(type, rowsB, cols, 92);
        Matmul mm = new Matmul(POOL);
        SplittableRandom r = new SplittableRandom(93);
        for (boolean extreme : new boolean[] {false, true}) {
            MemorySegment da = extreme ? extremeAmx(type, a.w.data().byteSize()) : a.w.data();
            MemorySegment db = extreme ? extremeAmx(type, b.w.data().byteSize()) : b.w.data();
            WeightMatrix wa = new WeightMatrix("a", type, rowsA, cols, da, Q8x8.repack(da, type, rowsA, cols, java.lang.foreign.Arena.ofAuto(), POOL));
            WeightMatrix wb = new WeightMatrix("b", type, rowsB, cols, db, Q8x8.repack(db, type, rowsB, cols, java.lang.foreign.Arena.ofAuto(), POOL));
            assertEquals(q41 ? WeightMatrix.Kernel.Q4_1_X4 : WeightMatrix.Kernel.Q8_0_X8, wa.kernel());
            for (int n : new int[] {1, 2, 5}) {
                float[] x = activations(n * cols, extreme, r);
                sameAloneAndBeside(mm, wa, wb, x, n, amxOrder(type, da, rowsA, cols, x, n), amxOrder(type, db, rowsB, cols, x, n),
                        (extreme ? "extreme" : "random") + " n=" + n);
            }
        }
    }

    /**
     * The 32-element types repacked a byte per value ({@link Q8x8}) against ggml's float operations written out in
     * scalar code (per block eight exact integer lanes of four products, {@code acc_k = fma(d_w·d_a, lane_k, acc_k)},
     * {@code hsum_float_8}, plus the {@code Σ m·s} fma chain for Q4_1/Q5_1; IQ4_NL one exact block sum and one fma,
     * as the repacked {@code iq4_nl_8x8}), bit for bit: decoding alone (decodePacked's pairs and a lone group), beside
     * another kernel in one multiply (chunks that split groups), for batches, and at the 16-bit sums' limit (every
     * value at its type's largest magnitude: Q8_0 -128, Q5_0 -16, Q4_1 15, Q5_1 31, IQ4_NL -127; activations +-127).
     * At 256 bits and more the row-major kernels (which match llama.cpp's, {@code LlamaCppParityTest}) give the same
     * bits; at 128 the row-major Q5_1 kernel was seen 1 ulp off the written-out order on one row, so that width
     * is held to the reference alone.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q5_0", "Q4_1", "Q5_1", "IQ4_NL"})
    void repackedByteTypesAreGgmlsFloatOrder(GgmlType type) {
        int rows = 7 * Q8x8.R, cols = 320; // seven groups over 3 workers: shares of 2, 2, 3 (pairs, one group alone)
        org.junit.jupiter.api.Assumptions.assumeTrue(Q8x8.fits(rows, cols), type + " is not repacked at " + VectorWidths.describe());
        Case c = random(type, rows, cols, 71);
        int bytes = (int) type.typeSize(), head = Q8x8.hasMin(type) ? 4 : 2, blocks = cols / 32;
        byte fill = switch (type) {
            case Q8_0 -> (byte) 0x80;
            case Q5_0, IQ4_NL -> 0;
            default -> (byte) 0xFF;
        };
        MemorySegment extreme = java.lang.foreign.Arena.ofAuto().allocate(c.w.data().byteSize());
        for (long b = 0; b < extreme.byteSize(); b += bytes) {
            extreme.set(QuantLayouts.I16, b, Float.floatToFloat16(b % 3 == 0 ? -0.01f : 0.02f));
            if (head == 4) extreme.set(QuantLayouts.I16, b + 2, Float.floatToFloat16(b % 5 == 0 ? 0.3f : -0.1f));
            for (int i = head; i < bytes; i++) extreme.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b + i, fill);
        }
        Matmul mm = new Matmul(POOL);
        SplittableRandom r = new SplittableRandom(73);
        Case same = random(GgmlType.Q4_0, 40, cols, 74); // another kernel on the same input
        for (MemorySegment data : new MemorySegment[] {c.w.data(), extreme}) {
            WeightMatrix plain = new WeightMatrix("w", type, rows, cols, data);
            WeightMatrix packed = new WeightMatrix("w", type, rows, cols, data, Q8x8.repack(data, type, rows, cols, java.lang.foreign.Arena.ofAuto(), POOL));
            assertTrue(packed.packed() != null && packed.kernel() != plain.kernel(), packed.kernel().toString());
            for (int n : new int[] {1, 2, 3, 5, 9}) { // 5, 9: IQ4_NL in 4 bits takes four tokens a pass, then one
                float[] x = activations(n * cols, data == extreme, r);
                float[] got = new float[n * rows], ref = new float[n * rows], mixed = new float[n * rows], o = new float[n * 40];
                mm.multiply(x, n, packed, got);
                mm.multiply(x, n, plain, ref);
                mm.multiply(x, n, new WeightMatrix[] {same.w, packed}, new float[][] {o, mixed}, false);
                short[] q = new short[cols];
                float[] d = new float[blocks], s = new float[blocks];
                byte[] blk = new byte[bytes], v = new byte[32];
                for (int t = 0; t < n; t++) {
                    LegacyQuants.quantizeQ8_1(x, t * cols, cols, q, 0, d, s, 0); // Q8_0's quants and scales, and Q8_1's sums
                    for (int row = 0; row < rows; row++) {
                        float[] lane = new float[8];
                        float acc = 0, summs = 0, amx = 0; // amx: Q4_1 in ggml's AMX order (Q8x8.Q41_AMX)
                        for (int b = 0; b < blocks; b++) {
                            MemorySegment.copy(data, java.lang.foreign.ValueLayout.JAVA_BYTE, ((long) row * blocks + b) * bytes, blk, 0, bytes);
                            Q8x8.values(type, blk, v);
                            float scale = Float.float16ToFloat((short) ((blk[0] & 0xFF) | blk[1] << 8)) * d[b];
                            int all = 0;
                            for (int k = 0; k < 8; k++) {
                                int sum = 0;
                                for (int e = 4 * k; e < 4 * k + 4; e++) sum += v[e] * q[b * 32 + e];
                                lane[k] = Math.fma(scale, (float) sum, lane[k]);
                                all += sum;
                            }
                            acc = Math.fma((float) all, scale, acc);
                            if (head == 4) summs = Math.fma(Float.float16ToFloat((short) ((blk[2] & 0xFF) | blk[3] << 8)), s[b], summs);
                            if (head == 4) amx = Math.fma(Float.float16ToFloat((short) ((blk[2] & 0xFF) | blk[3] << 8)), s[b], Math.fma((float) all, scale, amx));
                        }
                        boolean amxOrder = type == GgmlType.Q4_1 && Q8x8.Q41_AMX || type == GgmlType.Q8_0 && Q8x8.Q8_AMX;
                        float want = type == GgmlType.IQ4_NL || type == GgmlType.Q8_0 && amxOrder ? acc : amxOrder ? amx
                                : ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7])) + summs;
                        int k = t * rows + row;
                        String at = (data == extreme ? "extreme" : "random") + " n=" + n + " token " + t + " row " + row;
                        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[k]), at + ": " + want + " vs " + got[k]);
                        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(mixed[k]), "mixed " + at);
                        if (VectorWidths.BITS >= 256 && !amxOrder) assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(ref[k]), "row-major " + at);
                    }
                }
            }
        }
        // a non-finite scale (or offset) keeps the matrix row-major
        MemorySegment copy = java.lang.foreign.Arena.ofAuto().allocate(c.w.data().byteSize());
        copy.copyFrom(c.w.data());
        copy.set(QuantLayouts.I16, 3L * blocks * bytes + 2L * bytes + head - 2, (short) 0x7e00); // NaN, row 3
        assertTrue(Q8x8.repack(copy, type, rows, cols, java.lang.foreign.Arena.ofAuto(), POOL) == null);
    }

    /**
     * Repacked Q4_K against ggml's float operations written out in scalar code, per token: consecutive
     * tokens of one sequence in fours take the gemm grain (an fma per two sub-blocks), the rest and every
     * row of a batch of sequences the gemv grain (an fma per super-block); and against the row-major kernel
     * within float rounding. Token counts mix pairs, singles and the fours boundary.
     */
    @org.junit.jupiter.api.Test
    void repackedQ4_KFollowsGgmlsGrainsPerToken() {
        int rows = 5 * Q4Kx8.R, cols = 768, sbs = cols / 256; // 40 rows at 8 per group: chunks split groups
        org.junit.jupiter.api.Assumptions.assumeTrue(Q4Kx8.fits(rows, cols), "Q4_K is not repacked at " + VectorWidths.describe());
        Case c = random(GgmlType.Q4_K, rows, cols, 31);
        MemorySegment p = Q4Kx8.repack(c.w.data(), rows, cols, java.lang.foreign.Arena.ofAuto(), POOL);
        assertTrue(p != null);
        WeightMatrix packed = new WeightMatrix("w", GgmlType.Q4_K, rows, cols, c.w.data(), p);
        assertEquals(WeightMatrix.Kernel.Q4_K_X8, packed.kernel());
        Matmul mm = new Matmul(POOL);
        SplittableRandom r = new SplittableRandom(32);
        for (int n : new int[] {1, 2, 3, 4, 5, 6, 7, 9}) {
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (i % 3 == 0 ? 6 : 1));
            for (boolean sequences : new boolean[] {false, true}) {
                float[] got = new float[n * rows], ref = new float[n * rows];
                mm.multiply(x, n, new WeightMatrix[] {packed}, new float[][] {got}, sequences);
                mm.multiply(x, n, c.w, ref);
                short[] q = new short[cols];
                float[] qd = new float[sbs];
                int[] bs = new int[sbs * 16];
                for (int t = 0; t < n; t++) {
                    KQuants.quantizeQ8K(x, t * cols, cols, q, 0, qd, 0, bs, 0);
                    int per = !sequences && t < n - n % 4 ? 2 : 8;
                    for (int row = 0; row < rows; row++) {
                        String at = "n=" + n + " t=" + t + " row=" + row + (sequences ? " (sequences)" : "");
                        float want = q4kGgmlOrder(c.w.data(), row * c.w.rowBytes(), sbs, q, qd, bs, per);
                        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[t * rows + row]), at + ": " + want + " vs " + got[t * rows + row]);
                        assertEquals(ref[t * rows + row], got[t * rows + row], 1e-5 * Math.abs(ref[t * rows + row]) + 1e-5, at + " (row-major kernel)");
                    }
                }
            }
        }
    }

    /**
     * A repacked Q4_K matrix in one multiply with a matrix of another kernel (Q/K/V of a Q4_K_M file, where
     * attn_v is Q6_K): one token then goes through the row-chunk path, not decodePacked, and must give
     * ggml's gemv order all the same; a batch likewise.
     */
    @org.junit.jupiter.api.Test
    void repackedQ4_KBesideAnotherKernelInOneMultiply() {
        int rows = 3 * Q4Kx8.R, cols = 512, sbs = cols / 256;
        org.junit.jupiter.api.Assumptions.assumeTrue(Q4Kx8.fits(rows, cols), "Q4_K is not repacked at " + VectorWidths.describe());
        Case c = random(GgmlType.Q4_K, rows, cols, 51);
        WeightMatrix packed = new WeightMatrix("w", GgmlType.Q4_K, rows, cols, c.w.data(),
                Q4Kx8.repack(c.w.data(), rows, cols, java.lang.foreign.Arena.ofAuto(), POOL));
        assertEquals(WeightMatrix.Kernel.Q4_K_X8, packed.kernel());
        Case other = random(GgmlType.Q6_K, 24, cols, 52);
        Matmul mm = new Matmul(POOL);
        SplittableRandom r = new SplittableRandom(53);
        for (int n : new int[] {1, 3}) {
            float[] x = new float[n * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
            float[] got = new float[n * rows], o = new float[n * 24];
            mm.multiply(x, n, new WeightMatrix[] {other.w, packed}, new float[][] {o, got}, true);
            short[] q = new short[cols];
            float[] qd = new float[sbs];
            int[] bs = new int[sbs * 16];
            for (int t = 0; t < n; t++) {
                KQuants.quantizeQ8K(x, t * cols, cols, q, 0, qd, 0, bs, 0);
                for (int row = 0; row < rows; row++) {
                    float want = q4kGgmlOrder(c.w.data(), row * c.w.rowBytes(), sbs, q, qd, bs, 8);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[t * rows + row]), "n=" + n + " t=" + t + " row=" + row);
                }
            }
        }
    }

    /**
     * Repacked Q4_K and Q6_K (ggml's lanes) matrices in one decoding multiply, as a Q4_K_M layer's q, k and v
     * (Matmul.decodeQ4KQ6K): every group's pair partner may be of either kind, across matrices, and a lone
     * middle group is left over (five, three and one groups: nine, shares of four and five). Each Q4_K row must
     * be ggml's gemv order and each Q6_K row what the Q6_K matrix gives alone (its own tests tie that to ggml).
     */
    @org.junit.jupiter.api.Test
    void repackedQ4_KAndQ6_KDecodeTogether() {
        int R = Q4Kx8.R, cols = 512, sbs = cols / 256;
        org.junit.jupiter.api.Assumptions.assumeTrue(Q4Kx8.fits(R, cols) && Q6Kx8.fits(R, cols) && Q6Kx8.R == R,
                "Q4_K and Q6_K are not repacked alike at " + VectorWidths.describe());
        Case q = random(GgmlType.Q4_K, 5 * R, cols, 61), k = random(GgmlType.Q4_K, R, cols, 63), v = random(GgmlType.Q6_K, 3 * R, cols, 62);
        java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofAuto();
        WeightMatrix wq = new WeightMatrix("q", GgmlType.Q4_K, 5 * R, cols, q.w.data(), Q4Kx8.repack(q.w.data(), 5 * R, cols, arena, POOL));
        WeightMatrix wk = new WeightMatrix("k", GgmlType.Q4_K, R, cols, k.w.data(), Q4Kx8.repack(k.w.data(), R, cols, arena, POOL));
        Matmul mm = new Matmul(POOL);
        SplittableRandom r = new SplittableRandom(64);
        for (int rep = 0; rep < 4; rep++) {
            boolean six = rep % 2 == 1 && Q6Kx6.fits(3 * R, cols); // v in either layout of ggml's lanes
            WeightMatrix wv = new WeightMatrix("v", GgmlType.Q6_K, 3 * R, cols, v.w.data(), six ? Q6Kx6.repack(v.w.data(), 3 * R, cols, arena, POOL)
                    : Q6Kx8.repack(v.w.data(), 3 * R, cols, arena, POOL, true));
            assertEquals(six ? WeightMatrix.Kernel.Q6_K_X6 : WeightMatrix.Kernel.Q6_K_X8_GGML, wv.kernel());
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) x[i] = (float) (r.nextGaussian() * (i % 7 == 0 ? 5 : 1));
            float[] oq = new float[5 * R], ok = new float[R], ov = new float[3 * R], vAlone = new float[3 * R], vRows = new float[3 * R];
            mm.multiply(x, 1, new WeightMatrix[] {wq, wv, wk}, new float[][] {oq, ov, ok}, false);
            mm.multiply(x, 1, wv, vAlone);
            mm.multiply(x, 1, v.w, vRows);
            assertTrue(java.util.Arrays.equals(vAlone, ov), "Q6_K rows beside Q4_K ones differ from the Q6_K matrix alone");
            assertTrue(java.util.Arrays.equals(vRows, ov), "Q6_K rows beside Q4_K ones differ from the row-major kernel's");
            short[] qq = new short[cols];
            float[] qd = new float[sbs];
            int[] bs = new int[sbs * 16];
            KQuants.quantizeQ8K(x, 0, cols, qq, 0, qd, 0, bs, 0);
            for (Case c : new Case[] {q, k}) {
                float[] got = c == q ? oq : ok;
                for (int row = 0; row < got.length; row++) {
                    float want = q4kGgmlOrder(c.w.data(), row * c.w.rowBytes(), sbs, qq, qd, bs, 8);
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[row]), (c == q ? "q" : "k") + " row " + row);
                }
            }
        }
    }

    /** One Q4_K row · Q8_K activations with ggml's repacked float operations, {@code per} sub-blocks per fma. */
    static float q4kGgmlOrder(MemorySegment w, long rowOff, int sbs, short[] q, float[] qd, int[] bs, int per) {
        float acc = 0, accm = 0;
        for (int s = 0; s < sbs; s++) {
            long o = rowOff + 144L * s;
            float dw = Float.float16ToFloat(w.get(QuantLayouts.I16, o)), dm = Float.float16ToFloat(w.get(QuantLayouts.I16, o + 2));
            int b0 = w.get(QuantLayouts.I32, o + 4), b4 = w.get(QuantLayouts.I32, o + 8), b8 = w.get(QuantLayouts.I32, o + 12);
            for (int j0 = 0; j0 < 8; j0 += per) {
                int isum = 0, imin = 0;
                for (int j = j0; j < j0 + per; j++) {
                    int sub = 0;
                    for (int l = 0; l < 32; l++) {
                        int v = (w.get(java.lang.foreign.ValueLayout.JAVA_BYTE, o + 16 + 32 * (j / 2) + l) >> (4 * (j & 1))) & 0xF;
                        sub += v * q[256 * s + 32 * j + l];
                    }
                    isum += sub * KQuants.subScale(b0, b8, j);
                    imin += KQuants.subMin(b0, b4, b8, j) * (bs[16 * s + 2 * j] + bs[16 * s + 2 * j + 1]);
                }
                acc = Math.fma((float) isum, dw * qd[s], acc);
                accm = Math.fma((float) imin, dm * qd[s], accm);
            }
        }
        return acc - accm;
    }

    /** Q4_K decoding pairs groups across matrices like Q4_0 ({@link #decodePairsGroupsAcrossMatrices}); a non-finite d stays row-major. */
    @org.junit.jupiter.api.Test
    void repackedQ4_KDecodePairsAndNonFiniteScales() {
        int cols = 512;
        org.junit.jupiter.api.Assumptions.assumeTrue(Q4Kx8.fits(Q4Kx8.R, cols), "Q4_K is not repacked at " + VectorWidths.describe());
        WeightMatrix[] ws = new WeightMatrix[3];
        int R = Q4Kx8.R;
        int[] rowCounts = {5 * R, 2 * R, 32 * R}; // 5 + 2 + 32 groups, as 40, 16, 256 rows at R = 8
        for (int i = 0; i < 3; i++) {
            Case c = random(GgmlType.Q4_K, rowCounts[i], cols, 40 + i);
            ws[i] = new WeightMatrix("w" + i, GgmlType.Q4_K, rowCounts[i], cols, c.w.data(),
                    Q4Kx8.repack(c.w.data(), rowCounts[i], cols, java.lang.foreign.Arena.ofAuto(), POOL));
        }
        Matmul mm = new Matmul(POOL);
        float[] x = new float[cols];
        SplittableRandom r = new SplittableRandom(44);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[][] together = {new float[rowCounts[0]], new float[rowCounts[1]], new float[rowCounts[2]]};
        mm.multiply(x, 1, ws, together);
        for (int i = 0; i < 3; i++) {
            float[] alone = new float[rowCounts[i]];
            mm.multiply(x, 1, ws[i], alone);
            assertTrue(java.util.Arrays.equals(alone, together[i]), "matrix " + i);
        }
        MemorySegment copy = java.lang.foreign.Arena.ofAuto().allocate(ws[1].data().byteSize());
        copy.copyFrom(ws[1].data());
        copy.set(QuantLayouts.I16, 5 * 2 * 144 + 144 + 2, (short) 0x7e00); // NaN dmin, row 5, second super-block
        assertTrue(Q4Kx8.repack(copy, rowCounts[1], cols, java.lang.foreign.Arena.ofAuto(), POOL) == null);
    }

    /** A non-finite block scale keeps the matrix on the row-major kernels (the repacked f16 widening is finite-only). */
    @org.junit.jupiter.api.Test
    void repackRefusesNonFiniteScales() {
        Case c = random(GgmlType.Q4_0, 16, 64, 12);
        MemorySegment copy = java.lang.foreign.Arena.ofAuto().allocate(c.w.data().byteSize());
        copy.copyFrom(c.w.data());
        assertTrue(Q4x8.repack(copy, 16, 64, java.lang.foreign.Arena.ofAuto(), POOL) != null);
        copy.set(QuantLayouts.I16, 5 * 36 + 18, (short) 0x7c00); // +inf, row 5, second block
        assertTrue(Q4x8.repack(copy, 16, 64, java.lang.foreign.Arena.ofAuto(), POOL) == null);
    }

    /**
     * Decoding pairs groups across matrices (5 + 2 + 128 groups in shares of 45: pairs of a with b or c, c with
     * c, and each share's middle group alone): each output equals the one-matrix decode, which the test above
     * checks against ggml's float order.
     */
    @org.junit.jupiter.api.Test
    void decodePairsGroupsAcrossMatrices() {
        int cols = 96;
        int R = Q4x8.R, na = 5 * R, nb = 2 * R, nc = 128 * R;
        Case a = repacked(na, cols, 21), b = repacked(nb, cols, 22), c = repacked(nc, cols, 23);
        Matmul mm = new Matmul(POOL);
        float[] x = new float[cols];
        SplittableRandom r = new SplittableRandom(24);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] oa = new float[na], ob = new float[nb], oc = new float[nc], sa = new float[na], sb = new float[nb], sc = new float[nc];
        mm.multiply(x, 1, new WeightMatrix[] {a.w, b.w, c.w}, new float[][] {oa, ob, oc});
        mm.multiply(x, 1, a.w, sa);
        mm.multiply(x, 1, b.w, sb);
        mm.multiply(x, 1, c.w, sc);
        assertTrue(java.util.Arrays.equals(oa, sa) && java.util.Arrays.equals(ob, sb) && java.util.Arrays.equals(oc, sc));
        for (int i = 0; i < nc; i++) assertTrue(oc[i] != 0f, "row " + i + " computed");
    }

    /**
     * Decoding's shares (one per worker, pairs within, the rest taken from the back by idle workers) give
     * every row once, the same bits on any pool size: 1 to 7 threads over 1 to 41 groups, fewer groups than
     * workers included (empty shares). Outputs start as NaN, so a row never written fails.
     */
    @org.junit.jupiter.api.Test
    void decodeSharesGiveEveryRowOnAnyPoolSize() {
        int cols = 64;
        SplittableRandom r = new SplittableRandom(31);
        float[] x = new float[cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int groups : new int[] {1, 2, 3, 17, 41}) {
            Case c = repacked(groups * Q4x8.R, cols, 40 + groups);
            float[] want = null;
            for (int threads : new int[] {1, 2, 3, 4, 7}) {
                float[] got = new float[groups * Q4x8.R];
                java.util.Arrays.fill(got, Float.NaN);
                try (Parallel pool = new Parallel(threads)) {
                    new Matmul(pool).multiply(x, 1, c.w, got);
                }
                if (want == null) want = got;
                for (float v : got) assertTrue(!Float.isNaN(v), "groups=" + groups + " threads=" + threads);
                assertTrue(java.util.Arrays.equals(want, got), "groups=" + groups + " threads=" + threads);
            }
        }
    }

    /** Owners from the front and thieves from the back, racing: every pair of every share is handed out once. */
    @org.junit.jupiter.api.Test
    void claimsHandEveryPairOutOnce() throws InterruptedException {
        int workers = 4;
        SplittableRandom r = new SplittableRandom(32);
        for (int round = 0; round < 200; round++) {
            int[] size = new int[workers];
            int[] base = new int[workers + 1];
            java.util.concurrent.atomic.AtomicLongArray claims = new java.util.concurrent.atomic.AtomicLongArray(workers);
            for (int k = 0; k < workers; k++) {
                size[k] = r.nextInt(200);
                base[k + 1] = base[k] + size[k];
                claims.set(k, size[k]);
            }
            java.util.concurrent.atomic.AtomicIntegerArray seen = new java.util.concurrent.atomic.AtomicIntegerArray(base[workers]);
            int max = 1 + r.nextInt(16);
            Thread[] ts = new Thread[workers];
            for (int w = 0; w < workers; w++) {
                int me = w;
                ts[w] = Thread.ofPlatform().start(() -> {
                    for (int v = 0; v < workers; v++) {
                        int k = (me + v) % workers;
                        long got;
                        while ((got = Matmul.claim(claims, k, v == 0, max)) >= 0) {
                            int from = (int) (got >>> 32), to = (int) got;
                            assertTrue(from < to && from >= 0 && to <= size[k], from + ".." + to + " of " + size[k]);
                            for (int t = from; t < to; t++) seen.incrementAndGet(base[k] + t);
                        }
                    }
                });
            }
            for (Thread t : ts) t.join();
            for (int i = 0; i < base[workers]; i++) assertEquals(1, seen.get(i), "round " + round + " item " + i);
        }
    }

    /**
     * The four-way items of a share (Q4_1/Q8_0 in ggml's AMX order): every group of the share once, the four of an item
     * of one matrix and a quarter of its part apart, whatever matrices the share spans (a fused q/k/v's second share:
     * q's last 32 groups, k's 16, v's 16 at the 1.5B shape), and full fours everywhere but a part's last items.
     */
    @org.junit.jupiter.api.Test
    void quadsKeepEachCallInOneMatrix() {
        SplittableRandom r = new SplittableRandom(33);
        int[][] layouts = {{96, 16, 16}, {560, 560}, {96}, {3}, {1, 1, 7}, {37, 6}};
        for (int round = 0; round < 300; round++) {
            int[] sizes = round < layouts.length ? layouts[round] : r.ints(1 + r.nextInt(4), 1, 60).toArray();
            int[] first = new int[sizes.length + 1];
            for (int m = 0; m < sizes.length; m++) first[m + 1] = first[m] + sizes[m];
            int total = first[sizes.length], workers = 1 + r.nextInt(4);
            int[] seen = new int[total];
            for (int k = 0; k < workers; k++) {
                int g0 = (int) ((long) total * k / workers), g1 = (int) ((long) total * (k + 1) / workers);
                int items = (int) Matmul.quads(first, g0, g1, -1), full = 0;
                for (int t = 0; t < items; t++) {
                    long q = Matmul.quads(first, g0, g1, t);
                    int a = (int) (q >>> 48), hq = (int) (q >>> 24) & 0xFFFFFF, i = (int) q & 0xFFFFFF;
                    int ps = Math.max(g0, first[a]), pe = Math.min(g1, first[a + 1]);
                    assertEquals((pe - ps + 3) / 4, hq, "round " + round + " item " + t);
                    assertTrue(i >= ps && i < ps + hq, "round " + round + " item " + t + ": group " + i + " of part " + ps + ".." + pe);
                    if (i + 3 * hq < pe) full++;
                    for (int m = i; m < pe; m += hq) seen[m]++;
                }
                int want = 0; // a part of L groups: hq = ceil(L / 4) items, L - 3·hq of them four groups
                for (int m = 0; m < sizes.length; m++) {
                    int len = Math.min(g1, first[m + 1]) - Math.max(g0, first[m]);
                    if (len > 0) want += Math.max(0, len - 3 * ((len + 3) / 4));
                }
                assertEquals(want, full, "round " + round + " share " + k + ": full fours");
            }
            for (int g = 0; g < total; g++) assertEquals(1, seen[g], "round " + round + " group " + g);
        }
        // the fused q/k/v at the 1.5B shape on two workers: all 32 items of four
        int[] qkv = {0, 96, 112, 128};
        for (int k = 0; k < 2; k++) {
            int g0 = 64 * k, g1 = 64 * (k + 1), items = (int) Matmul.quads(qkv, g0, g1, -1);
            assertEquals(16, items);
            for (int t = 0; t < items; t++) {
                long q = Matmul.quads(qkv, g0, g1, t);
                int a = (int) (q >>> 48), hq = (int) (q >>> 24) & 0xFFFFFF, i = (int) q & 0xFFFFFF;
                assertTrue(i + 3 * hq < Math.min(g1, qkv[a + 1]), "share " + k + " item " + t + " is a full four");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Matmul.quads(qkv, 0, 64, 16));
    }

    /** Chunks of the shared-input multiply that start or end inside a repacked group still get every row. */
    @org.junit.jupiter.api.Test
    void repackedGroupsSplitByChunksGiveTheSameRows() {
        int cols = 128, n = 5;
        Case odd = random(GgmlType.Q4_0, 13, cols, 3), a = repacked(48, cols, 4), b = repacked(1024, cols, 5);
        Matmul mm = new Matmul(POOL);
        float[] x = new float[n * cols];
        SplittableRandom r = new SplittableRandom(6);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int tokens : new int[] {1, n}) {
            float[] oo = new float[tokens * 13], oa = new float[tokens * 48], ob = new float[tokens * 1024];
            float[] sa = new float[tokens * 48], sb = new float[tokens * 1024];
            // 13 rows first: every later chunk boundary falls inside an 8-row group of a or b
            mm.multiply(x, tokens, new WeightMatrix[] {odd.w, a.w, b.w}, new float[][] {oo, oa, ob});
            mm.multiply(x, tokens, a.w, sa);
            mm.multiply(x, tokens, b.w, sb);
            assertTrue(java.util.Arrays.equals(oa, sa) && java.util.Arrays.equals(ob, sb), "tokens=" + tokens);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0", "F32", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void sharedInputMultiplyEqualsSeparateOnes(GgmlType type) {
        int cols = 128;
        Case a = random(type, 50, cols, 1), b = random(type, 13, cols, 2);
        Matmul mm = new Matmul(POOL);
        int n = 6;
        float[] x = new float[n * cols];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] oa = new float[n * 50], ob = new float[n * 13], sa = new float[n * 50], sb = new float[n * 13];
        mm.multiply(x, n, new WeightMatrix[] {a.w, b.w}, new float[][] {oa, ob});
        mm.multiply(x, n, a.w, sa);
        mm.multiply(x, n, b.w, sb);
        assertTrue(java.util.Arrays.equals(oa, sa) && java.util.Arrays.equals(ob, sb));
    }
}

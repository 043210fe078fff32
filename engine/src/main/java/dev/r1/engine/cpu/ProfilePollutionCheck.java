package dev.r1.engine.cpu;

import java.lang.foreign.*;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The decode kernel's compiled code must not depend on what other code ran: {@link Q4x8#gemv2}'s CPU time
 * and allocated bytes per call, with ("pollute") or without ("clean") 128-bit float vectors going through
 * the same shared Vector API method (FloatVector.intoArray) while the kernel is profiled. Not a test (it
 * needs its own JVM flags): run it by hand, e.g.
 * {@code java --add-modules jdk.incubator.vector -XX:-TieredCompilation -cp r1.jar dev.r1.engine.cpu.ProfilePollutionCheck pollute}.
 * Without tiers the interpreter profiles both shapes deterministically; before the kernels gave their
 * accumulators an exact class after the loop, "pollute" boxed ~4.7 KB per call and ran ~50% slower (the
 * bimodal decode speed of whole processes); now both modes allocate nothing and run alike.
 * "pollute-all" also sends 128-bit int/short vectors through the shared methods the kernel calls, as the
 * 512-bit float/int kernels would on AVX-512: that still boxes (~20 KB per call, ~3x slower), because the
 * kernel's per-slice calls have inexact receivers (results of reinterpret/convert); on AVX2 no other
 * code uses those methods with another shape.
 * "pollute-engine" runs the engine's own float kernels (F16 widening, add, SwiGLU, dot) at their configured
 * width between the kernel's calls: what a forward pass does. On AVX-512 with those kernels at 512 bits and
 * the quantized ones at 256 it boxed, which made whole processes decode 2-3x slower at random
 * (VectorWidths; KernelsAllocateNothingTest runs this mode). "pollute-engine-q4k" does the same for the repacked
 * Q4_K kernels ({@link Q4Kx8}, Q4x8's width) instead, printing allocated bytes per call of each ("q4k round ...").
 */
public final class ProfilePollutionCheck {
    private ProfilePollutionCheck() {}

    private static void other(float[] a, float[] b) { // other shapes through the same shared methods the kernel calls
        if (engine) { // the engine's own float kernels at their configured width (VectorWidths.SHAPE)
            short[] h = new short[a.length];
            for (int i = 0; i < h.length; i++) h[i] = Float.floatToFloat16(a[i]);
            F16Math.toFloat(h, 0, b, a.length);
            FloatKernels.add(a, 0, b, 0, a.length);
            GgmlExp.swiglu(b, a.clone(), 0, a.length);
            if (FloatKernels.dot(a, 0, b, 0, a.length) == 12345f) System.out.print("");
            return;
        }
        for (int i = 0; i < a.length; i += 4) {
            FloatVector f = FloatVector.fromArray(FloatVector.SPECIES_128, a, i);
            f.mul(2f).fma(f, f).add(f).intoArray(b, i);
            if (wide) {
                IntVector v = f.reinterpretAsInts();
                IntVector w = v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.ASHR, 16)).sub(3);
                ShortVector s = w.reinterpretAsShorts();
                s = s.and((short) 15).mul(s).add(s);
                ((FloatVector) s.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0)).intoArray(b, i);
            }
        }
    }

    static boolean wide, engine;

    /** A repacked Q4_K matrix of random blocks (finite d, dmin) and one or two tokens' activations for its kernels. */
    private static final class Q4K {
        final int rows = 256, cols = 1536, sbs = cols / KQuants.QK, R = Q4Kx8.R, groups = rows / R;
        final MemorySegment p;
        final float[] outSeg;
        final int[] qi = new int[cols], qv = new int[cols / 2 * R], bs = new int[2 * sbs * 16];
        final float[] d = new float[2 * sbs], bp = new float[2 * 8 * sbs];
        final long gb = (long) sbs * Q4Kx8.BLOCK;

        Q4K(SplittableRandom rnd, Parallel pool) {
            MemorySegment src = Arena.global().allocate((long) rows * sbs * KQuants.Q4_K_BYTES, 64);
            for (long i = 0; i < src.byteSize(); i++) src.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
            for (long b = 0; b < src.byteSize(); b += KQuants.Q4_K_BYTES) {
                src.set(QuantLayouts.I16, b, Float.floatToFloat16(0.01f));
                src.set(QuantLayouts.I16, b + 2, Float.floatToFloat16(0.01f));
            }
            p = Q4Kx8.repack(src, rows, cols, Arena.global(), pool);
            float[] x = new float[2 * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            short[] q = new short[2 * cols];
            for (int t = 0; t < 2; t++) KQuants.quantizeQ8K(x, t * cols, cols, q, t * cols, d, t * sbs, bs, t * sbs * 16);
            Q4Kx8.minSums(bs, 0, 2 * sbs, bp, 0);
            Q4Kx8.pairs(q, 0, 2 * cols, qi, 0);
            Q4Kx8.spread(q, 0, cols, qv);
            outSeg = new float[2 * rows];
        }

        /** One pass of kernel {@code kind} (gemv2, gemv, gemm2, gemm2Fine) over the matrix; the calls made. */
        int run(int kind) {
            int[] a = Q4Kx8.SPREAD ? qv : qi;
            int half = groups / 2;
            switch (kind) {
                case 0 -> {
                    for (int g = 0; g < half; g++) Q4Kx8.gemv2(p, g * gb, p, (g + half) * gb, sbs, a, 0, d, 0, bs, 0, bp, 0, outSeg, g * R, outSeg, (g + half) * R);
                    return half;
                }
                case 1 -> {
                    for (int g = 0; g < groups; g++) Q4Kx8.gemv(p, g * gb, sbs, a, 0, d, 0, bs, 0, outSeg, g * R);
                }
                case 2 -> {
                    for (int g = 0; g < groups; g++) Q4Kx8.gemm2(p, g * gb, sbs, qi, 0, cols / 2, d, 0, sbs, bs, 0, sbs * 16, bp, outSeg, g * R, rows + g * R);
                }
                default -> {
                    for (int g = 0; g < groups; g++) Q4Kx8.gemm2Fine(p, g * gb, sbs, qi, 0, cols / 2, d, 0, sbs, bs, 0, sbs * 16, bp, outSeg, g * R, rows + g * R);
                }
            }
            return groups;
        }
    }

    public static void main(String[] a) {
        boolean pollute = a.length > 0 && a[0].startsWith("pollute");
        wide = a.length > 0 && a[0].equals("pollute-all");
        engine = a.length > 0 && a[0].startsWith("pollute-engine");
        // "pollute-engine-q4k": the repacked Q4_K kernels instead of Q4x8's, in a process of their own (a Q4_K_M
        // file's); beside each other each kernel family's shared profiles would also hold the other's
        boolean q4k = a.length > 0 && a[0].endsWith("-q4k");
        int cols = 1536, rows = 1024, blocks = cols / 32, R = Q4x8.R;
        SplittableRandom rnd = new SplittableRandom(7);
        MemorySegment src = Arena.global().allocate((long) rows * blocks * 18, 64);
        for (long i = 0; i < src.byteSize(); i++) src.set(ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
        for (long b = 0; b < src.byteSize(); b += 18) src.set(QuantLayouts.I16, b, Float.floatToFloat16(0.01f));
        try (Parallel pool = new Parallel(1)) {
            MemorySegment p = Q4x8.repack(src, rows, cols, Arena.global(), pool);
            short[] q = new short[cols];
            for (int i = 0; i < cols; i++) q[i] = (short) (rnd.nextInt(255) - 127);
            int[] qi = new int[cols / 2], s8 = new int[blocks], qv = new int[cols / 2 * R];
            float[] d = new float[blocks];
            java.util.Arrays.fill(d, 0.01f);
            Q4x8.pack(q, 0, cols, qi, 0, s8, 0);
            Q4x8.spread(qi, 0, cols / 2, qv, 0);
            float[] out = new float[rows], x = new float[64], y = new float[64];
            float[] outSeg = out;
            long gb = (long) blocks * Q4x8.BLOCK;
            int half = rows / R / 2;
            var tmx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            Q4K k = q4k ? new Q4K(rnd, pool) : null;
            for (int round = 0, rounds = Integer.getInteger("rounds", 8); round < rounds; round++) {
                if (q4k) {
                    q4kRound(k, round, pollute, x, y, tmx);
                    continue;
                }
                long cpu = 0, al = 0;
                int calls = 0;
                for (int it = 0; it < 200; it++) {
                    if (pollute) other(x, y);
                    long c0 = tmx.getCurrentThreadCpuTime(), al0 = tmx.getCurrentThreadAllocatedBytes();
                    for (int g = 0; g < half; g++, calls++)
                        Q4x8.gemv2(p, g * gb, p, (g + half) * gb, blocks, Q4x8.SPREAD ? qv : qi, 0, d, s8, 0, outSeg, g * R, outSeg, (g + half) * R);
                    cpu += tmx.getCurrentThreadCpuTime() - c0;
                    al += tmx.getCurrentThreadAllocatedBytes() - al0;
                }
                System.out.printf("%s round %d: %.0f ns/gemv2 (cpu), %.0f bytes/gemv2%n", pollute ? "pollute" : "clean", round,
                        (double) cpu / calls, (double) al / calls);
            }
        }
    }

    /** One round of the Q4_K kernels: CPU time per pass of all four, allocated bytes per call of each. */
    private static void q4kRound(Q4K k, int round, boolean pollute, float[] x, float[] y, com.sun.management.ThreadMXBean tmx) {
        long[] bytes = new long[4], n = new long[4];
        long kcpu = 0;
        for (int it = 0; it < 200; it++) {
            if (pollute) other(x, y);
            long c0 = tmx.getCurrentThreadCpuTime();
            for (int kind = 0; kind < 4; kind++) {
                long al0 = tmx.getCurrentThreadAllocatedBytes();
                n[kind] += k.run(kind);
                bytes[kind] += tmx.getCurrentThreadAllocatedBytes() - al0;
            }
            kcpu += tmx.getCurrentThreadCpuTime() - c0;
        }
        System.out.printf("q4k round %d: %.0f ns/iteration (cpu), %.0f bytes/gemv2, %.0f bytes/gemv, %.0f bytes/gemm2, %.0f bytes/gemm2Fine%n",
                round, (double) kcpu / 200, (double) bytes[0] / n[0], (double) bytes[1] / n[1], (double) bytes[2] / n[2], (double) bytes[3] / n[3]);
    }
}

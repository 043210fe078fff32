package dev.r1.engine.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Float dot products and element-wise helpers over the preferred float species. */
public final class FloatKernels {
    private FloatKernels() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_MAX.withShape(VectorWidths.SHAPE);
    static final int L = F.length();

    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int i = 0;
        int bound2 = n - 2 * L;
        for (; i <= bound2; i += 2 * L) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(F, a, aOff + i + L).fma(FloatVector.fromArray(F, b, bOff + i + L), acc1);
        }
        for (; i <= n - L; i += L) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
        }
        float s = hsum(acc0.add(acc1));
        for (; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    /**
     * The lanes' sum in one fixed order: halves folded onto each other until one pair is left (for 8 lanes
     * ggml's {@code hsum_float_8}: ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7))). Not {@code reduceLanes(ADD)}:
     * for floats its order is unspecified and differs by JIT tier (C2's intrinsic vs the interpreter's
     * lane-by-lane loop), which made the same run give different last bits depending on when C2 compiled
     * the kernel. Lanes are read with constant indices and passed on as scalars: a helper taking the vector
     * itself, or {@code toArray}, made C2 box the kernel's vectors (seen with JFR).
     */
    static float hsum(FloatVector v) {
        return switch (v.length()) { // a constant once inlined: each kernel has one species
            case 16 -> fold8(v.lane(0) + v.lane(8), v.lane(1) + v.lane(9), v.lane(2) + v.lane(10), v.lane(3) + v.lane(11),
                    v.lane(4) + v.lane(12), v.lane(5) + v.lane(13), v.lane(6) + v.lane(14), v.lane(7) + v.lane(15));
            case 8 -> fold8(v.lane(0), v.lane(1), v.lane(2), v.lane(3), v.lane(4), v.lane(5), v.lane(6), v.lane(7));
            case 4 -> (v.lane(0) + v.lane(2)) + (v.lane(1) + v.lane(3));
            case 2 -> v.lane(0) + v.lane(1);
            default -> v.lane(0);
        };
    }

    static float fold8(float a0, float a1, float a2, float a3, float a4, float a5, float a6, float a7) {
        return ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7));
    }

    /** {@code y[i] += a * x[i]}. */
    public static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.broadcast(F, a), FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    /** {@code x[i] += y[i]}. */
    public static void add(float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(F, x, xOff + i).add(FloatVector.fromArray(F, y, yOff + i)).intoArray(x, xOff + i);
        }
        for (; i < n; i++) x[xOff + i] += y[yOff + i];
    }

    public static float sumSquares(float[] x, int off, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, off + i);
            acc = v.fma(v, acc);
        }
        float s = hsum(acc);
        for (; i < n; i++) s += x[off + i] * x[off + i];
        return s;
    }
}

package dev.r1.engine.cpu;

import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.Quantizers;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/** Random quantized weight matrices and activations for kernel tests. */
final class MatmulTestData {
    private MatmulTestData() {}

    static WeightMatrix matrix(GgmlType type, int rows, int cols, long seed, Arena arena) {
        Random rnd = new Random(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.05 + (i % 7 == 0 ? 0.02 : 0));
        byte[] bytes = Quantizers.quantize(Quantizers.forId(type.id()), "w", w, rows, cols);
        MemorySegment seg = arena.allocate(bytes.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
        return new WeightMatrix("w", type, rows, cols, seg);
    }

    static float[] acts(int n, int cols, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[n * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * (1 + (i % 32 == 5 ? 8 : 0)));
        return x;
    }
}

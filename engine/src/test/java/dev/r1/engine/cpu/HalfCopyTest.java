package dev.r1.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.r1.engine.model.Backend;
import dev.r1.models.tensor.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * F16 / BF16 matrices copied at load ({@link CpuBackend#HALF_COPY}): from a read-only file mapping, as a model's tensors
 * come, the backend reads its own copy of the same bytes, the file is left as it was (its pages only released), and one
 * token and a prompt through the copy give the outputs of the matrix read in place.
 */
class HalfCopyTest {
    @TempDir Path dir;

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16"})
    void copiedMatrixIsTheFileBytesAndGivesTheSameOutputs(GgmlType type) throws IOException {
        assumeTrue(CpuBackend.HALF_COPY, "no copy on this machine (no mmap, or -Dr1.cpu.halfcopy=false)");
        int rows = 96, cols = 256; // a 1-token pair of rows and a prompt's tiles
        SplittableRandom r = new SplittableRandom(7);
        byte[] bytes = new byte[rows * cols * 2];
        for (int i = 0; i < rows * cols; i++) {
            float v = (float) r.nextGaussian();
            short h = type == GgmlType.F16 ? Float.floatToFloat16(v) : (short) (Float.floatToRawIntBits(v) >>> 16);
            bytes[2 * i] = (byte) h;
            bytes[2 * i + 1] = (byte) (h >> 8);
        }
        Path file = dir.resolve("w.bin");
        Files.write(file, bytes);
        try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
             CpuBackend be = new CpuBackend(2)) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena);
            CpuBackend.Mat m = (CpuBackend.Mat) be.matrix("blk.0.ffn_up.weight", type, rows, cols, mapped);
            assertNotSame(mapped, m.w().data());
            assertEquals(-1, m.w().data().mismatch(MemorySegment.ofArray(bytes)), "the copy holds the file's bytes");
            for (int n : new int[] {1, 5}) {
                float[] x = new float[n * cols];
                for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                float[] copied = new float[n * rows], inPlace = new float[n * rows];
                be.matmul(new CpuBackend.Buf(x), n, new Backend.Matrix[] {m}, new Backend.Buffer[] {new CpuBackend.Buf(copied)});
                CpuBackend.Mat direct = new CpuBackend.Mat(new WeightMatrix("blk.0.ffn_up.weight", type, rows, cols, mapped, null));
                be.matmul(new CpuBackend.Buf(x), n, new Backend.Matrix[] {direct}, new Backend.Buffer[] {new CpuBackend.Buf(inPlace)});
                assertArrayEquals(inPlace, copied, n + " token(s)");
            }
        }
        assertArrayEquals(bytes, Files.readAllBytes(file), "the input file is untouched");
    }
}

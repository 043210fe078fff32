package dev.r1.models.gguf;

import dev.r1.models.ModelException;
import dev.r1.models.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Truncated and corrupted copies of a valid file must either open (and then be fully readable) or
 * fail with a ModelException: never an OOM, an IndexOutOfBounds, or a hang.
 */
class GgufFuzzTest {
    @TempDir Path dir;

    private byte[] validFile() throws IOException {
        Path p = dir.resolve("valid.gguf");
        try (GgufWriter w = GgufWriter.create(p)) {
            w.putAll(GgufWriterTest.everyType());
            w.addTensor("a", GgmlType.Q4_0, 64, 2);
            w.addTensor("b", GgmlType.F32, 5);
            w.addTensor("c", GgmlType.Q6_K, 256);
            w.writeTensorData("a", ByteBuffer.allocate((int) GgmlType.Q4_0.byteSize(128)));
            w.writeTensorData("b", ByteBuffer.allocate(20));
            w.writeTensorData("c", ByteBuffer.allocate(210));
            w.commit();
        }
        return Files.readAllBytes(p);
    }

    @Test
    @Timeout(120)
    void corruptedFilesFailCleanly() throws IOException {
        byte[] valid = validFile();
        int headerEnd;
        try (GgufFile f = GgufFile.open(dir.resolve("valid.gguf"))) {
            headerEnd = (int) f.dataStart();
        }
        Random rnd = new Random(1234);
        long[] extremes = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, 0xFFFF_FFFFL, 1L << 31, 13, 64};
        Path p = dir.resolve("fuzz.gguf");
        int opened = 0;
        for (int iter = 0; iter < 1500; iter++) {
            byte[] b;
            String what;
            switch (iter % 3) {
                case 0 -> {
                    int len = rnd.nextInt(valid.length);
                    b = java.util.Arrays.copyOf(valid, len);
                    what = "truncated to " + len;
                }
                case 1 -> {
                    b = valid.clone();
                    int flips = 1 + rnd.nextInt(8);
                    // Mostly in the header, where the parser lives; sometimes anywhere.
                    int range = rnd.nextInt(4) == 0 ? b.length : headerEnd;
                    for (int i = 0; i < flips; i++) b[rnd.nextInt(range)] ^= (byte) (1 << rnd.nextInt(8));
                    what = flips + " bit flips";
                }
                default -> {
                    b = valid.clone();
                    int at = rnd.nextInt(headerEnd - 8);
                    long v = extremes[rnd.nextInt(extremes.length)];
                    ByteBuffer.wrap(b, at, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
                    what = "u64 " + v + " at " + at;
                }
            }
            Files.write(p, b);
            try (GgufFile f = GgufFile.open(p)) {
                opened++;
                f.metadata().forEach((k, v) -> v.toString());
                for (GgufTensor t : f.tensors()) {
                    if (t.nElements() <= 1 << 20) t.type().dequantize(f.data(t));
                }
            } catch (ModelException expected) {
                // the point of the exercise
            } catch (Throwable t) {
                fail("iteration " + iter + " (" + what + ") threw " + t, t);
            }
        }
        if (opened == 0 || opened == 1500) fail(opened + " of 1500 mutated files opened: the mutations do not exercise both outcomes");
    }
}

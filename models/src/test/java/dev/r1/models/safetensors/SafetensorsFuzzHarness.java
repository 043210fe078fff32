package dev.r1.models.safetensors;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.r1.models.ModelException;
import dev.r1.models.fuzz.Expected;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Jazzer harness: arbitrary bytes as a .safetensors file. Validation may only fail with a ModelException;
 * a file it accepts must satisfy the reference rules it claims to check: tensors sorted by offset tile the
 * data area exactly, and each one's bytes are shape x dtype.
 */
class SafetensorsFuzzHarness {
    private static final Path NAME = Path.of("fuzz.safetensors");

    @FuzzTest
    @DictionaryFile(resourcePath = "/fuzz/safetensors.dict")
    void safetensors(byte[] data) {
        try (SafetensorsFile f = SafetensorsFile.parse(NAME, Arena.ofConfined(), MemorySegment.ofArray(data))) {
            List<SafetensorsTensor> sorted = new ArrayList<>(f.tensors());
            sorted.sort(Comparator.comparingLong(SafetensorsTensor::begin));
            long expected = 0;
            for (SafetensorsTensor t : sorted) {
                long elements = 1;
                for (long d : t.shape()) elements *= d;
                assertEquals(elements * t.dtype().size(), t.byteSize(), t.name());
                assertEquals(expected, t.begin(), t.name() + ": gap or overlap");
                assertEquals(t.byteSize(), f.data(t).byteSize(), t.name());
                t.ggmlDims();
                expected = t.end();
            }
            assertEquals(data.length - dataStart(data), expected, "tensors must cover the data area exactly");
        } catch (ModelException expected) {
            Expected.refusal(expected);
            // the point of the exercise
        }
    }

    private static long dataStart(byte[] data) {
        return 8 + java.nio.ByteBuffer.wrap(data, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }
}

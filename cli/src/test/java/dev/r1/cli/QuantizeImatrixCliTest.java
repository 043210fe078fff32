package dev.r1.cli;

import static dev.r1.cli.CliTest.r1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.models.gguf.GgufArray;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufWriter;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.ConvertOptions;
import dev.r1.quantize.Converter;
import dev.r1.quantize.Imatrix;
import dev.r1.quantize.TargetType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code r1 quantize --imatrix F}: llama-imatrix's file, checked before the work, used as the converter uses it. */
class QuantizeImatrixCliTest {
    @TempDir Path dir;

    /** An imatrix in llama-imatrix's GGUF layout (sums of squared activations per column, and a count) for every layer matrix. */
    static Path imatrix(Path model, Path out) {
        Map<String, float[]> sums = new LinkedHashMap<>();
        Random r = new Random(8);
        try (GgufFile f = GgufFile.open(model)) {
            for (var t : f.tensors()) {
                if (t.nDims() < 2 || !t.name().startsWith("blk.")) continue;
                float[] v = new float[(int) t.dim(0)];
                for (int i = 0; i < v.length; i++) v[i] = r.nextFloat() * 40 * (i % 9 == 0 ? 20 : 1);
                sums.put(t.name(), v);
            }
        }
        try (GgufWriter w = GgufWriter.create(out)) {
            w.putString("general.type", "imatrix");
            w.putArray("imatrix.datasets", GgufArray.ofStrings("calibration.txt"));
            w.putUInt32("imatrix.chunk_count", 4);
            w.putUInt32("imatrix.chunk_size", 512);
            for (var e : sums.entrySet()) {
                w.addTensor(e.getKey() + ".in_sum2", GgmlType.F32, e.getValue().length, 1);
                w.addTensor(e.getKey() + ".counts", GgmlType.F32, 1, 1);
            }
            for (var e : sums.entrySet()) {
                w.writeTensorData(e.getKey() + ".in_sum2", f32(e.getValue()));
                w.writeTensorData(e.getKey() + ".counts", f32(new float[] {2048}));
            }
            w.commit();
        }
        return out;
    }

    static ByteBuffer f32(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.flip();
    }

    @Test
    void theImatrixWeightsTheQuantizationAsTheConverterDoes() throws Exception {
        Path f16 = dir.resolve("m.gguf");
        assertEquals(0, r1("synth", "--preset", "tiny-llama", "--type", "f16", "-o", f16.toString()).code());
        Path im = imatrix(f16, dir.resolve("imatrix.gguf"));
        Path with = dir.resolve("with.gguf"), without = dir.resolve("without.gguf"), lib = dir.resolve("lib.gguf");
        CliTest.Run q = r1("quantize", "--type", "q4_k_m", "--imatrix", im.toString(), f16.toString(), with.toString());
        assertEquals(0, q.code(), q.err());
        assertEquals(0, r1("quantize", "--type", "q4_k_m", f16.toString(), without.toString()).code());
        Converter.convert(f16, lib, ConvertOptions.of(TargetType.Q4_K_M).withMeasureError(false).withImatrix(Imatrix.read(im)));
        assertArrayEquals(Files.readAllBytes(lib), Files.readAllBytes(with), "the CLI writes what the converter writes with the matrix");
        assertFalse(Arrays.equals(Files.readAllBytes(without), Files.readAllBytes(with)), "the matrix changes the rounding");
        try (GgufFile f = GgufFile.open(with)) {
            assertEquals(im.toString(), f.getString("quantize.imatrix.file"));
        }
        // a file that is no imatrix: one line, before any output exists
        Path bad = dir.resolve("out-bad.gguf");
        CliTest.Run b = r1("quantize", "--type", "q4_k_m", "--imatrix", f16.toString(), f16.toString(), bad.toString());
        assertEquals(1, b.code());
        assertTrue(b.err().startsWith("error: ") && b.err().strip().lines().count() == 1, b.err());
        assertFalse(Files.exists(bad));
    }
}

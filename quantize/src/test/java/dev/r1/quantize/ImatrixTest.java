package dev.r1.quantize;

import dev.r1.models.gguf.GgufArray;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufWriter;
import dev.r1.models.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Reading llama-imatrix's GGUF format, and what the converter records of it. */
class ImatrixTest {
    @TempDir Path tmp;

    private static ByteBuffer f32(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.flip();
    }

    /** An imatrix file as llama-imatrix writes it: {@code entries} name -> {sums..., count}. */
    private Path write(String file, Map<String, float[]> entries, boolean metadata) {
        Path p = tmp.resolve(file);
        try (GgufWriter w = GgufWriter.create(p)) {
            w.putString("general.type", "imatrix");
            if (metadata) {
                w.putArray("imatrix.datasets", GgufArray.ofStrings("calibration.txt"));
                w.putUInt32("imatrix.chunk_count", 12);
                w.putUInt32("imatrix.chunk_size", 512);
            }
            for (var e : entries.entrySet()) {
                w.addTensor(e.getKey() + ".in_sum2", GgmlType.F32, e.getValue().length - 1, 1);
                w.addTensor(e.getKey() + ".counts", GgmlType.F32, 1, 1);
            }
            for (var e : entries.entrySet()) {
                float[] v = e.getValue();
                w.writeTensorData(e.getKey() + ".in_sum2", f32(java.util.Arrays.copyOf(v, v.length - 1)));
                w.writeTensorData(e.getKey() + ".counts", f32(v[v.length - 1]));
            }
            w.commit();
        }
        return p;
    }

    @Test
    void valuesAreSumsOverCountsInFloat() {
        Map<String, float[]> e = new LinkedHashMap<>();
        e.put("blk.0.attn_q.weight", new float[] {3f, 1f, 0.7f, 10f, 3f});
        e.put("blk.0.ffn_down.weight", new float[] {5f, 6f, 0f}); // no tokens seen: 1
        Imatrix im = Imatrix.read(write("im.gguf", e, true));
        assertArrayEquals(new float[] {3f / 3f, 1f / 3f, 0.7f / 3f, 10f / 3f}, im.values().get("blk.0.attn_q.weight"));
        assertArrayEquals(new float[] {1f, 1f}, im.values().get("blk.0.ffn_down.weight"));
        assertEquals(12, im.chunkCount());
        assertEquals(java.util.List.of("calibration.txt"), im.datasets());
    }

    @Test
    void badFilesAreClearErrors() {
        Map<String, float[]> e = Map.of("blk.0.attn_q.weight", new float[] {1f, 2f, 1f});
        QuantizeException x = assertThrows(QuantizeException.class, () -> Imatrix.read(write("nometa.gguf", e, false)));
        assertTrue(x.getMessage().contains("not an importance matrix"), x.getMessage());
        Map<String, float[]> nan = Map.of("blk.0.attn_q.weight", new float[] {Float.NaN, 2f, 1f});
        x = assertThrows(QuantizeException.class, () -> Imatrix.read(write("nan.gguf", nan, true)));
        assertTrue(x.getMessage().contains("blk.0.attn_q.weight") && x.getMessage().contains("NaN"), x.getMessage());
    }

    /** The converter uses the file's values and records its source as llama-quantize does. */
    @Test
    void converterRecordsTheImatrixSource() throws Exception {
        Path in = tmp.resolve("in.gguf");
        var cfg = LlamaQuantizeTest.CFG;
        dev.r1.quantize.synth.SyntheticModel.write(in, true, cfg, "im", 2, s -> s.isVector() ? GgmlType.F32 : GgmlType.F16,
                dev.r1.quantize.synth.SyntheticModel.numberedVocabulary(cfg.vocab()).toGgufMetadata(cfg.vocab()), 1, b -> {});
        Map<String, float[]> e = new LinkedHashMap<>();
        java.util.Random r = new java.util.Random(4);
        try (GgufFile f = GgufFile.open(in)) {
            for (var t : f.tensors()) {
                if (t.nDims() < 2 || !t.name().startsWith("blk.0.")) continue;
                float[] v = new float[(int) t.dim(0) + 1];
                for (int i = 0; i < v.length - 1; i++) v[i] = r.nextFloat() * 50;
                v[v.length - 1] = 7;
                e.put(t.name(), v);
            }
        }
        Imatrix im = Imatrix.read(write("m.gguf", e, true));
        Path viaFile = tmp.resolve("a.gguf"), viaMap = tmp.resolve("b.gguf");
        ConversionReport rep = Converter.convert(in, viaFile, ConvertOptions.of(TargetType.Q4_K_M).withImatrix(im));
        Converter.convert(in, viaMap, ConvertOptions.of(TargetType.Q4_K_M).withImatrix(im.values()));
        assertTrue(rep.warnings().stream().anyMatch(w -> w.contains("blk.1.attn_q.weight") && w.contains("no entry")),
                rep.warnings().toString());
        try (GgufFile a = GgufFile.open(viaFile); GgufFile b = GgufFile.open(viaMap)) {
            assertEquals(im.file(), a.getString("quantize.imatrix.file"));
            assertEquals("calibration.txt", a.getString("quantize.imatrix.dataset"));
            assertEquals(e.size(), a.getInt("quantize.imatrix.entries_count"));
            assertEquals(12, a.getInt("quantize.imatrix.chunks_count"));
            // the value types llama-quantize --imatrix writes (found comparing whole files: the tensors matched)
            assertEquals(dev.r1.models.gguf.GgufValueType.UINT32, a.get("quantize.imatrix.entries_count").type());
            assertEquals(dev.r1.models.gguf.GgufValueType.UINT32, a.get("quantize.imatrix.chunks_count").type());
            assertFalse(b.has("quantize.imatrix.file"));
            for (var t : a.tensors()) assertEquals(-1, a.data(t).mismatch(b.data(t.name())), t.name());
        }
    }
}

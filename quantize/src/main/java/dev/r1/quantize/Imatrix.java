package dev.r1.quantize;

import dev.r1.models.ModelException;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufTensor;
import dev.r1.models.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An importance matrix as llama-quantize uses it: per weight tensor, one value per input column (the mean
 * of the squared activations that column saw). Read from llama-imatrix's GGUF format: tensors
 * {@code <name>.in_sum2} (F32, sums of squares, one row per expert) and {@code <name>.counts} (F32, the
 * tokens each row saw), metadata {@code imatrix.datasets}, {@code imatrix.chunk_count},
 * {@code imatrix.chunk_size}. Values are {@code in_sum2 / count} in float, as llama-quantize computes
 * them (a row that saw no tokens gets 1).
 *
 * @param file      where it was read from (null when built in memory: then no {@code quantize.imatrix.*}
 *                  metadata is written)
 */
public record Imatrix(Map<String, float[]> values, List<String> datasets, int chunkCount, String file) {

    /** An in-memory matrix (no file metadata). */
    public static Imatrix of(Map<String, float[]> values) {
        return new Imatrix(values, List.of(), 0, null);
    }

    /**
     * Reads llama-imatrix's GGUF output.
     *
     * @throws QuantizeException naming the file and what is wrong (not an imatrix, NaN/Inf values, ...)
     */
    public static Imatrix read(Path path) {
        try (GgufFile f = GgufFile.open(path)) {
            if (!f.has("imatrix.chunk_count") || !f.has("imatrix.datasets")) {
                throw new QuantizeException(path + ": not an importance matrix (no imatrix.chunk_count /"
                        + " imatrix.datasets metadata); make one with llama-imatrix (GGUF output)");
            }
            Map<String, float[]> values = new TreeMap<>();
            for (GgufTensor t : f.tensors()) {
                if (!t.name().endsWith(".in_sum2")) continue;
                String name = t.name().substring(0, t.name().length() - ".in_sum2".length());
                GgufTensor c = f.findTensor(name + ".counts").orElseThrow(() -> new QuantizeException(
                        path + ": " + t.name() + " has no " + name + ".counts"));
                if (t.type() != GgmlType.F32 || c.type() != GgmlType.F32) {
                    throw new QuantizeException(path + ": " + name + ": in_sum2 and counts must be F32");
                }
                float[] sums = floats(f.data(t)), counts = floats(f.data(c));
                if (counts.length == 0 || sums.length % counts.length != 0) {
                    throw new QuantizeException(path + ": " + name + ": " + sums.length + " sums for "
                            + counts.length + " counts");
                }
                int ne0 = sums.length / counts.length;
                float[] v = new float[sums.length];
                for (int j = 0; j < counts.length; j++) {
                    float count = counts[j];
                    for (int i = 0; i < ne0; i++) v[j * ne0 + i] = count > 0f ? sums[j * ne0 + i] / count : 1f;
                }
                for (int i = 0; i < v.length; i++) {
                    if (!Float.isFinite(v[i])) {
                        throw new QuantizeException(path + ": " + name + " has " + v[i] + " at column " + i
                                + "; the importance matrix is corrupt");
                    }
                }
                values.put(name, v);
            }
            if (values.isEmpty()) throw new QuantizeException(path + ": the importance matrix has no entries");
            return new Imatrix(values, Arrays.asList(f.getStringArray("imatrix.datasets")),
                    f.getInt("imatrix.chunk_count"), path.toString());
        } catch (ModelException e) {
            throw new QuantizeException(e.getMessage(), e);
        }
    }

    /**
     * Writes llama-imatrix's GGUF format: {@code general.type = imatrix}, {@code imatrix.datasets},
     * {@code imatrix.chunk_count}, {@code imatrix.chunk_size}, then per weight tensor in name order
     * {@code <name>.in_sum2} (the column sums) and {@code <name>.counts} (the tokens, as F32), in llama-imatrix's
     * key and tensor order so that equal statistics give equal bytes. Atomic: a temporary file moved into place.
     *
     * @param sums      per weight tensor name, the sums of squared input activations per column (one matrix: no experts)
     * @param counts    per weight tensor name, the tokens its sums cover
     * @param overwrite whether an existing {@code out} may be replaced
     * @throws QuantizeException naming the file when it cannot be written
     */
    public static void write(Path out, Map<String, float[]> sums, Map<String, Long> counts, List<String> datasets,
                             int chunkCount, int chunkSize, boolean overwrite) {
        try (dev.r1.models.gguf.GgufWriter w = dev.r1.models.gguf.GgufWriter.create(out, overwrite)) {
            w.putString("general.type", "imatrix");
            w.putStringArray("imatrix.datasets", datasets.toArray(String[]::new));
            w.putUInt32("imatrix.chunk_count", chunkCount);
            w.putUInt32("imatrix.chunk_size", chunkSize);
            List<String> names = new java.util.ArrayList<>(new java.util.TreeSet<>(sums.keySet()));
            for (String name : names) {
                Long count = counts.get(name);
                if (count == null) throw new IllegalArgumentException(name + " has sums but no count");
                w.addTensor(name + ".in_sum2", GgmlType.F32, sums.get(name).length);
                w.addTensor(name + ".counts", GgmlType.F32, 1);
            }
            for (String name : names) {
                w.writeTensorData(name + ".in_sum2", f32(sums.get(name)));
                w.writeTensorData(name + ".counts", f32(new float[] {(float) (long) counts.get(name)}));
            }
            w.commit();
        } catch (ModelException e) {
            throw new QuantizeException(e.getMessage(), e);
        }
    }

    private static java.nio.ByteBuffer f32(float[] v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b;
    }

    private static float[] floats(MemorySegment s) {
        float[] out = new float[(int) (s.byteSize() / 4)];
        MemorySegment.copy(s, dev.r1.models.tensor.Layouts.F32, 0, out, 0, out.length);
        return out;
    }
}

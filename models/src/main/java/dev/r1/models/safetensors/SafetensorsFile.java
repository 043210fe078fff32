package dev.r1.models.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.r1.models.Limits;
import dev.r1.models.ModelException;
import dev.r1.models.tensor.Layouts;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One {@code .safetensors} file, memory-mapped read-only. The header is validated as strictly as the
 * reference implementation does: bounded length, a JSON object of tensor entries with exactly
 * dtype/shape/data_offsets, byte sizes that match the shapes, and offsets that tile the data section
 * without gaps or overlaps.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** The reference implementation's limit on the JSON header. */
    static final long MAX_HEADER_BYTES = Limits.SAFETENSORS_HEADER_BYTES;

    private static final ObjectMapper JSON = Limits.jsonMapper(Limits.SAFETENSORS_HEADER_BYTES);

    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private final long dataStart;
    private final Map<String, SafetensorsTensor> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment segment, long dataStart,
                            Map<String, SafetensorsTensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
        this.dataStart = dataStart;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** Maps and validates one safetensors file. */
    public static SafetensorsFile open(Path path) {
        if (Files.isDirectory(path)) throw ModelException.at(path, "file", "is a directory, expected a .safetensors file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            SafetensorsFile f = parse(path, arena, seg);
            arena = null;
            return f;
        } catch (NoSuchFileException e) {
            throw ModelException.at(path, "file", "not found");
        } catch (IOException e) {
            throw ModelException.at(path, "file", "cannot read: " + e);
        } finally {
            if (arena != null) arena.close();
        }
    }

    /** Validates an in-memory file (the fuzz harness's way in); {@code arena} is closed with the result. */
    static SafetensorsFile parse(Path path, Arena arena, MemorySegment seg) {
        long size = seg.byteSize();
        if (size < 8) throw ModelException.at(path, "header length", "file is " + size + " bytes, too small for a safetensors file");
        long n = seg.get(Layouts.I64, 0);
        if (n > MAX_HEADER_BYTES && n <= size - 8) {
            throw ModelException.at(path, "header length", n + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        if (n < 2 || n > size - 8) {
            throw ModelException.at(path, "header length", Long.toUnsignedString(n) + " does not fit in the file ("
                    + (size - 8) + " bytes after the length): not a safetensors file, or truncated");
        }
        byte[] header = seg.asSlice(8, n).toArray(Layouts.I8);
        if (header[0] != '{') throw ModelException.at(path, "header", "must be a JSON object starting with '{'");
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ModelException.at(path, "header", "not valid JSON: " + ModelException.jsonProblem(e));
        } catch (IOException e) {
            throw ModelException.at(path, "header", "not valid JSON: " + ModelException.jsonProblem(e));
        }
        if (root == null || !root.isObject()) throw ModelException.at(path, "header", "expected a JSON object");

        long dataSize = size - 8 - n;
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, SafetensorsTensor> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                metadata(path, e.getValue(), metadata);
            } else {
                tensors.put(e.getKey(), tensor(path, e.getKey(), e.getValue()));
            }
        }
        checkTiling(path, tensors, dataSize);
        return new SafetensorsFile(path, arena, seg, 8 + n, tensors, metadata);
    }

    private static void metadata(Path path, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) throw ModelException.at(path, "__metadata__", "expected an object of strings");
        node.fields().forEachRemaining(m -> {
            if (!m.getValue().isTextual()) throw ModelException.at(path, "__metadata__." + m.getKey(), "expected a string, found " + m.getValue());
            out.put(m.getKey(), m.getValue().asText());
        });
    }

    private static SafetensorsTensor tensor(Path path, String name, JsonNode node) {
        String field = "tensor '" + name + "'";
        if (!node.isObject()) throw ModelException.at(path, field, "expected an object, found " + node);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("dtype") && !k.equals("shape") && !k.equals("data_offsets")) {
                throw ModelException.at(path, field, "unexpected field '" + k + "' (expected dtype, shape, data_offsets)");
            }
        }
        JsonNode dt = node.get("dtype");
        if (dt == null || !dt.isTextual()) throw ModelException.at(path, field + " dtype", "expected a string, found " + dt);
        SafetensorsDtype dtype = SafetensorsDtype.parse(dt.asText());
        if (dtype == null) {
            throw ModelException.at(path, field + " dtype", "'" + dt.asText() + "' is not supported; r1 reads F32, F16 and BF16");
        }
        long[] shape = longs(path, field + " shape", node.get("shape"), -1);
        long[] offsets = longs(path, field + " data_offsets", node.get("data_offsets"), 2);
        if (offsets[1] < offsets[0]) {
            throw ModelException.at(path, field + " data_offsets", "end " + offsets[1] + " is before begin " + offsets[0]);
        }
        long elements = 1;
        for (long d : shape) {
            if (d != 0 && elements > Long.MAX_VALUE / d / dtype.size()) {
                throw ModelException.at(path, field + " shape", java.util.Arrays.toString(shape) + " overflows");
            }
            elements *= d;
        }
        if (elements * dtype.size() != offsets[1] - offsets[0]) {
            throw ModelException.at(path, field, "shape " + java.util.Arrays.toString(shape) + " of " + dtype + " needs "
                    + elements * dtype.size() + " bytes, but data_offsets span " + (offsets[1] - offsets[0]));
        }
        return new SafetensorsTensor(name, dtype, shape, offsets[0], offsets[1], path);
    }

    private static long[] longs(Path path, String field, JsonNode node, int exactLength) {
        if (node == null || !node.isArray() || (exactLength >= 0 && node.size() != exactLength)) {
            throw ModelException.at(path, field, "expected an array" + (exactLength >= 0 ? " of " + exactLength : "")
                    + " of non-negative integers, found " + node);
        }
        if (node.size() > Limits.SAFETENSORS_DIMS) {
            throw ModelException.at(path, field, "more than " + Limits.SAFETENSORS_DIMS + " dimensions");
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw ModelException.at(path, field, "expected non-negative integers, found " + node);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    /** Like the reference implementation: sorted by offset, tensors tile [0, dataSize) exactly. */
    private static void checkTiling(Path path, Map<String, SafetensorsTensor> tensors, long dataSize) {
        List<SafetensorsTensor> sorted = new ArrayList<>(tensors.values());
        sorted.sort(Comparator.comparingLong(SafetensorsTensor::begin).thenComparingLong(SafetensorsTensor::end));
        long expected = 0;
        for (SafetensorsTensor t : sorted) {
            if (t.begin() != expected) {
                throw ModelException.at(path, "tensor '" + t.name() + "' data_offsets", "begins at " + t.begin() + ", expected "
                        + expected + (t.begin() < expected ? " (overlaps the previous tensor)" : " (gap after the previous tensor)"));
            }
            expected = t.end();
        }
        if (expected != dataSize) {
            throw ModelException.at(path, "data", "tensors cover " + expected + " bytes but the file holds " + dataSize
                    + " after the header: " + (expected > dataSize ? "the file is truncated" : "trailing bytes"));
        }
    }

    public Path path() { return path; }

    /** Tensors in header order. */
    public List<SafetensorsTensor> tensors() { return List.copyOf(tensors.values()); }

    public Optional<SafetensorsTensor> findTensor(String name) { return Optional.ofNullable(tensors.get(name)); }

    public SafetensorsTensor tensor(String name) {
        SafetensorsTensor t = tensors.get(name);
        if (t == null) throw ModelException.at(path, "tensor '" + name + "'", "missing from the file");
        return t;
    }

    /** The {@code __metadata__} strings. */
    public Map<String, String> metadata() { return metadata; }

    /** The tensor's bytes (little-endian), a read-only slice of the mapping. */
    public MemorySegment data(SafetensorsTensor t) {
        if (!t.equals(tensors.get(t.name()))) throw new IllegalArgumentException(t + " does not belong to " + path);
        return segment.asSlice(dataStart + t.begin(), t.byteSize());
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}

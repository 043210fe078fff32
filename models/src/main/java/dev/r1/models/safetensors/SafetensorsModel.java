package dev.r1.models.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.r1.models.Limits;
import dev.r1.models.ModelException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The weights of a Hugging Face model: one {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}. Every shard is mapped, and the index must agree exactly with
 * the shards' own headers (no tensor missing, extra, or in two shards).
 */
public final class SafetensorsModel implements AutoCloseable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private static final ObjectMapper JSON = Limits.jsonMapper();

    private final Path source;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsTensor> tensors;
    private final Map<Path, SafetensorsFile> byPath = new LinkedHashMap<>();

    private SafetensorsModel(Path source, List<SafetensorsFile> files, Map<String, SafetensorsTensor> tensors) {
        this.source = source;
        this.files = List.copyOf(files);
        this.tensors = Collections.unmodifiableMap(tensors);
        for (SafetensorsFile f : files) byPath.put(f.path(), f);
    }

    /**
     * Opens {@code path}: a model directory (index or single file inside), an index JSON, or one
     * {@code .safetensors} file.
     */
    public static SafetensorsModel open(Path path) {
        if (Files.isDirectory(path)) {
            if (Files.exists(path.resolve(INDEX))) return openIndex(path.resolve(INDEX));
            if (Files.exists(path.resolve(SINGLE))) return openSingle(path.resolve(SINGLE));
            throw ModelException.at(path, "weights", "no " + INDEX + " or " + SINGLE + " in this directory");
        }
        return path.getFileName().toString().endsWith(".json") ? openIndex(path) : openSingle(path);
    }

    private static SafetensorsModel openSingle(Path file) {
        SafetensorsFile f = SafetensorsFile.open(file);
        Map<String, SafetensorsTensor> map = new LinkedHashMap<>();
        for (SafetensorsTensor t : f.tensors()) map.put(t.name(), t);
        return new SafetensorsModel(file, List.of(f), map);
    }

    private static SafetensorsModel openIndex(Path index) {
        Map<String, String> weightMap = readWeightMap(index);
        Path dir = index.toAbsolutePath().getParent();
        // Group by shard, shards in sorted name order (model-00001-of-0000N first).
        Map<String, List<String>> byShard = new TreeMap<>();
        weightMap.forEach((tensor, shard) -> byShard.computeIfAbsent(shard, k -> new ArrayList<>()).add(tensor));
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            Map<String, SafetensorsTensor> all = new TreeMap<>();
            for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
                SafetensorsFile f = SafetensorsFile.open(dir.resolve(e.getKey()));
                opened.add(f);
                for (String name : e.getValue()) {
                    if (f.findTensor(name).isEmpty()) {
                        throw ModelException.at(index, "weight_map." + name, "names shard " + e.getKey() + ", which has no such tensor");
                    }
                }
                for (SafetensorsTensor t : f.tensors()) {
                    String listed = weightMap.get(t.name());
                    if (!e.getKey().equals(listed)) {
                        throw ModelException.at(index, "weight_map", "tensor '" + t.name() + "' is in shard " + e.getKey()
                                + " but the index " + (listed == null ? "does not list it" : "maps it to " + listed));
                    }
                    all.put(t.name(), t);
                }
            }
            return new SafetensorsModel(index, opened, all);
        } catch (RuntimeException ex) {
            opened.forEach(SafetensorsFile::close);
            throw ex;
        }
    }

    private static Map<String, String> readWeightMap(Path index) {
        Limits.checkJsonFile(index);
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw ModelException.at(index, "file", "not found");
        } catch (IOException e) {
            throw ModelException.at(index, "json", "not valid JSON: " + ModelException.jsonProblem(e));
        }
        JsonNode wm = root == null ? null : root.get("weight_map");
        if (wm == null || !wm.isObject() || wm.isEmpty()) {
            throw ModelException.at(index, "weight_map", "expected a non-empty object mapping tensor names to shard files");
        }
        Map<String, String> out = new LinkedHashMap<>();
        wm.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            if (!v.isTextual()) throw ModelException.at(index, "weight_map." + e.getKey(), "expected a file name, found " + v);
            String shard = v.asText();
            // Shards live next to the index: a path could read files outside the model directory.
            if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.equals("..") || shard.equals(".")) {
                throw ModelException.at(index, "weight_map." + e.getKey(), "'" + shard + "' must be a plain file name in the same directory");
            }
            out.put(e.getKey(), shard);
        });
        return out;
    }

    /** The index or single file this model was opened from. */
    public Path source() { return source; }

    /** The opened shard files. */
    public List<SafetensorsFile> files() { return files; }

    /** All tensors (sorted by name for a sharded model, header order for a single file). */
    public List<SafetensorsTensor> tensors() { return List.copyOf(tensors.values()); }

    public Optional<SafetensorsTensor> findTensor(String name) { return Optional.ofNullable(tensors.get(name)); }

    public SafetensorsTensor tensor(String name) {
        SafetensorsTensor t = tensors.get(name);
        if (t == null) throw ModelException.at(source, "tensor '" + name + "'", "missing from the model");
        return t;
    }

    public MemorySegment data(SafetensorsTensor t) {
        SafetensorsFile f = byPath.get(t.file());
        if (f == null) throw new IllegalArgumentException(t + " does not belong to " + source);
        return f.data(t);
    }

    public MemorySegment data(String name) { return data(tensor(name)); }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}

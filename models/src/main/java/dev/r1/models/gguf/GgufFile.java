package dev.r1.models.gguf;

import dev.r1.models.ModelException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A GGUF file (v2 or v3), memory-mapped read-only: tensor data is never copied onto the Java heap,
 * only the header (metadata and tensor infos) is parsed. The mapping lives in a shared arena, so
 * tensor segments may be read from many threads; {@link #close()} unmaps it, after which every segment
 * handed out is invalid.
 */
public final class GgufFile implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private final int version;
    private final int alignment;
    private final long dataStart;
    private final GgufMetadata metadata;
    private final List<GgufTensor> tensors;
    private final Map<String, GgufTensor> byName = new LinkedHashMap<>();

    private GgufFile(Path path, Arena arena, MemorySegment segment, GgufParser.Header h) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
        this.version = h.version();
        this.alignment = h.alignment();
        this.dataStart = h.dataStart();
        this.metadata = new GgufMetadata(path.toString(), h.metadata());
        this.tensors = List.copyOf(h.tensors());
        for (GgufTensor t : tensors) byName.put(t.name(), t);
    }

    /**
     * Maps and validates {@code path}.
     *
     * @throws ModelException if the file is missing, unreadable, or not a valid GGUF file
     */
    public static GgufFile open(Path path) {
        if (Files.isDirectory(path)) throw ModelException.at(path, "file", "is a directory, expected a .gguf file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            GgufFile f = new GgufFile(path, arena, seg, new GgufParser(seg, path.toString()).parse());
            arena = null; // owned by f now
            return f;
        } catch (NoSuchFileException e) {
            throw ModelException.at(path, "file", "not found");
        } catch (IOException e) {
            throw ModelException.at(path, "file", "cannot read: " + e);
        } finally {
            if (arena != null) arena.close();
        }
    }

    public Path path() { return path; }

    /** GGUF format version (2 or 3). */
    public int version() { return version; }

    /** Data alignment in bytes: {@code general.alignment}, default 32. */
    public int alignment() { return alignment; }

    /** Absolute file offset of the data section; tensor offsets are relative to it. */
    public long dataStart() { return dataStart; }

    public long fileSize() { return segment.byteSize(); }

    /** The whole mapped file, read-only. */
    public MemorySegment segment() { return segment; }

    // ---- metadata ----

    /** All metadata in file order. */
    public Map<String, GgufValue> metadata() { return metadata.asMap(); }

    /** Typed metadata accessors (errors name this file). */
    public GgufMetadata meta() { return metadata; }

    public boolean has(String key) { return metadata.has(key); }
    public GgufValue get(String key) { return metadata.get(key); }
    public Optional<GgufValue> find(String key) { return metadata.find(key); }
    public String getString(String key) { return metadata.getString(key); }
    public int getInt(String key) { return metadata.getInt(key); }
    public long getLong(String key) { return metadata.getLong(key); }
    public float getFloat(String key) { return metadata.getFloat(key); }
    public boolean getBoolean(String key) { return metadata.getBoolean(key); }
    public GgufArray getArray(String key) { return metadata.getArray(key); }
    public String[] getStringArray(String key) { return metadata.getStringArray(key); }
    public int[] getIntArray(String key) { return metadata.getIntArray(key); }
    public float[] getFloatArray(String key) { return metadata.getFloatArray(key); }
    public Optional<String> optString(String key) { return metadata.optString(key); }
    public OptionalInt optInt(String key) { return metadata.optInt(key); }
    public OptionalLong optLong(String key) { return metadata.optLong(key); }
    public Optional<Float> optFloat(String key) { return metadata.optFloat(key); }
    public Optional<Boolean> optBoolean(String key) { return metadata.optBoolean(key); }

    // ---- tensors ----

    /** Tensor infos in file order. */
    public List<GgufTensor> tensors() { return tensors; }

    public boolean hasTensor(String name) { return byName.containsKey(name); }

    public Optional<GgufTensor> findTensor(String name) { return Optional.ofNullable(byName.get(name)); }

    /** @throws ModelException naming the file if there is no such tensor */
    public GgufTensor tensor(String name) {
        GgufTensor t = byName.get(name);
        if (t == null) throw ModelException.at(path, "tensor '" + name + "'", "missing from the file");
        return t;
    }

    /** The tensor's bytes: a read-only slice of the mapping (no copy). */
    public MemorySegment data(GgufTensor t) {
        if (!t.equals(byName.get(t.name()))) {
            throw new IllegalArgumentException("tensor " + t + " does not belong to " + path);
        }
        if (t.byteSize() == 0) return segment.asSlice(segment.byteSize(), 0); // may sit past the end: any empty slice will do
        return segment.asSlice(dataStart + t.dataOffset(), t.byteSize());
    }

    public MemorySegment data(String name) { return data(tensor(name)); }

    /**
     * Validates a GGUF image already in memory ({@code path} only names it in messages); the caller owns
     * the segment's lifetime ({@link #close} does nothing). The fuzz harness's way in.
     */
    static GgufFile parse(Path path, MemorySegment seg) {
        return new GgufFile(path, null, seg, new GgufParser(seg, path.toString()).parse());
    }

    /** Unmaps the file. */
    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) arena.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.asMap().size() + " keys, " + tensors.size() + " tensors]";
    }
}

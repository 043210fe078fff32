package dev.r1.models.gguf;

import dev.r1.models.ModelException;
import dev.r1.models.io.OutputFiles;
import dev.r1.models.tensor.GgmlType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a GGUF v3 file, streaming: declare all metadata and tensor infos, then hand over each
 * tensor's bytes in declaration order (only one tensor's data need exist at a time). The file is
 * written to a temporary file in the target directory and moved into place by {@link #commit()}
 * after an fsync; {@link #close()} without commit deletes the temporary file, so a failed write never
 * leaves a partial model behind. An existing target is replaced only when asked.
 *
 * <pre>{@code
 * try (GgufWriter w = GgufWriter.create(out, false)) {
 *     w.putString("general.architecture", "qwen2");
 *     w.addTensor("token_embd.weight", GgmlType.Q4_0, 1536, 151936);
 *     w.writeTensorData("token_embd.weight", segment);
 *     w.commit();
 * }
 * }</pre>
 */
public final class GgufWriter implements AutoCloseable {

    /** Writes exactly one tensor's bytes to {@code out}. */
    @FunctionalInterface
    public interface DataSink {
        void writeTo(WritableByteChannel out) throws IOException;
    }

    private record Pending(String name, GgmlType type, long[] dims, long byteSize) {}

    private final Path target;
    private final boolean overwrite;
    private final Path temp;
    private final FileChannel channel;
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Pending> pending = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private List<GgufTensor> infos;   // set when the header is written
    private int alignment = GgufParser.DEFAULT_ALIGNMENT;
    private int nextTensor;
    private long position;
    private boolean committed, failed, closed;

    private GgufWriter(Path target, boolean overwrite) throws IOException {
        this.target = target.toAbsolutePath();
        this.overwrite = overwrite;
        Path dir = this.target.getParent();
        // Mode under the user's umask, deleted on Ctrl-C/SIGTERM, stale ones of dead runs swept.
        this.temp = OutputFiles.createTemp(this.target);
        try {
            this.channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            OutputFiles.discard(temp);
            throw e;
        }
    }

    /** A writer for {@code target}; refuses to replace an existing file. */
    public static GgufWriter create(Path target) {
        return create(target, false);
    }

    /** A writer for {@code target}; {@code overwrite} allows replacing an existing file at commit. */
    public static GgufWriter create(Path target, boolean overwrite) {
        if (!overwrite && Files.exists(target)) {
            throw ModelException.at(target, "output", "already exists; refusing to overwrite it (choose another name or ask to overwrite)");
        }
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) throw ModelException.at(target, "output", "directory " + dir + " does not exist");
        try {
            return new GgufWriter(target, overwrite);
        } catch (IOException e) {
            throw ModelException.at(target, "output", "cannot create a temporary file in " + dir + " ("
                    + (e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage())
                    + "); write the output elsewhere");
        }
    }

    // ---- metadata ----

    /** Adds or replaces (keeping its position) one metadata entry. */
    public GgufWriter put(String key, GgufValue value) {
        checkHeaderOpen();
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("empty metadata key");
        if (key.equals("general.alignment")) {
            if (value.type() != GgufValueType.UINT32) throw new IllegalArgumentException("general.alignment must be UINT32");
            long a = (Long) value.value();
            if (a == 0 || (a & (a - 1)) != 0 || a > (1 << 30)) {
                throw new IllegalArgumentException("general.alignment must be a power of two, got " + a);
            }
            alignment = (int) a;
        }
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putAll(Map<String, GgufValue> values) {
        values.forEach(this::put);
        return this;
    }

    public GgufWriter putString(String key, String v) { return put(key, GgufValue.string(v)); }
    public GgufWriter putUInt32(String key, long v) { return put(key, GgufValue.uint32(v)); }
    public GgufWriter putInt32(String key, int v) { return put(key, GgufValue.int32(v)); }
    public GgufWriter putUInt64(String key, long v) { return put(key, GgufValue.uint64(v)); }
    public GgufWriter putFloat32(String key, float v) { return put(key, GgufValue.float32(v)); }
    public GgufWriter putBoolean(String key, boolean v) { return put(key, GgufValue.bool(v)); }
    public GgufWriter putArray(String key, GgufArray v) { return put(key, GgufValue.array(v)); }
    public GgufWriter putStringArray(String key, String... v) { return putArray(key, GgufArray.ofStrings(v)); }

    /** The data alignment (from {@code general.alignment}, default 32). */
    public int alignment() { return alignment; }

    // ---- tensors ----

    /** Declares a tensor; its data must later be written in declaration order. */
    public GgufWriter addTensor(String name, GgmlType type, long... dims) {
        checkHeaderOpen();
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes == 0 || nameBytes > GgufParser.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' must be 1.." + GgufParser.MAX_NAME_BYTES + " bytes");
        }
        if (dims.length < 1 || dims.length > GgufParser.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' needs 1.." + GgufParser.MAX_DIMS + " dims, got " + dims.length);
        }
        long n = 1;
        for (long d : dims) {
            if (d < 0) throw new IllegalArgumentException("tensor '" + name + "' has a negative dimension");
            n = Math.multiplyExact(n, d);
        }
        if (dims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': ne0 = " + dims[0] + " is not a multiple of the "
                    + type + " block size " + type.blockSize());
        }
        if (!names.add(name)) throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        pending.add(new Pending(name, type, dims.clone(), type.byteSize(n)));
        return this;
    }

    /** The tensor infos with their data offsets; available once the header is written (first data). */
    public List<GgufTensor> tensorInfos() {
        if (infos == null) throw new IllegalStateException("the header is written with the first tensor data");
        return infos;
    }

    public void writeTensorData(String name, MemorySegment data) {
        Pending p = begin(name, data.byteSize());
        io(() -> {
            long off = 0;
            while (off < data.byteSize()) {
                long n = Math.min(data.byteSize() - off, 1L << 30);
                ByteBuffer buf = data.asSlice(off, n).asByteBuffer();
                while (buf.hasRemaining()) channel.write(buf);
                off += n;
            }
        });
        end(p, data.byteSize());
    }

    public void writeTensorData(String name, ByteBuffer data) {
        ByteBuffer buf = data.duplicate();
        Pending p = begin(name, buf.remaining());
        long n = buf.remaining();
        io(() -> { while (buf.hasRemaining()) channel.write(buf); });
        end(p, n);
    }

    /** Streams the tensor's bytes from {@code sink}, which must write exactly the tensor's byte size. */
    public void writeTensorData(String name, DataSink sink) {
        Pending p = begin(name, -1);
        long start = position;
        long[] written = {0};
        WritableByteChannel counting = new WritableByteChannel() {
            @Override public int write(ByteBuffer src) throws IOException {
                int n = channel.write(src);
                written[0] += n;
                return n;
            }
            @Override public boolean isOpen() { return channel.isOpen(); }
            @Override public void close() {}
        };
        io(() -> sink.writeTo(counting));
        if (written[0] != p.byteSize()) {
            failed = true;
            throw new IllegalStateException("tensor '" + name + "': sink wrote " + written[0] + " bytes, expected "
                    + p.byteSize() + " (" + p.type() + " " + java.util.Arrays.toString(p.dims()) + ")");
        }
        position = start;
        end(p, written[0]);
    }

    private Pending begin(String name, long size) {
        if (closed || committed || failed) throw new IllegalStateException("writer for " + target + " is finished");
        if (infos == null) writeHeader();
        if (nextTensor >= pending.size()) throw new IllegalStateException("all tensors are written; unexpected '" + name + "'");
        Pending p = pending.get(nextTensor);
        if (!p.name().equals(name)) {
            throw new IllegalStateException("tensor data must come in declaration order: expected '" + p.name() + "', got '" + name + "'");
        }
        if (size >= 0 && size != p.byteSize()) {
            throw new IllegalArgumentException("tensor '" + name + "' needs " + p.byteSize() + " bytes ("
                    + p.type() + " " + java.util.Arrays.toString(p.dims()) + "), got " + size);
        }
        return p;
    }

    private void end(Pending p, long written) {
        position += written;
        pad();
        nextTensor++;
    }

    private void writeHeader() {
        long offset = 0;
        List<GgufTensor> list = new ArrayList<>();
        for (Pending p : pending) {
            list.add(new GgufTensor(p.name(), p.type(), p.dims(), offset, p.byteSize()));
            offset = Math.addExact(offset, GgufParser.alignUp(p.byteSize(), alignment));
        }
        GgufEncoder enc = new GgufEncoder();
        enc.u32(GgufParser.MAGIC);
        enc.u32(3);
        enc.u64(list.size());
        enc.u64(metadata.size());
        metadata.forEach((k, v) -> {
            enc.string(k);
            enc.u32(v.type().id());
            enc.value(v);
        });
        for (GgufTensor t : list) {
            enc.string(t.name());
            enc.u32(t.nDims());
            for (long d : t.dims()) enc.u64(d);
            enc.u32(t.type().id());
            enc.u64(t.dataOffset());
        }
        byte[] header = enc.toByteArray();
        io(() -> {
            ByteBuffer b = ByteBuffer.wrap(header);
            while (b.hasRemaining()) channel.write(b);
        });
        position = header.length;
        pad();
        infos = List.copyOf(list);
    }

    private void pad() {
        int n = (int) (GgufParser.alignUp(position, alignment) - position);
        if (n == 0) return;
        ByteBuffer zeros = ByteBuffer.allocate(n);
        io(() -> { while (zeros.hasRemaining()) channel.write(zeros); });
        position += n;
    }

    /**
     * Finishes the file: checks every declared tensor was written, fsyncs, and moves it to the target.
     *
     * @return the target path
     */
    public Path commit() {
        if (closed || committed || failed) throw new IllegalStateException("writer for " + target + " is finished");
        if (infos == null) writeHeader();
        if (nextTensor != pending.size()) {
            throw new IllegalStateException("tensor '" + pending.get(nextTensor).name() + "' (and "
                    + (pending.size() - nextTensor - 1) + " after it) were declared but not written");
        }
        io(() -> {
            channel.force(true);
            channel.close();
            if (overwrite) {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                moveNoReplace();
            }
            OutputFiles.release(temp);
            syncDirectory();
        });
        committed = true;
        return target;
    }

    /** Publishes without replacing: a hard link fails atomically if the target appeared meanwhile. */
    private void moveNoReplace() throws IOException {
        try {
            Files.createLink(target, temp);
            Files.delete(temp);
        } catch (FileAlreadyExistsException e) {
            throw ModelException.at(target, "output", "already exists; refusing to overwrite it");
        } catch (UnsupportedOperationException | IOException e) {
            if (Files.exists(target)) throw ModelException.at(target, "output", "already exists; refusing to overwrite it");
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private void syncDirectory() {
        try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Not every platform can fsync a directory; the file itself is already synced.
        }
    }

    /** Discards the temporary file unless {@link #commit()} succeeded. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a file we are about to delete
        }
        if (!committed) OutputFiles.discard(temp); // best effort; the next write of this target sweeps it
    }

    private interface IoAction { void run() throws IOException; }

    private void io(IoAction a) {
        try {
            a.run();
        } catch (IOException e) {
            failed = true;
            throw ModelException.at(target, "output", "write failed: " + e);
        } catch (RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    private void checkHeaderOpen() {
        if (infos != null || closed || committed) {
            throw new IllegalStateException("metadata and tensor infos must be added before the first tensor data");
        }
    }
}

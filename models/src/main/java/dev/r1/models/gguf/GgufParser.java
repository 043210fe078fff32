package dev.r1.models.gguf;

import dev.r1.models.Limits;
import dev.r1.models.ModelException;
import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tensor.Layouts;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and validates a GGUF header from a mapped file. Every count and length is checked against the
 * bytes that remain before anything is allocated, so a truncated or hostile file fails fast with a
 * {@link ModelException} naming the field, instead of an OOM or an out-of-bounds access.
 */
final class GgufParser {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    static final int DEFAULT_ALIGNMENT = 32;
    // Caps on what a header may make us allocate on the heap live in Limits.
    static final int MAX_NAME_BYTES = Limits.TENSOR_NAME_BYTES;
    static final int MAX_DIMS = Limits.GGUF_DIMS;
    static final long MAX_STRING_BYTES = Limits.GGUF_STRING_BYTES;
    static final long MAX_STRING_BYTES_TOTAL = Limits.GGUF_METADATA_BYTES;
    static final long MAX_ARRAY_ELEMENTS_TOTAL = Limits.GGUF_ARRAY_ELEMENTS;
    static final int MAX_ARRAY_DEPTH = Limits.GGUF_ARRAY_DEPTH;

    record Header(int version, Map<String, GgufValue> metadata, List<GgufTensor> tensors,
                  int alignment, long dataStart) {}

    private final MemorySegment seg;
    private final long size;
    private final String file;
    private long pos;
    private long arrayElementsLeft = MAX_ARRAY_ELEMENTS_TOTAL;
    private long stringBytesLeft = MAX_STRING_BYTES_TOTAL;

    GgufParser(MemorySegment seg, String file) {
        this.seg = seg;
        this.size = seg.byteSize();
        this.file = file;
    }

    private ModelException error(String field, String detail) {
        return ModelException.at(file, field, detail);
    }

    private void need(long n, String field) {
        if (n > size - pos) {
            throw error(field, "file is truncated: need " + n + " bytes at offset " + pos + ", only "
                    + (size - pos) + " left. Re-download or re-convert the model.");
        }
    }

    private int u8(String f) { need(1, f); return seg.get(Layouts.I8, pos++) & 0xFF; }
    private int i32(String f) { need(4, f); int v = seg.get(Layouts.I32, pos); pos += 4; return v; }
    private long u32(String f) { return i32(f) & 0xFFFF_FFFFL; }
    private long i64(String f) { need(8, f); long v = seg.get(Layouts.I64, pos); pos += 8; return v; }

    /** A u64 count or length that must fit in a non-negative long. */
    private long count(String f) {
        long v = i64(f);
        if (v < 0) throw error(f, "value " + Long.toUnsignedString(v) + " is impossibly large");
        return v;
    }

    private String string(String f) {
        long len = count(f + " length");
        if (len > size - pos) {
            throw error(f, "string length " + len + " runs past the end of the file (" + (size - pos) + " bytes left)");
        }
        if (len > MAX_STRING_BYTES) throw error(f, "string length " + len + " exceeds the limit of " + MAX_STRING_BYTES);
        if (len > stringBytesLeft) throw error(f, "metadata strings exceed the limit of " + MAX_STRING_BYTES_TOTAL + " bytes in all");
        stringBytesLeft -= len;
        byte[] b = new byte[(int) len];
        MemorySegment.copy(seg, Layouts.I8, pos, b, 0, b.length);
        pos += len;
        return new String(b, StandardCharsets.UTF_8);
    }

    Header parse() {
        if (size < 4) throw error("magic", "file is " + size + " bytes, too small to be a GGUF file");
        int magic = i32("magic");
        if (magic != MAGIC) {
            throw error("magic", String.format("expected 'GGUF' (47 47 55 46), found %02x %02x %02x %02x: not a GGUF file",
                    magic & 0xFF, (magic >>> 8) & 0xFF, (magic >>> 16) & 0xFF, magic >>> 24));
        }
        long version = u32("version");
        if (version != 2 && version != 3) {
            String hint = version == 1 ? "GGUF v1 (2023) is not supported; re-convert with a current llama.cpp"
                    : (version & 0xFFFF) == 0 && Integer.reverseBytes((int) version) <= 3
                    ? "this looks like a big-endian GGUF, which r1 does not read"
                    : "r1 reads GGUF versions 2 and 3";
            throw error("version", "found " + version + ": " + hint);
        }
        long tensorCount = count("tensor_count");
        long kvCount = count("metadata_kv_count");
        // Each tensor info takes at least 24 bytes, each key/value at least 13: bound both by the file.
        if (tensorCount > (size - pos) / 24) {
            throw error("tensor_count", tensorCount + " tensors cannot fit in the " + (size - pos) + " bytes left");
        }
        if (kvCount > (size - pos) / 13) {
            throw error("metadata_kv_count", kvCount + " entries cannot fit in the " + (size - pos) + " bytes left");
        }
        Limits.check(file, "tensor_count", tensorCount, Limits.GGUF_TENSORS, "tensors");
        Limits.check(file, "metadata_kv_count", kvCount, Limits.GGUF_METADATA_ENTRIES, "metadata entries");

        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = string("metadata[" + i + "] key");
            String field = "metadata '" + key + "'";
            GgufValue v = value(field, u32(field + " type"), 0);
            if (metadata.putIfAbsent(key, v) != null) throw error(field, "duplicate metadata key");
        }
        int alignment = alignment(metadata);

        List<GgufTensor> tensors = new ArrayList<>((int) tensorCount);
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            GgufTensor t = tensorInfo(i, alignment);
            if (!names.add(t.name())) throw error("tensor '" + t.name() + "'", "duplicate tensor name");
            tensors.add(t);
        }
        long dataStart = alignUp(pos, alignment);
        checkTensorData(tensors, dataStart);
        return new Header((int) version, metadata, tensors, alignment, dataStart);
    }

    private int alignment(Map<String, GgufValue> metadata) {
        GgufValue a = metadata.get("general.alignment");
        if (a == null) return DEFAULT_ALIGNMENT;
        if (a.type() != GgufValueType.UINT32) {
            throw error("metadata 'general.alignment'", "expected UINT32, found " + a.type());
        }
        long v = (Long) a.value();
        if (v == 0 || (v & (v - 1)) != 0 || v > Limits.GGUF_ALIGNMENT) {
            throw error("metadata 'general.alignment'", "expected a power of two, found " + v);
        }
        return (int) v;
    }

    private GgufValue value(String field, long typeId, int depth) {
        GgufValueType type = GgufValueType.fromId(typeId);
        if (type == null) throw error(field, "unknown value type id " + typeId + " (expected 0..12)");
        return switch (type) {
            case UINT8 -> GgufValue.uint8(u8(field));
            case INT8 -> GgufValue.int8((byte) u8(field));
            case UINT16 -> { need(2, field); int v = seg.get(Layouts.I16, pos) & 0xFFFF; pos += 2; yield GgufValue.uint16(v); }
            case INT16 -> { need(2, field); short v = seg.get(Layouts.I16, pos); pos += 2; yield GgufValue.int16(v); }
            case UINT32 -> GgufValue.uint32(u32(field));
            case INT32 -> GgufValue.int32(i32(field));
            case FLOAT32 -> GgufValue.float32(Float.intBitsToFloat(i32(field)));
            case BOOL -> {
                int b = u8(field);
                if (b > 1) throw error(field, "BOOL must be 0 or 1, found " + b);
                yield GgufValue.bool(b == 1);
            }
            case STRING -> GgufValue.string(string(field));
            case ARRAY -> GgufValue.array(array(field, depth));
            case UINT64 -> GgufValue.uint64(i64(field));
            case INT64 -> GgufValue.int64(i64(field));
            case FLOAT64 -> GgufValue.float64(Double.longBitsToDouble(i64(field)));
        };
    }

    private GgufArray array(String field, int depth) {
        if (depth >= MAX_ARRAY_DEPTH) throw error(field, "arrays nested deeper than " + MAX_ARRAY_DEPTH);
        long typeId = u32(field + " element type");
        GgufValueType et = GgufValueType.fromId(typeId);
        if (et == null) throw error(field, "unknown array element type id " + typeId + " (expected 0..12)");
        long n = count(field + " length");
        if (n > (size - pos) / et.minSize()) {
            throw error(field, "array of " + n + " " + et + " cannot fit in the " + (size - pos) + " bytes left");
        }
        if (n > arrayElementsLeft) {
            throw error(field, "array of " + n + " elements exceeds the limit of " + MAX_ARRAY_ELEMENTS_TOTAL
                    + " array elements per file");
        }
        arrayElementsLeft -= n;
        int len = (int) n;
        Object values = switch (et) {
            case FLOAT32 -> { float[] a = new float[len]; MemorySegment.copy(seg, Layouts.F32, pos, a, 0, len); pos += 4L * len; yield a; }
            case FLOAT64 -> { double[] a = new double[len]; MemorySegment.copy(seg, Layouts.F64, pos, a, 0, len); pos += 8L * len; yield a; }
            case INT32 -> { int[] a = new int[len]; MemorySegment.copy(seg, Layouts.I32, pos, a, 0, len); pos += 4L * len; yield a; }
            case INT64, UINT64 -> { long[] a = new long[len]; MemorySegment.copy(seg, Layouts.I64, pos, a, 0, len); pos += 8L * len; yield a; }
            case UINT32 -> { long[] a = new long[len]; for (int i = 0; i < len; i++) a[i] = u32(field); yield a; }
            case UINT8, INT8, UINT16, INT16 -> {
                int[] a = new int[len];
                for (int i = 0; i < len; i++) a[i] = ((Number) value(field, et.id(), depth).value()).intValue();
                yield a;
            }
            case BOOL -> {
                boolean[] a = new boolean[len];
                for (int i = 0; i < len; i++) a[i] = (Boolean) value(field, et.id(), depth).value();
                yield a;
            }
            case STRING -> {
                String[] a = new String[len];
                for (int i = 0; i < len; i++) a[i] = string(field + "[" + i + "]");
                yield a;
            }
            case ARRAY -> {
                GgufArray[] a = new GgufArray[len];
                for (int i = 0; i < len; i++) a[i] = array(field + "[" + i + "]", depth + 1);
                yield a;
            }
        };
        return GgufArray.trusted(et, values);
    }

    private GgufTensor tensorInfo(long index, int alignment) {
        String name = string("tensor[" + index + "] name");
        String field = "tensor '" + name + "'";
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            throw error(field, "name is longer than " + MAX_NAME_BYTES + " bytes (ggml's limit)");
        }
        long nDims = u32(field + " n_dims");
        if (nDims < 1 || nDims > MAX_DIMS) throw error(field, "n_dims must be 1.." + MAX_DIMS + ", found " + nDims);
        long[] dims = new long[(int) nDims];
        long nElements = 1;
        for (int d = 0; d < nDims; d++) {
            dims[d] = i64(field + " ne[" + d + "]");
            if (dims[d] < 0) throw error(field, "ne[" + d + "] = " + Long.toUnsignedString(dims[d]) + " is negative or too large");
            if (dims[d] != 0 && nElements > Long.MAX_VALUE / dims[d]) {
                throw error(field, "element count overflows (dims " + java.util.Arrays.toString(dims) + ")");
            }
            nElements *= dims[d];
        }
        long typeId = u32(field + " type");
        GgmlType type;
        try {
            type = GgmlType.fromId((int) Math.min(typeId, Integer.MAX_VALUE));
        } catch (ModelException e) {
            throw error(field + " type", e.getMessage());
        }
        if (dims[0] % type.blockSize() != 0) {
            throw error(field, "ne[0] = " + dims[0] + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        long offset = count(field + " offset");
        if (offset % alignment != 0) {
            throw error(field, "data offset " + offset + " is not a multiple of the alignment " + alignment);
        }
        long bytes;
        try {
            bytes = type.byteSize(nElements);
        } catch (ArithmeticException e) {
            throw error(field, "byte size of " + nElements + " " + type + " elements overflows");
        }
        return new GgufTensor(name, type, dims, offset, bytes);
    }

    private void checkTensorData(List<GgufTensor> tensors, long dataStart) {
        long room = size - dataStart; // may be negative for a file that ends inside the padding
        for (GgufTensor t : tensors) {
            if (t.byteSize() > 0 && (t.dataOffset() > room || t.byteSize() > room - t.dataOffset())) {
                throw error("tensor '" + t.name() + "'", "data [" + t.dataOffset() + ", +" + t.byteSize()
                        + ") runs past the end of the data section (" + Math.max(room, 0) + " bytes): file is truncated");
            }
        }
        List<GgufTensor> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(GgufTensor::dataOffset));
        for (int i = 1; i < sorted.size(); i++) {
            GgufTensor a = sorted.get(i - 1), b = sorted.get(i);
            if (a.dataOffset() + a.byteSize() > b.dataOffset() && b.byteSize() > 0) {
                throw error("tensor '" + b.name() + "'", "data at offset " + b.dataOffset()
                        + " overlaps tensor '" + a.name() + "' [" + a.dataOffset() + ", +" + a.byteSize() + ")");
            }
        }
    }

    static long alignUp(long v, long alignment) {
        return (v + alignment - 1) / alignment * alignment;
    }
}

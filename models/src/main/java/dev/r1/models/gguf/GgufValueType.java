package dev.r1.models.gguf;

/** GGUF metadata value types ({@code enum gguf_type}), with their on-disk ids. */
public enum GgufValueType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4),
    BOOL(7, 1), STRING(8, -1), ARRAY(9, -1), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    private final int id;
    private final int size;

    GgufValueType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    public int id() { return id; }

    /** Fixed size in bytes, or -1 for STRING and ARRAY. */
    public int fixedSize() { return size; }

    /** Smallest number of bytes one value can occupy on disk (used to bound hostile counts). */
    int minSize() {
        return switch (this) {
            case STRING -> 8;        // u64 length
            case ARRAY -> 12;        // u32 type + u64 count
            default -> size;
        };
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    public boolean isFloat() { return this == FLOAT32 || this == FLOAT64; }

    /** The type with this id, or null. */
    static GgufValueType fromId(long id) {
        for (GgufValueType t : values()) if (t.id == id) return t;
        return null;
    }
}

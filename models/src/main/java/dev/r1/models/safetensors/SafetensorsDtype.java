package dev.r1.models.safetensors;

import dev.r1.models.tensor.GgmlType;

/** The safetensors dtypes r1 reads (the distills ship BF16), with the matching ggml type. */
public enum SafetensorsDtype {
    F32(4, GgmlType.F32),
    F16(2, GgmlType.F16),
    BF16(2, GgmlType.BF16);

    private final int size;
    private final GgmlType ggml;

    SafetensorsDtype(int size, GgmlType ggml) {
        this.size = size;
        this.ggml = ggml;
    }

    /** Bytes per element. */
    public int size() { return size; }

    /** The ggml type with the same bytes, so data can be dequantized or copied into GGUF as is. */
    public GgmlType ggmlType() { return ggml; }

    /** The dtype named {@code name} in a header, or null if unsupported. */
    static SafetensorsDtype parse(String name) {
        for (SafetensorsDtype d : values()) if (d.name().equals(name)) return d;
        return null;
    }
}

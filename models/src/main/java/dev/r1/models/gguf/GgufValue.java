package dev.r1.models.gguf;

import java.util.Objects;

/**
 * One typed GGUF metadata value. Java value per type: UINT8/INT8/UINT16/INT16/INT32 {@link Integer};
 * UINT32/INT64/UINT64 {@link Long} (UINT64 as raw bits); FLOAT32 {@link Float}; FLOAT64 {@link Double};
 * BOOL {@link Boolean}; STRING {@link String}; ARRAY {@link GgufArray}. Keeping the type lets a
 * converter copy metadata to a new file unchanged.
 */
public record GgufValue(GgufValueType type, Object value) {

    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        Class<?> want = switch (type) {
            case UINT8, INT8, UINT16, INT16, INT32 -> Integer.class;
            case UINT32, INT64, UINT64 -> Long.class;
            case FLOAT32 -> Float.class;
            case FLOAT64 -> Double.class;
            case BOOL -> Boolean.class;
            case STRING -> String.class;
            case ARRAY -> GgufArray.class;
        };
        if (value.getClass() != want) {
            throw new IllegalArgumentException("GGUF " + type + " value must be a " + want.getSimpleName()
                    + ", got " + value.getClass().getSimpleName());
        }
        if (value instanceof Integer i) checkRange(type, i);
        if (value instanceof Long l && type == GgufValueType.UINT32) checkRange(type, l);
    }

    static void checkRange(GgufValueType type, long v) {
        long lo, hi;
        switch (type) {
            case UINT8 -> { lo = 0; hi = 0xFF; }
            case INT8 -> { lo = Byte.MIN_VALUE; hi = Byte.MAX_VALUE; }
            case UINT16 -> { lo = 0; hi = 0xFFFF; }
            case INT16 -> { lo = Short.MIN_VALUE; hi = Short.MAX_VALUE; }
            case UINT32 -> { lo = 0; hi = 0xFFFF_FFFFL; }
            default -> { return; }
        }
        if (v < lo || v > hi) throw new IllegalArgumentException(v + " is out of range for GGUF " + type);
    }

    public static GgufValue uint8(int v) { return new GgufValue(GgufValueType.UINT8, v); }
    public static GgufValue int8(int v) { return new GgufValue(GgufValueType.INT8, v); }
    public static GgufValue uint16(int v) { return new GgufValue(GgufValueType.UINT16, v); }
    public static GgufValue int16(int v) { return new GgufValue(GgufValueType.INT16, v); }
    public static GgufValue int32(int v) { return new GgufValue(GgufValueType.INT32, v); }
    public static GgufValue uint32(long v) { return new GgufValue(GgufValueType.UINT32, v); }
    public static GgufValue int64(long v) { return new GgufValue(GgufValueType.INT64, v); }
    public static GgufValue uint64(long v) { return new GgufValue(GgufValueType.UINT64, v); }
    public static GgufValue float32(float v) { return new GgufValue(GgufValueType.FLOAT32, v); }
    public static GgufValue float64(double v) { return new GgufValue(GgufValueType.FLOAT64, v); }
    public static GgufValue bool(boolean v) { return new GgufValue(GgufValueType.BOOL, v); }
    public static GgufValue string(String v) { return new GgufValue(GgufValueType.STRING, v); }
    public static GgufValue array(GgufArray v) { return new GgufValue(GgufValueType.ARRAY, v); }

    @Override
    public String toString() {
        return type == GgufValueType.STRING ? type + ":\"" + value + "\"" : type + ":" + value;
    }
}

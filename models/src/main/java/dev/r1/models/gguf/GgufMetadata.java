package dev.r1.models.gguf;

import dev.r1.models.ModelException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Typed access to GGUF metadata. Integer getters accept any integer type whose value fits (converters
 * differ in whether they write a count as u32, i32 or u64); float getters accept any numeric type.
 * Every mismatch is a {@link ModelException} naming the source file, the key, and expected vs found.
 */
public final class GgufMetadata {
    private final String source;
    private final Map<String, GgufValue> values;

    /** @param source the file (or description) named in error messages */
    public GgufMetadata(String source, Map<String, GgufValue> values) {
        this.source = source;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** All key/value pairs in file order. */
    public Map<String, GgufValue> asMap() { return values; }

    public boolean has(String key) { return values.containsKey(key); }

    public Optional<GgufValue> find(String key) { return Optional.ofNullable(values.get(key)); }

    public GgufValue get(String key) {
        GgufValue v = values.get(key);
        if (v == null) {
            throw ModelException.at(source, key, "required metadata key is missing; the file may be"
                    + " for another architecture or made by an incompatible converter");
        }
        return v;
    }

    private ModelException wrongType(String key, GgufValue v, String expected) {
        return ModelException.at(source, key, "expected " + expected + ", found " + describe(v));
    }

    private static String describe(GgufValue v) {
        return v.type() == GgufValueType.ARRAY ? "array of " + ((GgufArray) v.value()).elementType() : v.type().name();
    }

    public String getString(String key) {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.STRING) throw wrongType(key, v, "STRING");
        return (String) v.value();
    }

    public long getLong(String key) {
        GgufValue v = get(key);
        if (!v.type().isInteger()) throw wrongType(key, v, "an integer");
        long l = ((Number) v.value()).longValue();
        if (v.type() == GgufValueType.UINT64 && l < 0) {
            throw ModelException.at(source, key, "value " + Long.toUnsignedString(l) + " is too large");
        }
        return l;
    }

    public int getInt(String key) {
        long l = getLong(key);
        if (l != (int) l) throw ModelException.at(source, key, "value " + l + " does not fit in a 32-bit int");
        return (int) l;
    }

    public float getFloat(String key) {
        GgufValue v = get(key);
        if (v.type().isFloat()) return ((Number) v.value()).floatValue();
        if (v.type().isInteger()) return (float) getLong(key);
        throw wrongType(key, v, "a number");
    }

    public boolean getBoolean(String key) {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.BOOL) throw wrongType(key, v, "BOOL");
        return (Boolean) v.value();
    }

    public GgufArray getArray(String key) {
        GgufValue v = get(key);
        if (v.type() != GgufValueType.ARRAY) throw wrongType(key, v, "an array");
        return (GgufArray) v.value();
    }

    public String[] getStringArray(String key) {
        GgufArray a = getArray(key);
        if (a.elementType() != GgufValueType.STRING) throw wrongType(key, get(key), "array of STRING");
        return a.asStrings();
    }

    public int[] getIntArray(String key) {
        GgufArray a = getArray(key);
        int[] out = a.elementType().isInteger() ? a.toIntsOrNull() : null;
        if (out == null) throw wrongType(key, get(key), "array of integers that fit in 32 bits");
        return out;
    }

    public float[] getFloatArray(String key) {
        GgufArray a = getArray(key);
        float[] out = a.toFloatsOrNull();
        if (out == null) throw wrongType(key, get(key), "array of FLOAT32 or FLOAT64");
        return out;
    }

    public Optional<String> optString(String key) { return has(key) ? Optional.of(getString(key)) : Optional.empty(); }
    public OptionalInt optInt(String key) { return has(key) ? OptionalInt.of(getInt(key)) : OptionalInt.empty(); }
    public OptionalLong optLong(String key) { return has(key) ? OptionalLong.of(getLong(key)) : OptionalLong.empty(); }
    public Optional<Float> optFloat(String key) { return has(key) ? Optional.of(getFloat(key)) : Optional.empty(); }
    public Optional<Boolean> optBoolean(String key) { return has(key) ? Optional.of(getBoolean(key)) : Optional.empty(); }
}

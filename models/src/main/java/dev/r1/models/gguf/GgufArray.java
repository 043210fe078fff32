package dev.r1.models.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * A GGUF array value, held as one primitive Java array so a 150k-entry token table stays compact:
 * UINT8/INT8/UINT16/INT16/INT32 as {@code int[]}, UINT32/INT64/UINT64 as {@code long[]} (UINT64 as raw
 * bits), FLOAT32 {@code float[]}, FLOAT64 {@code double[]}, BOOL {@code boolean[]}, STRING
 * {@code String[]}, ARRAY {@code GgufArray[]} (nested arrays, each with its own element type).
 */
public final class GgufArray {
    private final GgufValueType elementType;
    private final Object values;

    private GgufArray(GgufValueType elementType, Object values) {
        this.elementType = Objects.requireNonNull(elementType);
        this.values = values;
    }

    /**
     * An array of {@code elementType} over the matching Java array (see the class comment); integer
     * values are range-checked against the element type.
     */
    public static GgufArray of(GgufValueType elementType, Object javaArray) {
        Class<?> want = javaClass(elementType);
        if (javaArray == null || javaArray.getClass() != want) {
            throw new IllegalArgumentException("GGUF " + elementType + " array needs a " + want.getSimpleName()
                    + ", got " + (javaArray == null ? "null" : javaArray.getClass().getSimpleName()));
        }
        if (javaArray instanceof int[] ints) for (int v : ints) GgufValue.checkRange(elementType, v);
        if (javaArray instanceof long[] longs && elementType == GgufValueType.UINT32) {
            for (long v : longs) GgufValue.checkRange(elementType, v);
        }
        if (javaArray instanceof Object[] objs) for (Object o : objs) Objects.requireNonNull(o, "array element");
        return new GgufArray(elementType, javaArray);
    }

    public static GgufArray ofStrings(String... values) { return of(GgufValueType.STRING, values.clone()); }
    public static GgufArray ofInt32(int... values) { return of(GgufValueType.INT32, values.clone()); }
    public static GgufArray ofFloat32(float... values) { return of(GgufValueType.FLOAT32, values.clone()); }
    public static GgufArray ofArrays(GgufArray... values) { return of(GgufValueType.ARRAY, values.clone()); }

    static Class<?> javaClass(GgufValueType t) {
        return switch (t) {
            case UINT8, INT8, UINT16, INT16, INT32 -> int[].class;
            case UINT32, INT64, UINT64 -> long[].class;
            case FLOAT32 -> float[].class;
            case FLOAT64 -> double[].class;
            case BOOL -> boolean[].class;
            case STRING -> String[].class;
            case ARRAY -> GgufArray[].class;
        };
    }

    /** Wraps an array built by the reader, already of the right class and range. */
    static GgufArray trusted(GgufValueType elementType, Object values) {
        return new GgufArray(elementType, values);
    }

    public GgufValueType elementType() { return elementType; }

    public int size() { return java.lang.reflect.Array.getLength(values); }

    /** Element {@code i}, boxed as for {@link GgufValue#value()}. */
    public Object get(int i) { return java.lang.reflect.Array.get(values, i); }

    /** The backing Java array (do not modify); its class depends on {@link #elementType()}. */
    public Object rawValues() { return values; }

    public String[] asStrings() { return expect(String[].class, "STRING").clone(); }
    public float[] asFloat32() { return expect(float[].class, "FLOAT32").clone(); }
    public double[] asFloat64() { return expect(double[].class, "FLOAT64").clone(); }
    public boolean[] asBooleans() { return expect(boolean[].class, "BOOL").clone(); }
    public GgufArray[] asArrays() { return expect(GgufArray[].class, "ARRAY").clone(); }

    /** Integer elements as int (any integer element type whose values fit), else null. */
    int[] toIntsOrNull() {
        if (values instanceof int[] a) return a.clone();
        if (values instanceof long[] a) {
            int[] out = new int[a.length];
            for (int i = 0; i < a.length; i++) {
                if (a[i] != (int) a[i] || (elementType == GgufValueType.UINT64 && a[i] < 0)) return null;
                out[i] = (int) a[i];
            }
            return out;
        }
        return null;
    }

    /** Numeric elements as float, or null if not numeric. */
    float[] toFloatsOrNull() {
        if (values instanceof float[] a) return a.clone();
        if (values instanceof double[] a) {
            float[] out = new float[a.length];
            for (int i = 0; i < a.length; i++) out[i] = (float) a[i];
            return out;
        }
        return null;
    }

    private <T> T expect(Class<T> cls, String what) {
        if (!cls.isInstance(values)) {
            throw new IllegalStateException("GGUF array of " + elementType + ", not of " + what);
        }
        return cls.cast(values);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufArray a && a.elementType == elementType
                && Arrays.deepEquals(new Object[] {values}, new Object[] {a.values});
    }

    @Override
    public int hashCode() { return 31 * elementType.hashCode() + Arrays.deepHashCode(new Object[] {values}); }

    @Override
    public String toString() {
        int n = size();
        StringBuilder sb = new StringBuilder(elementType + "[" + n + "]{");
        for (int i = 0; i < Math.min(n, 8); i++) sb.append(i == 0 ? "" : ", ").append(get(i));
        return sb.append(n > 8 ? ", ...}" : "}").toString();
    }
}

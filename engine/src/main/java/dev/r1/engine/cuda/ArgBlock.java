package dev.r1.engine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A kernel's argument block for {@code cuLaunchKernel}, allocated once per call site and rewritten in
 * place for each launch (no allocation per launch): one 8-byte slot per parameter and the
 * {@code void* kernelParams[]} array pointing at them. The signature is a string of parameter kinds:
 * {@code P} a device pointer (CUdeviceptr, 8 bytes), {@code I} an int, {@code F} a float.
 */
public final class ArgBlock {
    private final String signature;
    private final MemorySegment slots, params;

    public ArgBlock(Arena arena, String signature) {
        for (char c : signature.toCharArray()) {
            if (c != 'P' && c != 'I' && c != 'F') throw new IllegalArgumentException("argument kind '" + c + "' in \"" + signature + "\" (P, I or F)");
        }
        this.signature = signature;
        int n = signature.length();
        slots = arena.allocate(8L * Math.max(1, n), 8);
        params = arena.allocate(ValueLayout.ADDRESS, Math.max(1, n));
        for (int i = 0; i < n; i++) params.setAtIndex(ValueLayout.ADDRESS, i, slots.asSlice(8L * i, 8));
    }

    public String signature() { return signature; }

    /** The {@code void**} to pass as {@code kernelParams}. */
    public MemorySegment params() { return params; }

    /** The slot of parameter {@code i} (for tests and for patching a captured graph's nodes). */
    public MemorySegment slot(int i) { return slots.asSlice(8L * i, 8); }

    private void check(int i, char kind) {
        if (signature.charAt(i) != kind) {
            throw new IllegalArgumentException("argument " + i + " of \"" + signature + "\" is " + signature.charAt(i) + ", not " + kind);
        }
    }

    public ArgBlock ptr(int i, long devicePtr) {
        check(i, 'P');
        slots.set(ValueLayout.JAVA_LONG, 8L * i, devicePtr);
        return this;
    }

    public ArgBlock i32(int i, int v) {
        check(i, 'I');
        slots.set(ValueLayout.JAVA_INT, 8L * i, v);
        return this;
    }

    public ArgBlock f32(int i, float v) {
        check(i, 'F');
        slots.set(ValueLayout.JAVA_FLOAT, 8L * i, v);
        return this;
    }

    /** Sets every argument in order: Long for P, Integer for I, Float for F. */
    public ArgBlock set(Object... values) {
        if (values.length != signature.length()) {
            throw new IllegalArgumentException(values.length + " arguments for signature \"" + signature + "\"");
        }
        for (int i = 0; i < values.length; i++) {
            switch (signature.charAt(i)) {
                case 'P' -> ptr(i, (Long) values[i]);
                case 'I' -> i32(i, (Integer) values[i]);
                default -> f32(i, (Float) values[i]);
            }
        }
        return this;
    }
}

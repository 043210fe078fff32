package dev.r1.engine.eval;

import java.util.Arrays;

/** A growable float array (per-position statistics of long texts without boxing). */
final class FloatList {
    private float[] a = new float[1024];
    private int n;

    void add(float v) {
        if (n == a.length) a = Arrays.copyOf(a, 2 * n);
        a[n++] = v;
    }

    int size() { return n; }

    float[] toArray() { return Arrays.copyOf(a, n); }
}

package dev.r1.models.config;

/** Comparing stored rope factors with computed ones. */
final class RopeFreqs {
    private RopeFreqs() {}

    /** Equal within 4 ulps each (torch's vectorized powf may round differently from Math.pow). */
    static boolean closeTo(float[] a, float[] b) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) {
            if (!(Math.abs(a[i] - b[i]) <= 4 * Math.ulp(Math.max(Math.abs(a[i]), Math.abs(b[i]))))) return false;
        }
        return true;
    }
}

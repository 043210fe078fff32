package dev.r1.quantize;

/**
 * How to convert: the target type, {@code pure} (no llama-quantize mix: every quantized tensor gets the
 * target type), {@code force} (replace an existing output), {@code allowRequantize} (accept an already
 * quantized GGUF, dequantizing it first: lossy twice), {@code measureError} (per-tensor RMSE and max
 * error in the report, at some cost in speed), a progress listener (may be null) and an importance matrix
 * (may be null).
 */
public record ConvertOptions(TargetType target, boolean pure, boolean force, boolean allowRequantize,
                             boolean measureError, Progress progress, Imatrix imatrix) {

    public ConvertOptions {
        if (target == null) throw new IllegalArgumentException("target type is required");
    }

    /** Defaults: llama-quantize's mix, no overwrite, no requantizing, errors measured, no progress. */
    public static ConvertOptions of(TargetType target) {
        return new ConvertOptions(target, false, false, false, true, null, null);
    }

    public ConvertOptions withPure(boolean v) { return new ConvertOptions(target, v, force, allowRequantize, measureError, progress, imatrix); }
    public ConvertOptions withForce(boolean v) { return new ConvertOptions(target, pure, v, allowRequantize, measureError, progress, imatrix); }
    public ConvertOptions withAllowRequantize(boolean v) { return new ConvertOptions(target, pure, force, v, measureError, progress, imatrix); }
    public ConvertOptions withMeasureError(boolean v) { return new ConvertOptions(target, pure, force, allowRequantize, v, progress, imatrix); }
    public ConvertOptions withProgress(Progress p) { return new ConvertOptions(target, pure, force, allowRequantize, measureError, p, imatrix); }

    /**
     * With an importance matrix: tensor name -> one weight per column (llama-imatrix's mean squared
     * activations), as llama-quantize's {@code --imatrix}; null for none.
     */
    public ConvertOptions withImatrix(java.util.Map<String, float[]> m) {
        return withImatrix(m == null ? null : Imatrix.of(m));
    }

    /** With an importance matrix read by {@link Imatrix#read}: its source is recorded in the metadata too. */
    public ConvertOptions withImatrix(Imatrix m) {
        return new ConvertOptions(target, pure, force, allowRequantize, measureError, progress, m);
    }

    /** Called on the converting thread after each chunk of each tensor. */
    @FunctionalInterface
    public interface Progress {
        void update(Event e);
    }

    /**
     * Where the conversion stands: the tensor being written ({@code index} of {@code count}), and
     * input elements done of the total, for a bar with ETA.
     */
    public record Event(String tensor, int index, int count, long doneElements, long totalElements, double elapsedSeconds) {
        /** Fraction done in [0, 1]. */
        public double fraction() { return totalElements == 0 ? 1 : (double) doneElements / totalElements; }

        /** Estimated seconds left at the average speed so far (NaN before any progress). */
        public double etaSeconds() {
            return doneElements == 0 ? Double.NaN : elapsedSeconds * (totalElements - doneElements) / doneElements;
        }
    }
}

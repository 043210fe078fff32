package dev.r1.engine.eval;

/** What is kept of the teacher at one scored position: all its logits, or its top-k log-probabilities. */
public sealed interface TeacherRow {

    /** The teacher's raw logits over its whole vocabulary (exact: KL of a model against itself is 0). */
    record Full(float[] logits) implements TeacherRow {}

    /**
     * The teacher's {@code k} most likely tokens with their log-probabilities at the temperature the file was
     * saved with, its top token and the log-probability (at temperature 1) of the token that followed.
     */
    record TopK(int top1, float targetLogProb, int[] ids, float[] logProbs) implements TeacherRow {}
}

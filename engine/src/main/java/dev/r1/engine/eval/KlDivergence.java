package dev.r1.engine.eval;

import dev.r1.engine.Session;
import java.nio.file.Path;

/**
 * KL(teacher ‖ student) over the scored positions of {@link Windows}, each window one batched prefill per
 * model. The teacher either runs window by window next to the student, or once beforehand into a
 * {@link TeacherLogits} file, so the two models never need to be in memory together.
 */
public final class KlDivergence {
    private KlDivergence() {}

    /** Runs the teacher over every window and saves its scored rows ({@code topK} 0: full logits). */
    public static void saveTeacher(Session teacher, Windows w, Path out, int topK, double temperature, String source,
                                   Perplexity.Progress progress) {
        check(teacher, w);
        int first = w.first(), last = w.ctx() - 2;
        try (TeacherLogits.Writer wr = new TeacherLogits.Writer(out, w, teacher.vocabSize(), topK, temperature, source)) {
            long done = 0;
            for (int c = 0; c < w.chunks(); c++) {
                final int chunk = c;
                teacher.reset();
                teacher.prefill(w.window(c), (j, logits) -> {
                    if (j >= first && j <= last) wr.write(logits, w.target(chunk, j));
                });
                done += w.scoredPerChunk();
                if (progress != null) progress.update(done, w.scoredTotal());
            }
            wr.commit();
        }
        teacher.reset();
    }

    /** The student against a saved teacher; the caller has checked the student tokenizes the text the same. */
    public static KlStats compare(TeacherLogits.Reader teacher, Session student, double temperature, Perplexity.Progress progress) {
        if (teacher.topK > 0 && Math.abs(teacher.temperature - temperature) > 1e-6)
            throw new EvalException("the teacher's top-" + teacher.topK + " log-probs were saved at temperature " + teacher.temperature
                    + "; compare at that --temperature, or save full logits (--top-k 0) to choose it later");
        Windows w = teacher.windows(EvalModels.addsBos(student.model()) ? student.bos() : -1);
        if (teacher.llama && temperature != 1)
            throw new EvalException("a llama-perplexity logits file holds log-probs at temperature 1 only; drop --temperature");
        return run(w, student, Math.min(teacher.vocab, student.vocabSize()), temperature, progress, null, c -> {
            TeacherRow[] rows = new TeacherRow[w.scoredPerChunk()];
            for (int i = 0; i < rows.length; i++) rows[i] = teacher.next(w.target(c, w.first() + i));
            return rows;
        });
    }

    /** Teacher and student side by side, window by window (full rows, exact). */
    public static KlStats compare(Session teacher, Session student, Windows w, double temperature, Perplexity.Progress progress) {
        return compare(teacher, student, w, temperature, progress, null);
    }

    /** As above, also accumulating the distillation {@code signals} (observers on both sessions) when not null. */
    public static KlStats compare(Session teacher, Session student, Windows w, double temperature, Perplexity.Progress progress,
                                  Signals signals) {
        check(teacher, w);
        int first = w.first(), last = w.ctx() - 2;
        Runnable after = signals == null ? null : () -> signals.endWindow(w.ctx(), first, last);
        return run(w, student, Math.min(teacher.vocabSize(), student.vocabSize()), temperature, progress, after, c -> {
            TeacherRow[] rows = new TeacherRow[w.scoredPerChunk()];
            if (signals != null) signals.beginWindow(w.ctx());
            teacher.reset();
            teacher.prefill(w.window(c), (j, logits) -> {
                if (j >= first && j <= last) rows[j - first] = new TeacherRow.Full(logits.clone());
            });
            return rows;
        });
    }

    private interface Rows {
        TeacherRow[] of(int chunk);
    }

    private static KlStats run(Windows w, Session student, int shared, double temperature, Perplexity.Progress progress,
                               Runnable afterWindow, Rows teacher) {
        check(student, w);
        KlStats stats = new KlStats(shared, temperature);
        int first = w.first(), last = w.ctx() - 2;
        long done = 0;
        for (int c = 0; c < w.chunks(); c++) {
            final int chunk = c;
            TeacherRow[] rows = teacher.of(c);
            stats.newWindow();
            student.reset();
            student.prefill(w.window(c), (j, logits) -> {
                if (j >= first && j <= last) stats.add(rows[j - first], logits, w.target(chunk, j));
            });
            if (afterWindow != null) afterWindow.run();
            done += w.scoredPerChunk();
            if (progress != null) progress.update(done, w.scoredTotal());
        }
        student.reset();
        return stats;
    }

    private static void check(Session s, Windows w) {
        if (s.contextSize() < w.ctx())
            throw new EvalException("the session holds " + s.contextSize() + " positions, the windows need " + w.ctx());
    }
}

package dev.r1.engine.eval;

import dev.r1.engine.Model;
import dev.r1.engine.Session;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Multiple-choice accuracy on files in the MMLU/CMMLU CSV layout: one question per row as
 * {@code question,A,B,C,D,answer} (CMMLU's leading index column and a header row are recognized), one subject
 * per file ({@code abstract_algebra_test.csv} is subject {@code abstract_algebra}). The prompt is MMLU's
 * (Hendrycks et al.): a subject line, {@code shots} solved examples, then the question ending in
 * {@code "Answer:"}; each option is scored by the log-likelihood of its letter as the continuation
 * ({@code " A"} ... {@code " D"}) and the most likely one is the model's answer.
 *
 * <p>Examples come from the subject's {@code _dev.csv} file next to it (or in a sibling {@code dev/} folder,
 * MMLU's layout); without one, the subject's first {@code shots} questions serve as examples and are not scored.
 */
public final class MultipleChoice {
    private static final String[] LETTERS = {"A", "B", "C", "D"};

    private MultipleChoice() {}

    public record Question(String subject, String question, String[] options, int answer) {}

    /** A subject's questions to score and its solved examples. */
    public record Subject(String name, List<Question> examples, List<Question> questions, String examplesFrom) {}

    /** Reads a CSV file or every {@code *.csv} under a folder (dev files become examples, not questions). */
    public static List<Subject> load(Path data, int shots, int limit) {
        List<Path> files;
        try (Stream<Path> s = Files.isDirectory(data) ? Files.walk(data) : Stream.of(data)) {
            files = s.filter(p -> p.toString().endsWith(".csv") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new EvalException("cannot read --data " + data + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) throw new EvalException("--data " + data + " holds no .csv files (MMLU/CMMLU layout: question,A,B,C,D,answer)");
        Map<String, Subject> out = new TreeMap<>();
        for (Path f : files) {
            String split = split(f);
            if (split.equals("dev") && files.size() > 1) continue; // read as examples of their subject
            String name = subject(f);
            List<Question> qs = read(f, name);
            List<Question> ex = new ArrayList<>();
            String from = "none";
            if (shots > 0) {
                Path dev = devFile(f, name);
                if (dev != null) {
                    List<Question> all = read(dev, name);
                    ex.addAll(all.subList(0, Math.min(shots, all.size())));
                    from = dev.getFileName().toString();
                } else {
                    int k = Math.min(shots, Math.max(0, qs.size() - 1));
                    ex.addAll(qs.subList(0, k));
                    qs = qs.subList(k, qs.size());
                    from = "the first " + k + " questions of " + f.getFileName();
                }
            }
            if (limit > 0 && qs.size() > limit) qs = qs.subList(0, limit);
            Subject prev = out.get(name);
            if (prev != null) {
                List<Question> all = new ArrayList<>(prev.questions());
                all.addAll(qs);
                qs = all;
            }
            out.put(name, new Subject(name, ex, qs, from));
        }
        return List.copyOf(out.values());
    }

    private static String split(Path f) {
        String n = f.getFileName().toString().replace(".csv", "");
        for (String s : new String[] {"dev", "val", "test"}) if (n.endsWith("_" + s)) return s;
        return "";
    }

    private static String subject(Path f) {
        String n = f.getFileName().toString().replace(".csv", "");
        return n.replaceAll("_(dev|val|test)$", "");
    }

    private static Path devFile(Path f, String name) {
        Path dir = f.toAbsolutePath().getParent();
        for (Path p : new Path[] {dir.resolve(name + "_dev.csv"), dir.resolveSibling("dev").resolve(name + "_dev.csv"),
                dir.resolveSibling("dev").resolve(name + ".csv")}) {
            if (Files.isRegularFile(p) && !p.equals(f.toAbsolutePath())) return p;
        }
        return null;
    }

    static List<Question> read(Path f, String subject) {
        String text;
        try {
            text = Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new EvalException("cannot read " + f + ": " + e.getMessage(), e);
        }
        List<List<String>> rows = Csv.parse(text, f);
        List<Question> qs = new ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            if (row.size() == 1 && row.get(0).isBlank()) continue;
            if (row.size() == 7) row = row.subList(1, 7); // CMMLU: a leading index column
            if (row.size() != 6)
                throw new EvalException(f + " row " + (r + 1) + ": " + row.size() + " columns; expected question,A,B,C,D,answer");
            int ans = "ABCD".indexOf(row.get(5).trim().toUpperCase(Locale.ROOT));
            if (row.get(5).trim().length() != 1 || ans < 0) {
                if (r == 0) continue; // a header row
                throw new EvalException(f + " row " + (r + 1) + ": answer '" + row.get(5) + "' is not one of A, B, C, D");
            }
            qs.add(new Question(subject, row.get(0), row.subList(1, 5).toArray(String[]::new), ans));
        }
        if (qs.isEmpty()) throw new EvalException(f + " holds no questions");
        return qs;
    }

    /** MMLU's prompt for {@code q} after the solved {@code examples}. */
    public static String prompt(Subject s, Question q) {
        StringBuilder sb = new StringBuilder("The following are multiple choice questions (with answers) about ")
                .append(s.name().replace('_', ' ')).append(".\n\n");
        for (Question e : s.examples()) format(sb, e).append(' ').append(LETTERS[e.answer()]).append("\n\n");
        return format(sb, q).toString();
    }

    private static StringBuilder format(StringBuilder sb, Question q) {
        sb.append(q.question().strip());
        for (int i = 0; i < 4; i++) sb.append('\n').append(LETTERS[i]).append(". ").append(q.options()[i].strip());
        return sb.append("\nAnswer:");
    }

    /** Per subject: correct and total; {@code picks}: the chosen option of every question, in order. */
    public record Result(Map<String, int[]> perSubject, int[] picks, long seconds) {
        public int correct() { return perSubject.values().stream().mapToInt(a -> a[0]).sum(); }
        public int total() { return perSubject.values().stream().mapToInt(a -> a[1]).sum(); }
        public double accuracy() { return total() == 0 ? 0 : (double) correct() / total(); }

        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("accuracy", accuracy());
            m.put("correct", correct());
            m.put("questions", total());
            Map<String, Object> subj = new LinkedHashMap<>();
            perSubject.forEach((k, v) -> subj.put(k, Map.of("accuracy", v[1] == 0 ? 0.0 : (double) v[0] / v[1], "correct", v[0], "questions", v[1])));
            m.put("subjects", subj);
            return m;
        }
    }

    /**
     * Scores every question: one prefill of the prompt, then each letter's tokens from there (the cache is
     * cut back to the prompt between options).
     */
    public static Result run(Model m, Session s, List<Subject> subjects, Perplexity.Progress progress) {
        long t0 = System.nanoTime();
        int[][] letters = new int[4][];
        for (int i = 0; i < 4; i++) letters[i] = m.tokenize(" " + LETTERS[i], false, false);
        long total = subjects.stream().mapToLong(x -> x.questions().size()).sum(), done = 0;
        Map<String, int[]> per = new LinkedHashMap<>();
        int[] picks = new int[(int) total];
        double[] lp = new double[m.vocabSize()];
        for (Subject sub : subjects) {
            int[] acc = new int[2];
            for (Question q : sub.questions()) {
                int[] p = EvalModels.tokenize(m, prompt(sub, q));
                if (p.length + 8 > s.contextSize())
                    throw new EvalException("a " + sub.name() + " prompt is " + p.length + " tokens, more than the context of "
                            + s.contextSize() + "; use fewer --shots or a larger --ctx");
                s.reset();
                s.prefill(p);
                float[] after = s.lastLogits();
                int best = -1;
                double bestLl = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < 4; i++) {
                    double ll = loglik(s, after, letters[i], p.length, lp);
                    if (ll > bestLl) { bestLl = ll; best = i; }
                }
                if (best == q.answer()) acc[0]++;
                acc[1]++;
                picks[(int) done] = best;
                if (progress != null) progress.update(++done, total);
            }
            per.put(sub.name(), acc);
        }
        return new Result(per, picks, (System.nanoTime() - t0) / 1_000_000_000L);
    }

    private static double loglik(Session s, float[] after, int[] cont, int promptLen, double[] lp) {
        LogProbs.logSoftmax(after, after.length, 1, lp);
        double ll = lp[cont[0]];
        if (cont.length > 1) {
            s.truncate(promptLen);
            double[] sum = {0};
            s.prefill(cont, (j, logits) -> {
                if (j + 1 < cont.length) {
                    LogProbs.logSoftmax(logits, logits.length, 1, lp);
                    sum[0] += lp[cont[j + 1]];
                }
            });
            ll += sum[0];
        }
        return ll;
    }
}

package dev.r1.cli;

import dev.r1.engine.Engines;
import dev.r1.engine.Model;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.eval.EvalException;
import dev.r1.engine.eval.EvalJson;
import dev.r1.engine.eval.EvalModels;
import dev.r1.engine.eval.KlDivergence;
import dev.r1.engine.eval.KlStats;
import dev.r1.engine.eval.MultipleChoice;
import dev.r1.engine.eval.Perplexity;
import dev.r1.engine.eval.Signals;
import dev.r1.engine.eval.TeacherLogits;
import dev.r1.engine.eval.Windows;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"How much of the teacher the student keeps: perplexity, KL divergence and distillation signals.", "",
                "Scoring follows llama-perplexity: non-overlapping windows of --ctx tokens, each one batched forward",
                "pass from an empty cache (BOS over its first token when the model adds one), the second half scored.", "",
                "Examples:",
                "  r1 eval ppl model.gguf --text wiki.test.raw --ctx 512",
                "  r1 eval kl --teacher f16.gguf --student q4_0.gguf --text wiki.test.raw --json kl.json",
                "  r1 eval kl --teacher m.gguf --student m.gguf --teacher-backend llama.cpp --text t.txt   # engine vs engine",
                "  r1 eval kl --teacher 7b.gguf --text t.txt --save-teacher 7b.logits --top-k 64",
                "  r1 eval kl --teacher-logits 7b.logits --student 1.5b.gguf --text t.txt --plot kl.svg",
                "  r1 eval mc q4_0.gguf --teacher f16.gguf --data mmlu/data --shots 5 --limit 50"},
        subcommands = {EvalCommand.Ppl.class, EvalCommand.Kl.class, EvalCommand.Mc.class})
final class EvalCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Options every eval subcommand takes. */
    static class Common {
        @Option(names = "--text", required = true, paramLabel = "FILE", description = "UTF-8 text to score (e.g. wiki.test.raw)")
        Path text;

        @Option(names = {"-c", "--ctx"}, defaultValue = "512", description = "window length in tokens (default: ${DEFAULT-VALUE}, as llama-perplexity)")
        int ctx;

        @Option(names = "--chunks", defaultValue = "0", description = "score at most N windows (default: all)")
        int chunks;

        @Option(names = {"-t", "--threads"}, description = "CPU threads (default: all cores)")
        Integer threads;

        @Option(names = "--json", paramLabel = "FILE", description = "write every figure as JSON")
        Path json;

        int threads() { return threads != null ? threads : Runtime.getRuntime().availableProcessors(); }

        String readText() {
            try {
                return Files.readString(text, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new EvalException("cannot read --text " + text + ": " + e.getMessage());
            }
        }
    }

    static Model load(String backend, Path file, int threads) {
        if (!Files.exists(file)) throw new EvalException(file + ": no such model file");
        try {
            file = HfImport.gguf(file); // an HF directory is scored from its weights as stored, imported once
        } catch (java.io.IOException e) {
            throw new EvalException(file + ": " + e.getMessage());
        }
        System.err.printf("%s: loading %s%n", Engines.canonical(backend), file);
        return Engines.load(backend, file, threads);
    }

    static Perplexity.Progress bar(String label, Progress[] holder) {
        return (done, total) -> {
            if (holder[0] == null) holder[0] = new Progress(label, total);
            holder[0].update(done);
        };
    }

    static String windowsLine(Windows w, long textTokens) {
        return String.format(Locale.ROOT, "%d windows of %d tokens (of %d in the text), scoring the last %d of each (%d in all)%s",
                w.chunks(), w.ctx(), textTokens, w.scoredPerChunk(), w.scoredTotal(),
                w.bos() >= 0 ? "; BOS over each window's first token" : "");
    }

    @Command(name = "ppl", mixinStandardHelpOptions = true,
            description = {"Perplexity of MODEL over a text, as llama-perplexity computes it (agrees within 0.5%%).", "",
                    "Examples:", "  r1 eval ppl model.gguf --text wiki.test.raw", "  r1 eval ppl model.gguf --text t.txt --backend llama.cpp --ctx 256 --json ppl.json"})
    static final class Ppl implements Callable<Integer> {
        @Parameters(paramLabel = "MODEL", description = "GGUF model file")
        Path model;

        @Option(names = "--backend", defaultValue = "java", description = "java or llama.cpp (default: ${DEFAULT-VALUE})")
        String backend;

        @CommandLine.Mixin
        Common common = new Common();

        @Override
        public Integer call() {
            String text = common.readText();
            Progress[] bar = new Progress[1];
            try (Model m = load(backend, model, common.threads());
                 Session s = EvalModels.scoringSession(m, common.ctx, common.threads())) {
                Windows w = EvalModels.windows(m, text, common.ctx, common.chunks);
                System.err.println(windowsLine(w, w.tokens().length));
                Perplexity.Result r = Perplexity.run(s, w, bar("ppl", bar));
                if (bar[0] != null) bar[0].done();
                System.out.printf(Locale.ROOT, "model: %s (%s)%n", model, m.description());
                System.out.printf(Locale.ROOT, "text: %s, %s%n", common.text, windowsLine(w, w.tokens().length));
                System.out.printf(Locale.ROOT, "PPL = %.4f ± %.5f   (%d tokens, %.1fs, %.0f tokens/s fed)%n",
                        r.ppl(), r.pplErr(), r.count(), r.seconds(), (double) w.chunks() * w.ctx() / r.seconds());
                if (common.json != null) {
                    Map<String, Object> j = new LinkedHashMap<>();
                    j.put("command", "ppl");
                    j.put("model", model.toString());
                    j.put("backend", m.backend());
                    j.put("text", common.text.toString());
                    j.put("text_tokens", w.tokens().length);
                    j.put("bos_per_window", w.bos() >= 0);
                    j.putAll(r.json());
                    EvalJson.write(common.json, j);
                    System.out.println("json: " + common.json);
                }
            }
            return 0;
        }
    }

    @Command(name = "kl", mixinStandardHelpOptions = true,
            description = {"KL(teacher ‖ student) per scored position and llama-perplexity --kl-divergence's statistics:",
                    "mean ± standard error, median, p90, p99, max; top-1 agreement; ΔPPL; RMS Δp of the token that",
                    "followed. Models with different vocabulary sizes but one tokenizer are compared over the shared ids;",
                    "different tokenizers are refused.", "",
                    "The teacher can be saved once (--save-teacher, full logits or --top-k log-probs) and compared later",
                    "(--teacher-logits), so the two models never share memory. The same file on two backends gives the",
                    "engines' disagreement.", "",
                    "Examples:",
                    "  r1 eval kl --teacher f16.gguf --student q4_0.gguf --text t.txt",
                    "  r1 eval kl --teacher m.gguf --student m.gguf --teacher-backend llama.cpp --text t.txt",
                    "  r1 eval kl --teacher 7b.gguf --text t.txt --save-teacher 7b.logits",
                    "  r1 eval kl --teacher-logits 7b.logits --student 1.5b.gguf --text t.txt --temperature 2",
                    "  r1 eval kl --teacher bf16.gguf --student q4_0.gguf --text t.txt --layers 6,12,18 --layer-weights 0.3,0.5,0.2 --attention"})
    static final class Kl implements Callable<Integer> {
        @Option(names = "--teacher", paramLabel = "MODEL", description = "teacher GGUF file")
        Path teacher;

        @Option(names = "--student", paramLabel = "MODEL", description = "student GGUF file (omit with --save-teacher to only save)")
        Path student;

        @Option(names = "--teacher-logits", paramLabel = "FILE", description = "a teacher saved with --save-teacher (or llama-perplexity --kl-divergence-base) instead of --teacher")
        Path teacherLogits;

        @Option(names = "--save-teacher", paramLabel = "FILE", description = "run the teacher alone first and save its logits here")
        Path saveTeacher;

        @Option(names = "--top-k", defaultValue = "0", description = "with --save-teacher: keep the teacher's top K log-probs per position, 0 = full logits (default: ${DEFAULT-VALUE})")
        int topK;

        @Option(names = "--teacher-backend", defaultValue = "java", description = "java or llama.cpp (default: ${DEFAULT-VALUE})")
        String teacherBackend;

        @Option(names = "--student-backend", defaultValue = "java", description = "java or llama.cpp (default: ${DEFAULT-VALUE})")
        String studentBackend;

        @Option(names = "--temperature", defaultValue = "1", description = "KL between softmax(logits / T), scaled by T² (default: ${DEFAULT-VALUE})")
        double temperature;

        @Option(names = "--plot", paramLabel = "FILE", description = "draw the distribution of per-position KL (.svg or .png)")
        Path plot;

        @Option(names = "--layers", split = ",", paramLabel = "L,..", description = "hidden-state MSE after these layers (1-based, as HF's hidden_states), e.g. 6,12,18; needs equal hidden sizes")
        int[] layers = new int[0];

        @Option(names = "--layer-weights", split = ",", paramLabel = "W,..", description = "weights of --layers in the weighted MSE, e.g. 0.3,0.5,0.2 (default: equal)")
        double[] layerWeights;

        @Option(names = "--attention", description = "last-layer attention-pattern distance (Frobenius norm of the difference); needs equal head counts")
        boolean attention;

        @CommandLine.Mixin
        Common common = new Common();

        @Override
        public Integer call() {
            if ((teacher == null) == (teacherLogits == null)) throw new EvalException("give exactly one of --teacher MODEL and --teacher-logits FILE");
            if (saveTeacher != null && teacher == null) throw new EvalException("--save-teacher needs --teacher MODEL");
            if (student == null && saveTeacher == null) throw new EvalException("give --student MODEL (or --save-teacher FILE to only save the teacher)");
            if (!(temperature > 0)) throw new EvalException("--temperature must be > 0, got " + temperature);
            boolean signals = layers.length > 0 || attention;
            if (signals && (teacherLogits != null || saveTeacher != null))
                throw new EvalException("--layers and --attention read both models' insides as they run: use a live --teacher, without --save-teacher or --teacher-logits");
            String text = common.readText();
            int thr = common.threads();
            Progress[] bar = new Progress[1];
            if (saveTeacher != null) {
                try (Model t = load(teacherBackend, teacher, thr); Session ts = EvalModels.scoringSession(t, common.ctx, thr)) {
                    Windows w = EvalModels.windows(t, text, common.ctx, common.chunks);
                    System.err.println(windowsLine(w, w.tokens().length));
                    KlDivergence.saveTeacher(ts, w, saveTeacher, topK, temperature, teacher + " (" + t.backend() + ")", bar("teacher", bar));
                    if (bar[0] != null) bar[0].done();
                    bar[0] = null;
                }
                System.out.printf(Locale.ROOT, "teacher saved: %s (%s, %s)%n", saveTeacher,
                        topK == 0 ? "full logits" : "top-" + topK + " log-probs at temperature " + temperature, Format.bytes(size(saveTeacher)));
                if (student == null) return 0;
                teacherLogits = saveTeacher;
            }
            KlStats stats;
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("command", "kl");
            String tDesc, rows, signalLines = "";
            int tVocab;
            Windows w;
            if (teacherLogits != null) {
                try (TeacherLogits.Reader r = new TeacherLogits.Reader(teacherLogits);
                     Model s = load(studentBackend, student, thr); Session ss = EvalModels.scoringSession(s, r.ctx, thr)) {
                    w = r.windows(EvalModels.addsBos(s) ? s.bos() : -1);
                    // The file holds the windowed prefix of the teacher's tokens: the student's must begin the same.
                    int[] mine = EvalModels.tokenize(s, text);
                    EvalModels.requireSameTokens("--teacher-logits " + teacherLogits + " and --student " + student,
                            w.tokens(), java.util.Arrays.copyOf(mine, Math.min(mine.length, w.tokens().length)), null, s);
                    stats = KlDivergence.compare(r, ss, temperature, bar("kl", bar));
                    tDesc = r.source + " via " + teacherLogits;
                    rows = r.llama ? r.rows() : r.topK == 0 ? "full logits (exact)"
                            : "top-" + r.topK + " log-probs (KL over the teacher's top " + r.topK + " plus one bucket for the rest: a lower bound)";
                    tVocab = r.vocab;
                    j.put("student_backend", s.backend());
                    j.put("student_vocab", s.vocabSize());
                }
            } else {
                try (Model t = load(teacherBackend, teacher, thr); Model s = load(studentBackend, student, thr);
                     Session ts = EvalModels.scoringSession(t, common.ctx, thr); Session ss = EvalModels.scoringSession(s, common.ctx, thr)) {
                    w = EvalModels.windows(t, text, common.ctx, common.chunks);
                    EvalModels.requireSameTokens("--teacher " + teacher + " and --student " + student, w.tokens(), EvalModels.tokenize(s, text), t, s);
                    System.err.println(windowsLine(w, w.tokens().length));
                    Signals sig = signals ? new Signals(ts, ss, layers, layerWeights, attention) : null;
                    stats = KlDivergence.compare(ts, ss, w, temperature, bar("kl", bar), sig);
                    if (sig != null) {
                        signalLines = sig.report();
                        j.putAll(sig.summary());
                    }
                    tDesc = teacher + " (" + t.backend() + ")";
                    rows = "full logits (exact)";
                    tVocab = t.vocabSize();
                    j.put("teacher_backend", t.backend());
                    j.put("student_backend", s.backend());
                    j.put("student_vocab", s.vocabSize());
                }
            }
            if (bar[0] != null) bar[0].done();
            Map<String, Object> m = stats.summary();
            int sVocab = (Integer) j.get("student_vocab"), shared = Math.min(tVocab, sVocab);
            System.out.printf(Locale.ROOT, "teacher: %s%nstudent: %s (%s)%n", tDesc, student, j.get("student_backend"));
            System.out.printf(Locale.ROOT, "text: %s, %s%n", common.text, windowsLine(w, w.tokens().length));
            System.out.printf(Locale.ROOT, "teacher rows: %s%n", rows);
            if (tVocab != sVocab)
                System.out.printf(Locale.ROOT, "vocabulary: compared over the %d ids both share (teacher %d, student %d), each distribution renormalized over them%n",
                        shared, tVocab, sVocab);
            if (temperature != 1) System.out.printf(Locale.ROOT, "temperature: %s (KL between softened distributions, times T²; PPL, Δp, top-1 at T = 1)%n", temperature);
            System.out.print(report(m));
            System.out.print(signalLines);
            j.put("teacher", tDesc);
            j.put("student", String.valueOf(student));
            j.put("text", common.text.toString());
            j.put("ctx", w.ctx());
            j.put("chunks", w.chunks());
            j.put("teacher_vocab", tVocab);
            j.put("teacher_rows_desc", rows);
            j.putAll(m);
            j.put("student_keeps_ppl", d(m, "ppl_teacher") / d(m, "ppl"));
            if (common.json != null) {
                EvalJson.write(common.json, j);
                System.out.println("json: " + common.json);
            }
            if (plot != null) {
                dev.r1.engine.eval.KlPlot.write(plot, "KL(teacher ‖ student) per position: " + Path.of(tDesc.split(" ")[0]).getFileName()
                        + " vs " + student.getFileName(), stats.klValues());
                System.out.println("plot: " + plot);
            }
            return 0;
        }

        private static long size(Path p) {
            try {
                return Files.size(p);
            } catch (IOException e) {
                return 0;
            }
        }
    }

    @Command(name = "mc", mixinStandardHelpOptions = true,
            description = {"Multiple-choice accuracy on benchmark files in the MMLU/CMMLU CSV layout (question,A,B,C,D,answer;",
                    "one subject per file, e.g. data/test/anatomy_test.csv), per subject and overall. MMLU's prompt: a subject",
                    "line, --shots solved examples (from the subject's _dev.csv, else its first questions), the question and",
                    "\"Answer:\"; each option scored by the log-likelihood of its letter. Bring the data: nothing is downloaded.", "",
                    "Examples:", "  r1 eval mc model.gguf --data mmlu/data/test --shots 5",
                    "  r1 eval mc q4_0.gguf --teacher f16.gguf --data cmmlu/test --limit 20 --json mc.json"})
    static final class Mc implements Callable<Integer> {
        @Parameters(paramLabel = "MODEL", description = "GGUF model file (the student when --teacher is given)")
        Path model;

        @Option(names = "--data", required = true, paramLabel = "DIR|FILE", description = "a CSV file or a folder of them")
        Path data;

        @Option(names = "--teacher", paramLabel = "MODEL", description = "also score this model and report what MODEL keeps of it")
        Path teacher;

        @Option(names = "--shots", defaultValue = "0", description = "solved examples before each question (default: ${DEFAULT-VALUE}; MMLU's standard is 5)")
        int shots;

        @Option(names = "--limit", defaultValue = "0", description = "score at most N questions per subject (default: all)")
        int limit;

        @Option(names = "--backend", defaultValue = "java", description = "java or llama.cpp for MODEL (default: ${DEFAULT-VALUE})")
        String backend;

        @Option(names = "--teacher-backend", defaultValue = "java", description = "java or llama.cpp for --teacher (default: ${DEFAULT-VALUE})")
        String teacherBackend;

        @Option(names = {"-c", "--ctx"}, defaultValue = "2048", description = "context per question (default: ${DEFAULT-VALUE}, capped at the model's)")
        int ctx;

        @Option(names = {"-t", "--threads"}, description = "CPU threads (default: all cores)")
        Integer threads;

        @Option(names = "--json", paramLabel = "FILE", description = "write every figure as JSON")
        Path json;

        @Override
        public Integer call() {
            if (shots < 0) throw new EvalException("--shots must be >= 0, got " + shots);
            List<MultipleChoice.Subject> subjects = MultipleChoice.load(data, shots, limit);
            int thr = threads != null ? threads : Runtime.getRuntime().availableProcessors();
            MultipleChoice.Result student = score(backend, model, subjects, thr);
            MultipleChoice.Result t = teacher != null ? score(teacherBackend, teacher, subjects, thr) : null;
            MultipleChoice.Subject first = subjects.get(0);
            System.out.printf(Locale.ROOT, "data: %s, %d subjects; prompt: MMLU's (subject line, %d solved examples%s, question, \"Answer:\"),"
                    + " options scored by the log-likelihood of \" A\"..\" D\"%n", data, subjects.size(), shots,
                    shots > 0 ? " from " + first.examplesFrom() + (subjects.size() > 1 ? " and alike" : "") : "");
            System.out.printf(Locale.ROOT, "%-40s %9s %9s%s%n", "subject", "questions", "accuracy", t != null ? "   teacher     keeps" : "");
            Map<String, Object> subj = new LinkedHashMap<>();
            double macro = 0, macroT = 0;
            for (var e : student.perSubject().entrySet()) {
                int[] a = e.getValue();
                double acc = (double) a[0] / a[1];
                macro += acc;
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("questions", a[1]);
                row.put("accuracy", acc);
                String tail = "";
                if (t != null) {
                    int[] b = t.perSubject().get(e.getKey());
                    double accT = (double) b[0] / b[1];
                    macroT += accT;
                    row.put("teacher_accuracy", accT);
                    tail = String.format(Locale.ROOT, " %8.1f%% %8s", 100 * accT, keeps(acc, accT));
                }
                subj.put(e.getKey(), row);
                System.out.printf(Locale.ROOT, "%-40s %9d %8.1f%%%s%n", e.getKey(), a[1], 100 * acc, tail);
            }
            int n = student.perSubject().size();
            System.out.printf(Locale.ROOT, "%-40s %9d %8.1f%%%s%n", "overall (all questions)", student.total(), 100 * student.accuracy(),
                    t != null ? String.format(Locale.ROOT, " %8.1f%% %8s", 100 * t.accuracy(), keeps(student.accuracy(), t.accuracy())) : "");
            System.out.printf(Locale.ROOT, "%-40s %9s %8.1f%%%s%n", "mean over subjects", "", 100 * macro / n,
                    t != null ? String.format(Locale.ROOT, " %8.1f%% %8s", 100 * macroT / n, keeps(macro, macroT)) : "");
            if (t != null)
                System.out.printf(Locale.ROOT, "student keeps %s of the teacher's accuracy%n", keeps(student.accuracy(), t.accuracy()));
            if (json != null) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("command", "mc");
                j.put("model", model.toString());
                j.put("data", data.toString());
                j.put("shots", shots);
                j.put("prompt", "mmlu");
                j.put("accuracy", student.accuracy());
                j.put("accuracy_macro", macro / n);
                j.put("questions", student.total());
                if (t != null) {
                    j.put("teacher", teacher.toString());
                    j.put("teacher_accuracy", t.accuracy());
                    j.put("student_keeps_accuracy", t.accuracy() > 0 ? student.accuracy() / t.accuracy() : null);
                }
                j.put("subjects", subj);
                EvalJson.write(json, j);
                System.out.println("json: " + json);
            }
            return 0;
        }

        private MultipleChoice.Result score(String be, Path file, List<MultipleChoice.Subject> subjects, int thr) {
            Progress[] bar = new Progress[1];
            try (Model m = load(be, file, thr); Session s = m.newSession(new SessionOptions(thr, ctx, SessionOptions.DEFAULT_BATCH))) {
                MultipleChoice.Result r = MultipleChoice.run(m, s, subjects, bar("mc " + file.getFileName(), bar));
                if (bar[0] != null) bar[0].done();
                return r;
            }
        }

        private static String keeps(double student, double teacher) {
            return teacher > 0 ? String.format(Locale.ROOT, "%.1f%%", 100 * student / teacher) : "n/a";
        }
    }

    static double d(Map<String, Object> m, String k) { return ((Number) m.get(k)).doubleValue(); }

    /** llama-perplexity's final report, in its order, plus the distillation lines. */
    static String report(Map<String, Object> m) {
        StringBuilder sb = new StringBuilder();
        java.util.function.BiConsumer<String, Object[]> f = (fmt, args) -> sb.append(String.format(Locale.ROOT, fmt, args));
        f.accept("%n====== Perplexity (%d positions) ======%n", new Object[] {m.get("positions")});
        f.accept("PPL(student)            : %12.6f ± %10.6f%n", new Object[] {m.get("ppl"), m.get("ppl_err")});
        f.accept("PPL(teacher)            : %12.6f ± %10.6f%n", new Object[] {m.get("ppl_teacher"), m.get("ppl_teacher_err")});
        f.accept("ln(PPL(s)/PPL(t))       : %12.6f ± %10.6f%n", new Object[] {m.get("ln_ppl_ratio"), m.get("ln_ppl_ratio_err")});
        f.accept("ΔPPL = PPL(s) - PPL(t)  : %12.6f ± %10.6f%n", new Object[] {m.get("delta_ppl"), m.get("delta_ppl_err")});
        f.accept("%n====== KL(teacher ‖ student) ======%n", new Object[0]);
        f.accept("mean   : %10.6f ± %10.6f%n", new Object[] {m.get("kl_mean"), m.get("kl_mean_err")});
        f.accept("median : %10.6f%np90    : %10.6f%np99    : %10.6f%nmax    : %10.6f%n",
                new Object[] {m.get("kl_median"), m.get("kl_p90"), m.get("kl_p99"), m.get("kl_max")});
        f.accept("%n====== Token probability ======%n", new Object[0]);
        f.accept("RMS Δp          : %6.3f ± %5.3f %%%n", new Object[] {100 * d(m, "dp_rms"), 100 * d(m, "dp_rms_err")});
        f.accept("top-1 agreement : %6.3f ± %5.3f %%%n", new Object[] {100 * d(m, "top1_agreement"), 100 * d(m, "top1_agreement_err")});
        if (m.containsKey("logit_step_cosine_mean"))
            f.accept("step-to-step logit cosine: mean %.4f, %.1f%% of steps deviate by more than %.2f%n",
                    new Object[] {m.get("logit_step_cosine_mean"), 100 * d(m, "logit_step_cosine_deviating"), m.get("logit_step_cosine_bar")});
        f.accept("%nstudent keeps %.1f%% of the teacher's perplexity (PPL(t)/PPL(s)) and picks its top token %.1f%% of the time%n",
                new Object[] {100 * d(m, "ppl_teacher") / d(m, "ppl"), 100 * d(m, "top1_agreement")});
        return sb.toString();
    }
}

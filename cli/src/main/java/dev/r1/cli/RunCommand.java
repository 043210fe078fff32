package dev.r1.cli;

import dev.r1.engine.Engines;
import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.generate.Generator;
import dev.r1.engine.generate.StopReason;
import dev.r1.engine.sampling.SamplerOptions;
import dev.r1.models.ModelException;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.tokenizer.BpeTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Chat with a model, or answer one prompt for a script.", "",
                "Interactive (stdin and stdout a terminal, no prompt given): line editing and history, paste of",
                "several lines, streaming output, the reasoning (<think>...</think>) dimmed / hidden / shown.",
                "Commands: /set, /show, /save, /load, /reset, /help, /bye; Ctrl-C stops the answer, Ctrl-D exits.", "",
                "One-shot: the prompt from PROMPT, -p TEXT, -f FILE (- = stdin) or a piped stdin; the answer on",
                "stdout, stats on stderr (--json: prompt, reasoning, answer, token counts and timings as JSON).", "",
                "Examples:",
                "  r1 run model.gguf",
                "  r1 run model.gguf 'What is 17*23?' -n 512",
                "  echo 'What is 17*23?' | r1 run model.gguf --json",
                "  r1 run model.gguf --raw -p 'Once upon a time' --temp 0 -n 32"})
final class RunCommand implements Callable<Integer> {

    enum Think { dim, hide, show }

    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF model file")
    Path model;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "PROMPT", description = "the prompt (words are joined by spaces)")
    List<String> words = new ArrayList<>();

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "answer this prompt and exit; - reads it from stdin")
    String prompt;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "answer the prompt in FILE and exit; - is stdin")
    String file;

    @Option(names = "--json", description = "one-shot: print one JSON object (prompt, reasoning, answer, tokens, timings)")
    boolean json;

    @Option(names = {"-s", "--system"}, description = "system prompt")
    String system;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "2048", description = "most tokens per answer (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temp", defaultValue = "0.6", description = "temperature, 0 = greedy (default: ${DEFAULT-VALUE}, DeepSeek's recommendation)")
    float temp;

    @Option(names = "--top-k", defaultValue = "0", description = "top-k, 0 = off (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", description = "top-p, 1 = off (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", defaultValue = "0", description = "min-p, 0 = off (default: ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--repeat-penalty", defaultValue = "1", description = "repetition penalty, 1 = off (default: ${DEFAULT-VALUE})")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", defaultValue = "64", description = "tokens the penalties look back over (default: ${DEFAULT-VALUE})")
    int repeatLastN;

    @Option(names = "--presence-penalty", defaultValue = "0", description = "subtracted once per seen token, 0 = off (default: ${DEFAULT-VALUE})")
    float presencePenalty;

    @Option(names = "--frequency-penalty", defaultValue = "0", description = "subtracted per occurrence, 0 = off (default: ${DEFAULT-VALUE})")
    float frequencyPenalty;

    @Option(names = "--logit-bias", paramLabel = "ID(+|-)BIAS", description = "add BIAS to token ID's logit, e.g. 15043+1 or 15043-inf (repeatable)")
    List<String> logitBias = new ArrayList<>();

    @Option(names = "--seed", description = "random seed (default: random)")
    Long seed;

    @Option(names = {"-t", "--threads"}, description = "CPU threads (default: all cores)")
    Integer threads;

    @Option(names = {"-c", "--ctx"}, defaultValue = "0", description = "context size in tokens (default: 4096, capped at the model's)")
    int ctx;

    @Option(names = "--backend", defaultValue = "auto", description = {"auto, java, llama.cpp or cuda (default: ${DEFAULT-VALUE}:",
            "java when its kernels for every tensor type of the file run at llama.cpp's speed, else llama.cpp)"})
    String backend;

    @Option(names = "--think", defaultValue = "dim", description = "reasoning display: dim, hide or show (default: ${DEFAULT-VALUE})")
    Think think;

    @Option(names = "--raw", description = "continue the prompt text as given (no chat template), print only the continuation")
    boolean raw;

    @Option(names = "--stop", description = "stop string (repeatable)")
    List<String> stop = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        if (!Files.exists(model)) throw new ModelException(model + ": no such model file");
        model = HfImport.gguf(model); // an HF directory runs from its weights as stored, imported once
        if (!Files.isRegularFile(model)) throw new ModelException(model + ": no such model file");
        String input = oneShotInput();
        if (input != null && input.isBlank()) throw new IllegalArgumentException("the prompt is empty; give the question to answer");
        if (input == null) {
            if (raw) throw new IllegalArgumentException("--raw needs a prompt (PROMPT, -p or -f)");
            if (json) throw new IllegalArgumentException("--json needs a prompt (PROMPT, -p, -f or stdin)");
        }
        // auto says so only when it leaves our engine (the default) for llama.cpp
        Engines.Choice choice = Engines.resolve(backend, model);
        if (choice.why() != null && !choice.backend().equals("java")) System.err.println("r1: backend " + choice.backend() + ": " + choice.why());
        backend = choice.backend();
        BpeTokenizer tok = new BpeTokenizer(Tokenizers.load(model));
        Map<Integer, Float> bias = parseLogitBias(logitBias);
        for (int id : bias.keySet())
            if (id >= tok.vocabSize())
                throw new IllegalArgumentException("--logit-bias: token " + id + " is not in this model's vocabulary (ids 0.."
                        + (tok.vocabSize() - 1) + "); 'r1 tokenize MODEL TEXT' shows the ids");
        SamplerOptions so = new SamplerOptions(temp, topK, topP, minP, repeatPenalty, repeatLastN,
                seed != null ? seed : System.nanoTime(), presencePenalty, frequencyPenalty, bias);
        SessionOptions opts = new SessionOptions(threads(threads), contextSize(), SessionOptions.DEFAULT_BATCH);
        Session s;
        try (var loading = Progress.loading(model)) {
            s = Engines.open(Engines.canonical(backend), model, opts);
        }
        try (s) {
            Chat chat = new Chat(s, tok, so, system);
            return input != null ? oneShot(chat, input) : interactive(chat);
        }
    }

    /** Threads as asked, clamped (with a note) to the cores this process may use: more only slows everything down. */
    static int threads(Integer asked) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (asked == null) return cores;
        if (asked < 1) throw new IllegalArgumentException("-t/--threads must be at least 1, got " + asked);
        if (asked > cores) {
            System.err.printf("note: -t %d is more than the %d cores available; using %d%n", asked, cores, cores);
            return cores;
        }
        return asked;
    }

    /** -c as asked, capped (with a note) at the context the model was trained for. */
    private int contextSize() {
        if (ctx < 0) throw new IllegalArgumentException("-c/--ctx must be >= 0 (0 = default), got " + ctx);
        if (ctx == 0) return 0;
        int max;
        try (GgufFile f = GgufFile.open(model)) {
            max = ModelConfig.fromGguf(f).contextLength();
        }
        if (max > 0 && ctx > max) {
            System.err.printf("note: -c %d is more than this model's context of %d tokens; using %d%n", ctx, max, max);
            return max;
        }
        return ctx;
    }

    static Map<Integer, Float> parseLogitBias(List<String> specs) {
        Map<Integer, Float> m = new LinkedHashMap<>();
        for (String spec : specs) {
            var mt = java.util.regex.Pattern.compile("(\\d+)\\s*(?:=\\s*)?([+-]?(?:inf|\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?)")
                    .matcher(spec.strip().toLowerCase(Locale.ROOT));
            if (!mt.matches())
                throw new IllegalArgumentException("--logit-bias '" + spec + "': expected TOKEN_ID followed by +BIAS or -BIAS, e.g. 15043+1 or 15043-inf");
            String v = mt.group(2);
            float bias = v.endsWith("inf") ? (v.startsWith("-") ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY) : Float.parseFloat(v);
            if (bias == Float.POSITIVE_INFINITY) throw new IllegalArgumentException("--logit-bias '" + spec + "': +inf is not a bias; use a large finite number");
            m.put(Integer.parseInt(mt.group(1)), bias);
        }
        return m;
    }

    /** The one-shot prompt (PROMPT, -p, -f or a piped stdin), or null for the interactive chat. */
    private String oneShotInput() {
        int given = (prompt != null ? 1 : 0) + (file != null ? 1 : 0) + (words.isEmpty() ? 0 : 1);
        if (given > 1) throw new IllegalArgumentException("give the prompt one way: PROMPT, -p TEXT or -f FILE");
        if (prompt != null) return prompt.equals("-") ? readStdin() : prompt;
        if (file != null) {
            if (file.equals("-")) return readStdin();
            Path p = Path.of(file);
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException(file + ": no such prompt file (-f)");
            try {
                return Files.readString(p, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": cannot read the prompt file: " + e.getMessage(), e);
            }
        }
        if (!words.isEmpty()) return String.join(" ", words);
        if (Tty.interactive()) return null;
        if (Tty.stdinIsTerminal())
            throw new IllegalArgumentException("standard output is not a terminal, so there is no chat: give the prompt"
                    + " (r1 run MODEL 'question', -p or -f) for a one-shot answer");
        return readStdin();
    }

    private static String readStdin() {
        try {
            String s = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
            if (s.isBlank()) throw new IllegalArgumentException("standard input is empty: give a prompt (PROMPT, -p or -f)");
            return s.strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read standard input: " + e.getMessage(), e);
        }
    }

    private int oneShot(Chat chat, String input) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        boolean tty = Tty.interactive();
        // Scripts read stdout: reasoning goes there only when asked (--think show) or dimmed on a terminal.
        Think mode = json || think == Think.dim && !tty ? Think.hide : think;
        ThinkSink sink = new ThinkSink(out, mode, tty && Tty.color());
        Chat.Turn t;
        try {
            t = raw ? chat.continueRaw(input, maxTokens, stop, json ? (x, y) -> {} : sink, () -> false)
                    : chat.respond(input, maxTokens, stop, json ? (x, y) -> {} : sink, () -> false);
        } catch (Chat.ContextFullException e) {
            throw new IllegalArgumentException("the prompt does not fit: " + e.getMessage().replace("/reset to start over, or run", "run"));
        }
        if (json) {
            out.println(RunJson.of(model, Engines.canonical(backend), input, t));
        } else {
            out.println();
            System.err.println(stats(t));
        }
        if (t.result().endedInThink()) {
            System.err.printf("note: generation stopped inside the reasoning (%s), before any answer; raise -n%s%n",
                    t.result().reason() == StopReason.MAX_TOKENS ? "all -n " + maxTokens + " tokens used"
                            : t.result().reason().name().toLowerCase(Locale.ROOT).replace('_', ' '),
                    mode == Think.show || json ? "" : ", or see the reasoning with --think show");
        }
        return 0;
    }

    private int interactive(Chat chat) throws IOException {
        Terminal term = TerminalBuilder.builder().system(true).build();
        Path hist = BenchCommand.cacheDir().resolve("history");
        try {
            Files.createDirectories(hist.getParent());
        } catch (IOException e) {
            hist = null; // history is a convenience; chat works without it
        }
        LineReaderBuilder b = LineReaderBuilder.builder().terminal(term).appName("r1");
        if (hist != null) b.variable(LineReader.HISTORY_FILE, hist);
        LineReader reader = b.build();
        PrintWriter out = term.writer();
        AtomicBoolean cancel = new AtomicBoolean();
        term.handle(Terminal.Signal.INT, sig -> cancel.set(true));
        boolean color = Tty.color();
        out.printf("r1: %s on %s, context %d tokens. /help for commands, Ctrl-D to exit.%n", model.getFileName(),
                Engines.canonical(backend), chat.contextSize());
        out.flush();
        ChatCommands commands = new ChatCommands(chat, this, out);
        // the JIT compiles the engine's code while the user types the first prompt, not during its answer;
        // stopped (within one call) when a prompt comes or the chat ends
        Thread warmUp = Thread.ofPlatform().daemon().name("r1-warm-up").start(() -> {
            try {
                chat.session().model().warmUp();
            } catch (RuntimeException e) {
                // best effort: the first answer then compiles what is left
            }
        });
        try {
            return chatLoop(chat, reader, out, term, cancel, color, commands, warmUp);
        } finally {
            stop(warmUp);
            term.close();
        }
    }

    private static void stop(Thread warmUp) {
        warmUp.interrupt();
        try {
            warmUp.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int chatLoop(Chat chat, LineReader reader, PrintWriter out, Terminal term, AtomicBoolean cancel, boolean color,
                         ChatCommands commands, Thread warmUp) throws IOException {
        while (true) {
            String line;
            try {
                line = reader.readLine(">>> ");
            } catch (UserInterruptException e) {
                out.println("(Ctrl-D or /bye to quit)");
                continue;
            } catch (EndOfFileException e) {
                out.println();
                break;
            }
            String cmd = line.strip();
            if (cmd.isEmpty()) continue;
            if (cmd.startsWith("/")) {
                if (cmd.startsWith("/load")) stop(warmUp); // a saved chat's turns are prefilled at once
                if (commands.handle(cmd) == ChatCommands.Outcome.EXIT) break;
                out.flush();
                continue;
            }
            cancel.set(false);
            stop(warmUp);
            try {
                Think mode = think == Think.dim && !color ? Think.show : think;
                Chat.Turn t = chat.respond(line, maxTokens, stop, new ThinkSink(out, mode, color), cancel::get);
                out.println();
                if (t.result().reason() == StopReason.CANCELLED) out.println("(stopped)");
                if (t.result().reason() == StopReason.CONTEXT_FULL)
                    out.println("(the context is full: /reset to start over, or restart with a larger --ctx)");
                if (t.result().endedInThink() && t.result().reason() == StopReason.MAX_TOKENS)
                    out.println("(stopped inside the reasoning: -n " + maxTokens + " tokens used up; /set max-tokens N for more)");
                out.println(ThinkSink.ansi("2", stats(t), color));
            } catch (Chat.ContextFullException e) {
                out.println(e.getMessage());
            }
            out.flush();
        }
        return 0;
    }

    static String stats(Chat.Turn t) {
        var r = t.result();
        return String.format(Locale.ROOT, "[prompt %d tokens (%d new, %.1f tok/s) | %d tokens, %.1f tok/s | %s]",
                t.promptTokens(), t.prefilledTokens(), t.prefillSeconds() > 0 ? t.prefilledTokens() / t.prefillSeconds() : 0,
                r.tokens().length, r.tokensPerSecond(), r.reason().name().toLowerCase(Locale.ROOT).replace('_', ' '));
    }

    /**
     * Streams a reply, reasoning and answer apart: dimmed (ANSI) on a color terminal, hidden, or shown
     * between "Thinking..." and "...done thinking." lines (as ollama does) so they never run together.
     */
    static final class ThinkSink implements Generator.TextSink {
        private final PrintWriter out;
        private final Think mode;
        private final boolean color;
        private boolean inThink, thought, answerStarted;

        ThinkSink(PrintWriter out, Think mode, boolean color) {
            this.out = out;
            this.mode = mode == Think.dim && !color ? Think.show : mode;
            this.color = color;
        }

        @Override
        public void text(String text, boolean thinking) {
            if (thinking) {
                thought = true;
                if (mode == Think.hide) return;
                if (mode == Think.show && !inThink) out.print("Thinking...\n");
                inThink = true;
                out.print(mode == Think.dim ? ansi("2", text, true) : text);
            } else {
                if (mode == Think.dim) {
                    out.print(text);
                } else {
                    if (inThink && mode == Think.show) out.print("\n...done thinking.\n\n");
                    inThink = false;
                    // The answer after </think> starts with blank lines; our own separator replaces them.
                    if (!answerStarted && thought) text = text.stripLeading();
                    if (text.isEmpty()) return;
                    answerStarted = true;
                    out.print(text);
                }
            }
            out.flush();
        }

        static String ansi(String code, String s, boolean on) {
            return on ? "\033[" + code + "m" + s + "\033[0m" : s;
        }
    }
}

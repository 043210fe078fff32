package dev.r1.cli;

import dev.r1.engine.Session;
import dev.r1.engine.SessionOptions;
import dev.r1.engine.generate.Generator;
import dev.r1.engine.generate.StopReason;
import dev.r1.engine.sampling.SamplerOptions;
import dev.r1.models.ModelException;
import dev.r1.models.tokenizer.BpeTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
                "Interactive: line editing and history, paste of several lines, streaming output, the",
                "reasoning (<think>...</think>) dimmed / hidden / shown. Commands: /reset, /help; Ctrl-C stops",
                "the current answer, Ctrl-D exits.", "",
                "One-shot (-p): the answer on stdout, stats on stderr, exit code 0.", "",
                "Examples:",
                "  r1 run model.gguf",
                "  r1 run model.gguf -p 'What is 17*23?' -n 512",
                "  r1 run model.gguf --raw -p 'Once upon a time' --temp 0 -n 32"})
final class RunCommand implements Callable<Integer> {

    enum Think { dim, hide, show }

    @Parameters(paramLabel = "MODEL", description = "GGUF model file")
    Path model;

    @Option(names = {"-p", "--prompt"}, description = "answer this prompt and exit (no interactive chat)")
    String prompt;

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

    @Option(names = "--seed", description = "random seed (default: random)")
    Long seed;

    @Option(names = {"-t", "--threads"}, description = "CPU threads (default: all cores)")
    Integer threads;

    @Option(names = {"-c", "--ctx"}, defaultValue = "0", description = "context size in tokens (default: 4096, capped at the model's)")
    int ctx;

    @Option(names = "--backend", defaultValue = "java", description = "java or llama.cpp (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--think", defaultValue = "dim", description = "reasoning display: dim, hide or show (default: ${DEFAULT-VALUE})")
    Think think;

    @Option(names = "--raw", description = "continue the prompt text as given (no chat template), print only the continuation")
    boolean raw;

    @Option(names = "--stop", description = "stop string (repeatable)")
    List<String> stop = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(model)) throw new ModelException(model + ": no such model file");
        if (raw && prompt == null) throw new IllegalArgumentException("--raw needs -p/--prompt");
        BpeTokenizer tok = new BpeTokenizer(Tokenizers.load(model));
        SamplerOptions so = new SamplerOptions(temp, topK, topP, minP, repeatPenalty, 64,
                seed != null ? seed : System.nanoTime());
        SessionOptions opts = new SessionOptions(threads != null ? threads : Runtime.getRuntime().availableProcessors(),
                ctx, SessionOptions.DEFAULT_BATCH);
        try (Session s = Backends.open(Backends.canonical(backend), model, opts)) {
            Chat chat = new Chat(s, tok, so, system);
            return prompt != null ? oneShot(chat) : interactive(chat);
        }
    }

    private int oneShot(Chat chat) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        boolean tty = System.console() != null;
        // Scripts read stdout: reasoning goes there only when asked (--think show) or dimmed on a terminal.
        Think mode = think == Think.dim && !tty ? Think.hide : think;
        Generator.TextSink sink = sink(out, mode, tty);
        Chat.Turn t;
        try {
            t = raw ? chat.continueRaw(prompt, maxTokens, stop, sink, () -> false)
                    : chat.respond(prompt, maxTokens, stop, sink, () -> false);
        } catch (Chat.ContextFullException e) {
            throw new IllegalArgumentException("the prompt does not fit: " + e.getMessage().replace("/reset to start over, or run", "run"));
        }
        out.println();
        System.err.println(stats(t));
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
        out.printf("r1: %s on %s, context %d tokens. /help for commands, Ctrl-D to exit.%n", model.getFileName(),
                Backends.canonical(backend), chat.contextSize());
        out.flush();
        while (true) {
            String line;
            try {
                line = reader.readLine(">>> ");
            } catch (UserInterruptException e) {
                out.println("(Ctrl-D or /exit to quit)");
                continue;
            } catch (EndOfFileException e) {
                out.println();
                break;
            }
            String cmd = line.strip();
            if (cmd.isEmpty()) continue;
            if (cmd.equals("/exit") || cmd.equals("/quit") || cmd.equals("/bye")) break;
            if (cmd.equals("/help")) {
                out.println("/reset  forget the conversation (and free the context)\n/exit   quit (or Ctrl-D)\n"
                        + "Ctrl-C  stop the current answer\nPaste of several lines is taken as one message.");
                continue;
            }
            if (cmd.equals("/reset")) {
                chat.reset();
                out.println("(conversation reset)");
                continue;
            }
            if (cmd.startsWith("/")) {
                out.println("unknown command " + cmd + "; /help lists them");
                continue;
            }
            cancel.set(false);
            try {
                Chat.Turn t = chat.respond(line, maxTokens, stop, sink(out, think, true), cancel::get);
                out.println();
                if (t.result().reason() == StopReason.CANCELLED) out.println("(stopped)");
                if (t.result().reason() == StopReason.CONTEXT_FULL)
                    out.println("(the context is full: /reset to start over, or restart with a larger --ctx)");
                out.println(ansi("2", stats(t), true));
            } catch (Chat.ContextFullException e) {
                out.println(e.getMessage());
            }
            out.flush();
        }
        term.close();
        return 0;
    }

    private static Generator.TextSink sink(PrintWriter out, Think mode, boolean color) {
        return (text, thinking) -> {
            if (thinking && mode == Think.hide) return;
            if (thinking && mode == Think.dim && color) {
                out.print(ansi("2", text, true));
            } else {
                out.print(text);
            }
            out.flush();
        };
    }

    private static String ansi(String code, String s, boolean on) {
        return on ? "\033[" + code + "m" + s + "\033[0m" : s;
    }

    static String stats(Chat.Turn t) {
        var r = t.result();
        return String.format(Locale.ROOT, "[prompt %d tokens (%d new, %.1f tok/s) | %d tokens, %.1f tok/s | %s]",
                t.promptTokens(), t.prefilledTokens(), t.prefillSeconds() > 0 ? t.prefilledTokens() / t.prefillSeconds() : 0,
                r.tokens().length, r.tokensPerSecond(), r.reason().name().toLowerCase(Locale.ROOT).replace('_', ' '));
    }
}

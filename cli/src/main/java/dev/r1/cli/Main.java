package dev.r1.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code r1} command. Subcommands are thin shells over models/engine/quantize. */
@Command(name = "r1",
        mixinStandardHelpOptions = true,
        version = "r1 0.1.0",
        description = {"Run, quantize and benchmark the DeepSeek-R1 distilled models from the JVM.", ""},
        subcommands = {InfoCommand.class, SynthCommand.class, TokenizeCommand.class, QuantizeCommand.class, BenchCommand.class,
                RunCommand.class, ServeCommand.class, EvalCommand.class, ImatrixCommand.class, ListCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--llama-lib", paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
            description = "folder with libllama/libggml (default: $R1_LLAMA_LIB, else the fetched copy in .deps/llama)")
    void llamaLib(java.nio.file.Path dir) {
        dev.r1.bindings.NativeLibraries.setLlamaLibDir(dir);
    }

    @CommandLine.Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "show stack traces of errors and llama.cpp's warnings and errors")
    void verbose(boolean v) {
        Logs.verbose(v);
    }

    @CommandLine.Option(names = "--no-color", scope = CommandLine.ScopeType.INHERIT,
            description = "no ANSI colors or dimming (also NO_COLOR=1 or TERM=dumb)")
    void noColor(boolean v) {
        Tty.noColorFlag = v;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static CommandLine commandLine() {
        Tty.noColorFlag = false;
        Logs.verbose(System.getenv("R1_VERBOSE") != null);
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setParameterExceptionHandler(new ErrorHandler.BadArguments());
        cl.setUsageHelpWidth(110); // descriptions are written as lines of up to ~105 characters
        if (!Tty.color()) cl.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        return cl;
    }

    public static void main(String[] args) {
        Stderr.restoreFromLauncher();
        int code;
        try {
            CommandLine cl = commandLine();
            if (java.util.Arrays.asList(args).contains("--no-color"))
                cl.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
            code = cl.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli hands only Exceptions to the error handler; the heap running out is the user's to fix
            System.err.println(outOfMemory(Runtime.getRuntime().maxMemory()));
            code = 1;
        }
        System.exit(code);
    }

    /** One line for a full Java heap: how big it was and how to give it more. */
    static String outOfMemory(long maxHeap) {
        return String.format(java.util.Locale.ROOT, "error: out of memory: the Java heap (at most %s) is full; give it more"
                + " with R1_JAVA_OPTS=-Xmx<N>g (e.g. -Xmx%dg), or use a smaller --ctx or model", Format.bytes(maxHeap),
                Math.max(2, 2 * (int) Math.ceil(maxHeap / (double) (1L << 30))));
    }
}

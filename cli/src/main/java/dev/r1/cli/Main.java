package dev.r1.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code r1} command. Subcommands are thin shells over models/engine/quantize. */
@Command(name = "r1",
        mixinStandardHelpOptions = true,
        version = "r1 0.1.0",
        description = {"Run, quantize and benchmark the DeepSeek-R1 distilled models from the JVM.", ""},
        subcommands = {InfoCommand.class, SynthCommand.class, TokenizeCommand.class, QuantizeCommand.class, BenchCommand.class, RunCommand.class, EvalCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--llama-lib", paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
            description = "folder with libllama/libggml (default: $R1_LLAMA_LIB, else the fetched copy in .deps/llama)")
    void llamaLib(java.nio.file.Path dir) {
        dev.r1.bindings.NativeLibraries.setLlamaLibDir(dir);
    }

    @CommandLine.Option(names = {"-v", "--verbose"}, scope = CommandLine.ScopeType.INHERIT,
            description = "show stack traces of errors")
    boolean verbose;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setUsageHelpWidth(110); // descriptions are written as lines of up to ~105 characters
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}

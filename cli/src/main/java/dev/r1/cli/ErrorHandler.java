package dev.r1.cli;

import picocli.CommandLine;

/**
 * Prints a user-facing error as one line (no stack trace) unless {@code --verbose} / R1_VERBOSE is set:
 * every module throws exceptions whose message already says what to do.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult pr) {
        boolean verbose = System.getenv("R1_VERBOSE") != null
                || pr.expandedArgs().contains("--verbose") || pr.expandedArgs().contains("-v");
        String msg = ex.getMessage() != null ? ex.getMessage() : ex.toString();
        cl.getErr().println(cl.getColorScheme().errorText("error: ") + msg);
        if (verbose) ex.printStackTrace(cl.getErr());
        return 1;
    }
}

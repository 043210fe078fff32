package dev.r1.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Prints a user-facing error as one line (no stack trace) unless {@code --verbose} / R1_VERBOSE is set:
 * every module throws exceptions whose message already says what to do. Java class names and parser
 * internals (Jackson's "at [Source: ...]") are turned into words or dropped.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult pr) {
        boolean verbose = Logs.verbose || System.getenv("R1_VERBOSE") != null
                || pr.expandedArgs().contains("--verbose") || pr.expandedArgs().contains("-v");
        cl.getErr().println(prefix(cl) + plain(ex));
        if (verbose) ex.printStackTrace(cl.getErr());
        cl.getErr().flush();
        return 1;
    }

    private static String prefix(CommandLine cl) {
        return Tty.color() ? cl.getColorScheme().errorText("error: ").toString() : "error: ";
    }

    private static final Pattern CLASS = Pattern.compile("\\b(?:java|javax|sun|jdk|com\\.fasterxml)(?:\\.\\w+)*\\.(\\w+(?:Exception|Error))(?:: ?)?");

    /** The message of {@code ex} in plain words: no class names, no parser location lines. */
    static String plain(Throwable ex) {
        String msg = ex.getMessage();
        if (msg == null || msg.isBlank()) {
            Throwable c = ex.getCause();
            msg = c != null && c.getMessage() != null ? c.getMessage() : words(ex.getClass().getSimpleName());
        }
        if (ex instanceof java.nio.file.FileSystemException fse && fse.getFile() != null && msg.equals(fse.getFile()))
            msg = fse.getFile() + ": " + words(ex.getClass().getSimpleName());
        // Jackson appends " at [Source: ...; line: 1, column: 2]" on its own line.
        msg = msg.replaceAll("\\R\\s*at \\[Source: [^\\n]*", "");
        Matcher m = CLASS.matcher(msg);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String w = words(m.group(1));
            m.appendReplacement(sb, Matcher.quoteReplacement(w.isEmpty() ? "" : w + ": "));
        }
        m.appendTail(sb);
        return sb.toString().strip();
    }

    /** A few exception types as the words a user needs; others say nothing beyond their message. */
    private static String words(String simpleName) {
        return switch (simpleName) {
            case "AccessDeniedException" -> "permission denied";
            case "NoSuchFileException" -> "no such file or directory";
            case "FileAlreadyExistsException" -> "already exists";
            case "DirectoryNotEmptyException" -> "folder not empty";
            case "NotDirectoryException" -> "not a folder";
            default -> ""; // IOException, IllegalArgumentException, JsonParseException...: the message says it
        };
    }

    /** A mistake on the command line: one line naming it and where the help is (not the whole usage). */
    static final class BadArguments implements CommandLine.IParameterExceptionHandler {
        @Override
        public int handleParseException(CommandLine.ParameterException ex, String[] args) {
            CommandLine cl = ex.getCommandLine();
            String msg = ex.getMessage();
            if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty())
                msg += " (did you mean " + String.join(" or ", u.getSuggestions().subList(0, Math.min(3, u.getSuggestions().size()))) + "?)";
            String name = cl.getCommandSpec().qualifiedName();
            cl.getErr().println(prefix(cl) + plain(new IllegalArgumentException(msg)) + "; see '" + name + " --help'");
            cl.getErr().flush();
            return 2;
        }
    }
}

package dev.r1.cli;

import dev.r1.engine.Engines;
import com.fasterxml.jackson.databind.JsonNode;
import dev.r1.engine.sampling.SamplerOptions;
import dev.r1.models.io.OutputFiles;
import dev.r1.models.template.ChatMessage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The interactive chat's slash commands, as ollama users know them: /set, /show, /save, /load, /reset,
 * /help, /bye. A mistake prints one line and the chat goes on.
 */
final class ChatCommands {
    enum Outcome { HANDLED, EXIT }

    static final String HELP = """
            /set temperature N     sampling temperature (0 = greedy)
            /set top-p N           nucleus sampling (1 = off)
            /set system TEXT       system prompt (/set system with no text: none)
            /set think dim|hide|show   how the reasoning is shown
            /set max-tokens N      most tokens per answer
            /show                  model, backend, parameters, context used
            /save FILE             write the conversation as JSON
            /load FILE             continue a saved conversation
            /reset  forget the conversation (and free the context)
            /bye    quit (also /exit, Ctrl-D)
            Ctrl-C  stop the current answer
            Paste of several lines is taken as one message.""";

    private final Chat chat;
    private final RunCommand run;
    private final PrintWriter out;

    ChatCommands(Chat chat, RunCommand run, PrintWriter out) {
        this.chat = chat;
        this.run = run;
        this.out = out;
    }

    Outcome handle(String line) {
        String[] w = line.strip().split("\\s+", 3);
        String cmd = w[0].toLowerCase(Locale.ROOT);
        try {
            switch (cmd) {
                case "/bye", "/exit", "/quit" -> { return Outcome.EXIT; }
                case "/help", "/?" -> out.println(HELP);
                case "/reset", "/clear" -> {
                    chat.reset();
                    out.println("(conversation reset)");
                }
                case "/set" -> set(w.length > 1 ? w[1].toLowerCase(Locale.ROOT) : "", w.length > 2 ? w[2] : "");
                case "/show" -> show();
                case "/save" -> save(arg(w, "/save FILE"));
                case "/load" -> load(arg(w, "/load FILE"));
                default -> out.println("unknown command " + w[0] + "; /help lists them");
            }
        } catch (IllegalArgumentException e) {
            out.println(e.getMessage());
        }
        return Outcome.HANDLED;
    }

    private static String arg(String[] w, String usage) {
        if (w.length < 2) throw new IllegalArgumentException("usage: " + usage);
        return w.length > 2 ? w[1] + " " + w[2] : w[1];
    }

    private void set(String what, String value) {
        SamplerOptions o = chat.samplerOptions();
        switch (what) {
            case "temperature", "temp" -> {
                chat.setSamplerOptions(o.withTemperature(number(what, value)));
                out.println("(temperature " + value.strip() + ")");
            }
            case "top-p", "top_p" -> {
                chat.setSamplerOptions(o.withTopP(number(what, value)));
                out.println("(top-p " + value.strip() + ")");
            }
            case "system" -> {
                chat.setSystem(value.isBlank() ? null : value);
                out.println(value.isBlank() ? "(no system prompt)" : "(system prompt set)");
            }
            case "think" -> {
                try {
                    run.think = RunCommand.Think.valueOf(value.strip().toLowerCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("/set think takes dim, hide or show");
                }
                out.println("(think " + run.think + ")");
            }
            case "max-tokens", "num_predict" -> {
                float n = number(what, value);
                if (n < 1 || n != Math.rint(n)) throw new IllegalArgumentException("/set max-tokens takes a whole number >= 1");
                run.maxTokens = (int) n;
                out.println("(max-tokens " + run.maxTokens + ")");
            }
            default -> throw new IllegalArgumentException("/set takes temperature, top-p, system, think or max-tokens; /help shows how");
        }
    }

    /** A number for {@code /set what}; the sampler options check its range and say so. */
    private static float number(String what, String value) {
        try {
            return Float.parseFloat(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("/set " + what + " takes a number, got '" + value.strip() + "'");
        }
    }

    private void show() {
        SamplerOptions o = chat.samplerOptions();
        out.printf(Locale.ROOT, "model:       %s on %s%n", run.model, Engines.canonical(run.backend));
        out.printf(Locale.ROOT, "parameters:  temperature %s, top-k %d, top-p %s, min-p %s, repeat penalty %s (last %d),"
                        + " presence %s, frequency %s, max-tokens %d, think %s%n", fmt(o.temperature()), o.topK(), fmt(o.topP()),
                fmt(o.minP()), fmt(o.repeatPenalty()), o.repeatLastN(), fmt(o.presencePenalty()), fmt(o.frequencyPenalty()),
                run.maxTokens, run.think);
        out.printf(Locale.ROOT, "system:      %s%n", chat.system() == null || chat.system().isBlank() ? "(none)" : chat.system());
        out.printf(Locale.ROOT, "context:     %d of %d tokens used, %d messages%n", chat.tokensInContext(), chat.contextSize(),
                chat.messages().size());
    }

    private static String fmt(float f) {
        return f == Math.rint(f) ? String.valueOf((int) f) : String.valueOf(f);
    }

    private void save(String file) {
        Path p = Path.of(file);
        OutputFiles.checkWritable(p, "conversation", true, null);
        List<Map<String, String>> ms = new ArrayList<>();
        for (ChatMessage m : chat.messages()) ms.add(Map.of("role", m.role(), "content", m.content()));
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("model", run.model.toString());
        o.put("messages", ms);
        byte[] bytes = RunJson.write(o).getBytes(StandardCharsets.UTF_8);
        try {
            OutputFiles.writeAtomically(p, os -> os.write(bytes));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot write: " + e.getMessage());
        }
        out.println("(saved " + ms.size() + " messages to " + file + ")");
    }

    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

    private void load(String file) {
        Path p = Path.of(file);
        if (!Files.isRegularFile(p)) throw new IllegalArgumentException(file + ": no such file");
        JsonNode root;
        try {
            root = RunJson.MAPPER.readTree(p.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not a saved conversation (not JSON)");
        }
        JsonNode arr = root == null ? null : root.get("messages");
        if (arr == null || !arr.isArray())
            throw new IllegalArgumentException(file + ": not a saved conversation (no \"messages\" list)");
        List<ChatMessage> ms = new ArrayList<>();
        for (JsonNode m : arr) {
            String role = m.path("role").asText(""), content = m.path("content").asText(null);
            if (!ROLES.contains(role) || content == null)
                throw new IllegalArgumentException(file + ": message " + (ms.size() + 1) + " needs a role (system, user or"
                        + " assistant) and a content");
            ms.add(new ChatMessage(role, content));
        }
        chat.load(ms);
        out.println("(loaded " + ms.size() + " messages from " + file + ")");
    }
}

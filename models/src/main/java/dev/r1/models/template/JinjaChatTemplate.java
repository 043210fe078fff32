package dev.r1.models.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.r1.models.Limits;
import dev.r1.models.ModelException;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.tokenizer.Vocabulary;
import jinjava.javax.el.CompositeELResolver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a model's own chat template ({@code tokenizer.chat_template} in GGUF, {@code chat_template} in
 * tokenizer_config.json) with Jinjava, set up the way Hugging Face renders templates: trim_blocks and
 * lstrip_blocks on, one trailing newline of the template dropped, {@code raise_exception}, and Python's
 * string methods. The variables are {@code messages}, {@code add_generation_prompt}, {@code bos_token}
 * and {@code eos_token}.
 */
public final class JinjaChatTemplate {
    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();
    /** System.nanoTime() by which the current render must end (Limits.TEMPLATE_RENDER_MILLIS). */
    private static final ThreadLocal<long[]> DEADLINE = ThreadLocal.withInitial(() -> new long[1]);
    private static final ObjectMapper JSON = Limits.jsonMapper();
    /** One engine for every template (each render gets its own interpreter); building one costs milliseconds. */
    private static final Jinjava JINJAVA = newJinjava();

    private final String source;
    private final String bosToken;
    private final String eosToken;

    public JinjaChatTemplate(String source, String bosToken, String eosToken) {
        Limits.check("chat template", "source", source.length(), Limits.TEMPLATE_SOURCE_CHARS, "characters");
        checkNesting(source);
        // Jinja (keep_trailing_newline=False) drops one newline at the very end of a template.
        this.source = source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
    }

    /**
     * Refuses templates nested deeper than Limits.TEMPLATE_NESTING before Jinjava parses them: brackets
     * anywhere in the source (prose rarely opens 64 parentheses) and block tags.
     */
    static void checkNesting(String src) {
        int depth = 0, max = 0;
        for (int i = 0; i < src.length(); i++) {
            char c = src.charAt(i);
            if (c == '(' || c == '[') max = Math.max(max, ++depth);
            else if ((c == ')' || c == ']') && depth > 0) depth--;
        }
        Limits.check("chat template", "bracket nesting", max, Limits.TEMPLATE_NESTING, "levels");
        depth = 0;
        max = 0;
        java.util.regex.Matcher m = TAG.matcher(src);
        while (m.find()) {
            if (m.group(1) != null) depth = Math.max(0, depth - 1);
            else max = Math.max(max, ++depth);
        }
        Limits.check("chat template", "block nesting", max, Limits.TEMPLATE_NESTING, "levels");
    }

    /** A block tag that opens (group 1 null) or ends (group 1 "end") a nesting level. */
    private static final java.util.regex.Pattern TAG = java.util.regex.Pattern.compile(
            "\\{%[-+]?\\s*(end)?(?:if|for|macro|call|filter|block|raw|with|autoescape)\\b");

    private static Jinjava newJinjava() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        // Nested interpretation off: message text that looks like template syntax is data, never code.
        // Templates are code from the model file: output, strings and collections are bounded, and every
        // node rendered checks the deadline, so a loop that never ends or renders gigabytes is stopped.
        Jinjava j = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withNestedInterpretationEnabled(false).withElResolver(resolver).withFailOnUnknownTokens(false)
                .withMaxOutputSize(Limits.TEMPLATE_OUTPUT_CHARS).withMaxStringLength(Limits.TEMPLATE_OUTPUT_CHARS)
                .withMaxListSize(Limits.TEMPLATE_COLLECTION_SIZE).withMaxMapSize(Limits.TEMPLATE_COLLECTION_SIZE)
                .withNodePreProcessor((node, interpreter) -> checkDeadline()).build());
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                JinjaChatTemplate.class, "raiseException", String.class));
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "range",
                JinjaChatTemplate.class, "range", Object.class, Object[].class));
        return j;
    }

    /** The template a GGUF file carries, with its BOS/EOS texts; empty when it has none. */
    public static java.util.Optional<JinjaChatTemplate> fromGguf(GgufFile gguf) {
        return gguf.optString("tokenizer.chat_template").map(src -> {
            Vocabulary v = Vocabulary.fromGguf(gguf);
            return new JinjaChatTemplate(src, v.bosId() >= 0 ? v.tokens().get(v.bosId()) : null,
                    v.eosId() >= 0 ? v.tokens().get(v.eosId()) : null);
        });
    }

    /** The template of a Hugging Face directory's tokenizer_config.json; empty when it has none. */
    public static java.util.Optional<JinjaChatTemplate> fromHf(Path dir) {
        JsonNode cfg = readTokenizerConfig(dir);
        return templateSource(cfg).map(src -> new JinjaChatTemplate(src, tokenText(cfg.path("bos_token")),
                tokenText(cfg.path("eos_token"))));
    }

    /**
     * The template text of a Hugging Face directory's tokenizer_config.json exactly as written (a converter
     * stores it verbatim as {@code tokenizer.chat_template}); empty when it has none. A list of named templates
     * gives its "default" one, as llama.cpp's converter keeps.
     */
    public static java.util.Optional<String> sourceFromHf(Path dir) {
        return templateSource(readTokenizerConfig(dir));
    }

    private static JsonNode readTokenizerConfig(Path dir) {
        Path cfgFile = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(cfgFile)) return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        Limits.checkJsonFile(cfgFile);
        try {
            return JSON.readTree(cfgFile.toFile());
        } catch (IOException e) {
            throw new ModelException(cfgFile + ": cannot read JSON: " + ModelException.jsonProblem(e), e);
        }
    }

    private static java.util.Optional<String> templateSource(JsonNode cfg) {
        JsonNode t = cfg.path("chat_template");
        String src = null;
        if (t.isTextual()) src = t.asText();
        else if (t.isArray()) {   // [{"name": "default", "template": ...}, ...]
            for (JsonNode n : t) if ("default".equals(n.path("name").asText())) src = n.path("template").asText(null);
        }
        return java.util.Optional.ofNullable(src);
    }

    private static String tokenText(JsonNode n) {
        return n.isTextual() ? n.asText() : n.path("content").isTextual() ? n.path("content").asText() : null;
    }

    public String source() { return source; }

    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Limits.TEMPLATE_RENDER_MILLIS);
    }

    /**
     * As {@link #render(List, boolean)}, stopped after {@code renderMillis} instead of
     * Limits.TEMPLATE_RENDER_MILLIS: the fuzz harnesses' lower cap (a looping template would cost them 2 s).
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt, long renderMillis) {
        List<Map<String, Object>> ms = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            ms.add(map);
        }
        return render(ms, addGenerationPrompt, Map.of(), renderMillis);
    }

    /** Renders with messages as maps (for fields beyond role and content) and extra template variables. */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt, Map<String, Object> extra) {
        return render(messages, addGenerationPrompt, extra, Limits.TEMPLATE_RENDER_MILLIS);
    }

    private String render(List<Map<String, Object>> messages, boolean addGenerationPrompt, Map<String, Object> extra,
                          long renderMillis) {
        Map<String, Object> ctx = new HashMap<>(extra);
        ctx.put("messages", messages);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        ctx.put("bos_token", bosToken);
        ctx.put("eos_token", eosToken);
        RAISED.remove();
        long[] deadline = DEADLINE.get();
        deadline[0] = System.nanoTime() + renderMillis * 1_000_000;
        RenderResult r;
        try {
            r = JINJAVA.renderForResult(source, ctx);
        } catch (RenderTimeout e) {
            throw timeout(renderMillis);
        } catch (RuntimeException e) {
            if (System.nanoTime() - deadline[0] > 0) throw timeout(renderMillis);
            throw new ModelException("chat template: cannot render: " + e.getMessage(), e);
        } catch (StackOverflowError e) {
            // Jinjava parses and evaluates recursively: nesting deep enough overflows the stack.
            throw new ModelException("chat template: cannot render: nested too deeply");
        }
        // Jinjava turns some exceptions into template errors: a timeout must not pass as a partial output.
        if (System.nanoTime() - deadline[0] > 0) throw timeout(renderMillis);
        String raised = RAISED.get();
        RAISED.remove();
        if (raised != null) throw new ModelException("chat template: " + oneLine(raised));
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ModelException("chat template: line " + e.getLineno() + ": " + oneLine(e.getMessage()));
            }
        }
        return r.getOutput();
    }

    /** Messages may quote the template or its output: one line, and not a megabyte of it. */
    static String oneLine(String s) {
        s = String.valueOf(s).replaceAll("\\R", "\\\\n");
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }

    /**
     * Python's {@code range}, in place of Jinjava's, which silently truncates a range past its limit: a
     * template asking for more than Limits.TEMPLATE_COLLECTION_SIZE numbers fails instead.
     */
    public static List<Long> range(Object first, Object... rest) {
        long start = 0, stop, step = 1;
        try {
            if (rest.length == 0) {
                stop = toLong(first);
            } else {
                start = toLong(first);
                stop = toLong(rest[0]);
                if (rest.length > 1) step = toLong(rest[1]);
            }
        } catch (NumberFormatException e) {
            throw fail("range() takes integers, found " + first + (rest.length > 0 ? ", " + java.util.Arrays.toString(rest) : ""));
        }
        if (step == 0) throw fail("range() step must not be zero");
        long n;
        try {
            long span = step > 0 ? Math.subtractExact(stop, start) : Math.subtractExact(start, stop);
            n = span <= 0 ? 0 : (span - 1) / Math.absExact(step) + 1;
        } catch (ArithmeticException e) {
            n = Long.MAX_VALUE;
        }
        if (n > Limits.TEMPLATE_COLLECTION_SIZE) {
            throw fail("range() of " + n + " numbers exceeds r1's limit of " + Limits.TEMPLATE_COLLECTION_SIZE
                    + " (dev.r1.models.Limits.TEMPLATE_COLLECTION_SIZE)");
        }
        List<Long> out = new ArrayList<>((int) n);
        for (long i = 0, v = start; i < n; i++, v += step) out.add(v);
        return out;
    }

    private static long toLong(Object o) {
        if (o instanceof Number num) return num.longValue();
        return Long.parseLong(String.valueOf(o).trim());
    }

    /** Fails the render with {@code detail}: for the template's own resolvers (a method it may not call). */
    static IllegalStateException refuse(String detail) { return fail(detail); }

    /** Fails the render with {@code detail} (Jinjava turns exceptions into template errors; this one wins). */
    private static IllegalStateException fail(String detail) {
        RAISED.set(detail);
        return new IllegalStateException(detail);
    }

    private static ModelException timeout(long renderMillis) {
        return new ModelException("chat template: rendering took longer than " + renderMillis
                + " ms (dev.r1.models.Limits.TEMPLATE_RENDER_MILLIS): the template loops too long");
    }

    private static final class RenderTimeout extends RuntimeException {
        RenderTimeout() { super("chat template: render deadline passed", null, false, false); }
    }

    private static void checkDeadline() {
        if (System.nanoTime() - DEADLINE.get()[0] > 0) throw new RenderTimeout();
    }

    /** Bound to the template's {@code raise_exception(msg)}. */
    public static String raiseException(String message) {
        throw fail("raise_exception: " + message);
    }
}

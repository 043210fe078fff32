package dev.r1.models.template;

import java.util.List;

/**
 * The DeepSeek-R1 distills' chat format, written out (the same text their published Jinja template renders):
 * BOS once, the system prompt as bare text, each user turn after {@code <｜User｜>}, each earlier assistant
 * turn after {@code <｜Assistant｜>} cut to the text after its last {@code </think>} and closed with EOS, and
 * a generation prompt {@code <｜Assistant｜><think>\n} that opens the model's reasoning. Tool outputs are
 * wrapped as the template wraps them. When several system messages are given, the last one is used, as
 * the template does.
 */
public final class R1ChatTemplate {
    public static final String BOS = "<｜begin▁of▁sentence｜>";
    public static final String EOS = "<｜end▁of▁sentence｜>";
    public static final String USER = "<｜User｜>";
    public static final String ASSISTANT = "<｜Assistant｜>";
    public static final String THINK = "<think>";
    public static final String END_THINK = "</think>";
    public static final String GENERATION_PROMPT = ASSISTANT + THINK + "\n";

    private static final String TOOL_OUTPUTS_BEGIN = "<｜tool▁outputs▁begin｜>";
    private static final String TOOL_OUTPUTS_END = "<｜tool▁outputs▁end｜>";
    private static final String TOOL_OUTPUT_BEGIN = "<｜tool▁output▁begin｜>";
    private static final String TOOL_OUTPUT_END = "<｜tool▁output▁end｜>";

    private R1ChatTemplate() {}

    /**
     * DeepSeek's published Jinja chat template of the R1 distills (tokenizer_config.json), which synthesized
     * and converted models carry as {@code tokenizer.chat_template} so other tools format chats the same way.
     */
    public static String publishedJinja() {
        try (var in = R1ChatTemplate.class.getResourceAsStream("r1-distill.jinja")) {
            if (in == null) throw new IllegalStateException("r1-distill.jinja missing from the r1-models jar");
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Renders with the R1 BOS text, as the published template does with its {@code bos_token}. */
    public static String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, BOS);
    }

    /**
     * Renders with {@code bosText} in front (the vocabulary's BOS token text; null or "" for none, for a
     * caller whose tokenizer adds BOS itself). Encode the result with {@link ChatPrompt#encode} so that BOS
     * appears exactly once either way.
     */
    public static String render(List<ChatMessage> messages, boolean addGenerationPrompt, String bosText) {
        StringBuilder out = new StringBuilder(bosText == null ? "" : bosText);
        String system = "";
        for (ChatMessage m : messages) if (m.role().equals("system")) system = m.content();
        out.append(system);
        boolean inTool = false, firstToolOutput = true;
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case "user" -> {
                    inTool = false;
                    out.append(USER).append(m.content());
                }
                case "assistant" -> {
                    if (inTool) {
                        out.append(TOOL_OUTPUTS_END).append(m.content()).append(EOS);
                        inTool = false;
                    } else {
                        out.append(ASSISTANT).append(afterThinking(m.content())).append(EOS);
                    }
                }
                case "tool" -> {
                    inTool = true;
                    if (firstToolOutput) {
                        out.append(TOOL_OUTPUTS_BEGIN).append(TOOL_OUTPUT_BEGIN).append(m.content()).append(TOOL_OUTPUT_END);
                        firstToolOutput = false;
                    } else {
                        out.append('\n').append(TOOL_OUTPUT_BEGIN).append(m.content()).append(TOOL_OUTPUT_END);
                    }
                }
                default -> { } // system handled above; other roles are not part of the format
            }
        }
        if (inTool) out.append(TOOL_OUTPUTS_END);
        if (addGenerationPrompt && !inTool) out.append(GENERATION_PROMPT);
        return out.toString();
    }

    /** The text after the last {@code </think>}, or all of it when there is none. */
    public static String afterThinking(String content) {
        int at = content.lastIndexOf(END_THINK);
        return at < 0 ? content : content.substring(at + END_THINK.length());
    }
}

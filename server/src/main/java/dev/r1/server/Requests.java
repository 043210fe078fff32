package dev.r1.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.r1.engine.Model;
import dev.r1.engine.sampling.SamplerOptions;
import dev.r1.models.template.ChatMessage;
import dev.r1.models.template.R1ChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Request bodies to generation jobs, checking every field a client may send: unknown fields are ignored,
 * a known field of the wrong type or out of range is a 400 naming it. Nothing in a request names a file.
 */
final class Requests {
    private Requests() {}

    /** A parsed completion request: {@code n} choices of one prompt. */
    record Parsed(boolean chat, int[] prompt, int n, boolean stream, boolean includeUsage, boolean logprobs,
                  Job.Spec spec) {}

    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool", "developer");
    static final int MAX_STOPS = 16, MAX_STOP_CHARS = 256;

    static Parsed chat(JsonNode body, Model model, ServerOptions o, int ctx, int slots) {
        object(body, "the request body");
        JsonNode msgs = body.get("messages");
        if (msgs == null || !msgs.isArray() || msgs.isEmpty()) throw ApiException.invalid("'messages' must be a non-empty array of {role, content}");
        List<ChatMessage> list = new ArrayList<>();
        for (int i = 0; i < msgs.size(); i++) {
            JsonNode m = msgs.get(i);
            object(m, "messages[" + i + "]");
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !ROLES.contains(role.asText()))
                throw ApiException.invalid("messages[" + i + "].role must be one of " + ROLES);
            String r = role.asText().equals("developer") ? "system" : role.asText();
            // Earlier reasoning never goes back into the prompt (reasoning_content is ignored; the template
            // cuts an assistant turn to the text after its last </think>), as DeepSeek's API does.
            list.add(new ChatMessage(r, content(m.get("content"), "messages[" + i + "].content", r.equals("assistant"))));
        }
        String format = text(body, "reasoning_format", "deepseek");
        if (!Set.of("deepseek", "none", "auto", "deepseek-legacy").contains(format))
            throw ApiException.invalid("'reasoning_format' must be \"deepseek\" or \"none\", got \"" + quote(format) + "\"");
        String bos = model.bos() >= 0 ? model.piece(model.bos()) : "";
        String rendered = R1ChatTemplate.render(list, true, bos);
        int[] ids = model.tokenize(rendered, false, true);
        return common(body, true, ids, !format.equals("none"), model, o, ctx, slots);
    }

    static Parsed completion(JsonNode body, Model model, ServerOptions o, int ctx, int slots) {
        object(body, "the request body");
        JsonNode p = body.get("prompt");
        if (p != null && p.isArray() && p.size() == 1 && p.get(0).isTextual()) p = p.get(0);
        if (p == null || !p.isTextual()) throw ApiException.invalid("'prompt' must be a string (or a list of one string)");
        int[] ids = model.tokenize(p.asText(), model.bos() >= 0, false);
        if (ids.length == 0) throw ApiException.invalid("'prompt' is empty");
        return common(body, false, ids, false, model, o, ctx, slots);
    }

    private static Parsed common(JsonNode b, boolean chat, int[] ids, boolean split, Model model, ServerOptions o,
                                 int ctx, int slots) {
        if (ids.length + 1 > ctx)
            throw ApiException.invalid("the prompt is " + ids.length + " tokens and the context holds " + ctx
                    + " (one more is needed to generate); shorten the prompt or start the server with a larger --ctx");
        Integer max = integer(b, "max_completion_tokens", 1, o.maxTokens());
        if (max == null) max = integer(b, "max_tokens", 1, o.maxTokens());
        int maxTokens = max != null ? max : o.maxTokens();
        float temp = number(b, "temperature", 0, 2, 0.6);
        float topP = number(b, "top_p", 0, 1, 0.95);
        if (topP == 0) topP = Float.MIN_VALUE; // OpenAI allows 0: the single most likely token
        Integer topK = integer(b, "top_k", 0, model.vocabSize());
        float minP = number(b, "min_p", 0, 0.999999, 0);
        float repeat = number(b, "repeat_penalty", 0.01, 10, 1);
        float presence = number(b, "presence_penalty", -2, 2, 0);
        float frequency = number(b, "frequency_penalty", -2, 2, 0);
        JsonNode seedNode = b.get("seed");
        long seed;
        if (seedNode == null || seedNode.isNull()) seed = System.nanoTime();
        else if (seedNode.isIntegralNumber() && seedNode.canConvertToLong()) seed = seedNode.asLong();
        else throw ApiException.invalid("'seed' must be an integer");
        Integer n = integer(b, "n", 1, slots);
        boolean stream = bool(b, "stream", false);
        boolean includeUsage = false;
        JsonNode so = b.get("stream_options");
        if (so != null && !so.isNull()) {
            object(so, "'stream_options'");
            includeUsage = bool(so, "include_usage", false);
        }
        List<String> stop = stops(b.get("stop"));
        int top = -1;
        boolean logprobs;
        if (chat) {
            logprobs = bool(b, "logprobs", false);
            Integer t = integer(b, "top_logprobs", 0, o.maxTopLogprobs());
            if (t != null && !logprobs) throw ApiException.invalid("'top_logprobs' needs 'logprobs': true");
            if (logprobs) top = t == null ? 0 : t;
        } else { // legacy completions: logprobs is the number of alternatives
            Integer t = integer(b, "logprobs", 0, o.maxTopLogprobs());
            logprobs = t != null;
            if (logprobs) top = t;
        }
        SamplerOptions s;
        try {
            s = new SamplerOptions(temp, topK == null ? 0 : topK, topP, minP, repeat, 64, seed);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(e.getMessage());
        }
        return new Parsed(chat, ids, n == null ? 1 : n, stream, includeUsage, logprobs,
                new Job.Spec(s, maxTokens, stop, split, chat, top, presence, frequency));
    }

    /** {@code /tokenize}: {content, add_special?, parse_special?} to token ids. */
    static int[] tokenize(JsonNode b, Model model) {
        object(b, "the request body");
        String text = text(b, "content", null);
        if (text == null) throw ApiException.invalid("'content' (a string) is required");
        boolean special = bool(b, "add_special", false);
        boolean parse = bool(b, "parse_special", true);
        return model.tokenize(text, special && model.bos() >= 0, parse);
    }

    /** {@code /detokenize}: {tokens: [ids]}, each a token id of the model. */
    static int[] tokenIds(JsonNode b, Model model) {
        object(b, "the request body");
        JsonNode t = b.get("tokens");
        if (t == null || !t.isArray()) throw ApiException.invalid("'tokens' (a list of token ids) is required");
        int[] ids = new int[t.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = t.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0 || v.asLong() >= model.vocabSize())
                throw ApiException.invalid("tokens[" + i + "] must be a token id in [0, " + model.vocabSize() + ")");
            ids[i] = v.asInt();
        }
        return ids;
    }

    /** A client's text inside an error message: control characters escaped, at most 300 characters. */
    static String quote(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            if (b.length() >= 300) return b.append("...").toString();
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    /** A message's text: a string, or a list of {type: "text", text} parts; null only for an assistant turn. */
    private static String content(JsonNode c, String field, boolean mayBeNull) {
        if (c == null || c.isNull()) {
            if (mayBeNull) return "";
            throw ApiException.invalid(field + " is missing");
        }
        if (c.isTextual()) return c.asText();
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual())
                    throw ApiException.invalid(field + " parts must be {\"type\": \"text\", \"text\": ...} (this model reads text only)");
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        throw ApiException.invalid(field + " must be a string or a list of text parts");
    }

    private static List<String> stops(JsonNode s) {
        List<String> out = new ArrayList<>();
        if (s == null || s.isNull()) return out;
        if (s.isTextual()) out.add(s.asText());
        else if (s.isArray()) {
            for (JsonNode x : s) {
                if (!x.isTextual()) throw ApiException.invalid("'stop' must be a string or a list of strings");
                out.add(x.asText());
            }
        } else throw ApiException.invalid("'stop' must be a string or a list of strings");
        if (out.size() > MAX_STOPS) throw ApiException.invalid("'stop' has " + out.size() + " strings; at most " + MAX_STOPS);
        for (String x : out)
            if (x.length() > MAX_STOP_CHARS) throw ApiException.invalid("a 'stop' string is longer than " + MAX_STOP_CHARS + " characters");
        return out;
    }

    static void object(JsonNode n, String what) {
        if (n == null || !n.isObject()) throw ApiException.invalid(what + " must be a JSON object");
    }

    static String text(JsonNode b, String f, String dflt) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual()) throw ApiException.invalid("'" + f + "' must be a string");
        return v.asText();
    }

    static boolean bool(JsonNode b, String f, boolean dflt) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw ApiException.invalid("'" + f + "' must be true or false");
        return v.asBoolean();
    }

    static Integer integer(JsonNode b, String f, long min, long max) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw ApiException.invalid("'" + f + "' must be an integer");
        long x = v.asLong();
        if (x < min || x > max) throw ApiException.invalid("'" + f + "' is " + x + "; it must be in [" + min + ", " + max + "]");
        return (int) x;
    }

    static float number(JsonNode b, String f, double min, double max, double dflt) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) return (float) dflt;
        if (!v.isNumber()) throw ApiException.invalid("'" + f + "' must be a number");
        double x = v.asDouble();
        if (!(x >= min && x <= max)) throw ApiException.invalid("'" + f + "' is " + v.asText() + "; it must be in [" + min + ", " + max + "]");
        return (float) x;
    }
}

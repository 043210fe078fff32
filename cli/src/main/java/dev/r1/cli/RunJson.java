package dev.r1.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@code r1 run --json}: one object a script can take apart (reasoning and answer separately). */
final class RunJson {
    private RunJson() {}

    static final ObjectMapper MAPPER = new ObjectMapper();

    static String of(Path model, String backend, String prompt, Chat.Turn t) {
        var r = t.result();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("model", model.toString());
        o.put("backend", backend);
        o.put("prompt", prompt);
        o.put("reasoning", r.reasoning());
        o.put("answer", r.answer());
        o.put("stop_reason", r.reason().name().toLowerCase(Locale.ROOT));
        o.put("ended_in_reasoning", r.endedInThink());
        o.put("prompt_tokens", t.promptTokens());
        o.put("generated_tokens", r.tokens().length);
        o.put("prefill_ms", t.prefillSeconds() * 1e3);
        o.put("prefill_tok_s", t.prefillSeconds() > 0 ? t.prefilledTokens() / t.prefillSeconds() : 0);
        o.put("decode_ms", r.decodeNanos() / 1e6);
        o.put("decode_tok_s", r.tokensPerSecond());
        return write(o);
    }

    static String write(Object o) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode JSON: " + e.getOriginalMessage(), e);
        }
    }
}

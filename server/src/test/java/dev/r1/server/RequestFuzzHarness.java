package dev.r1.server;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.r1.engine.Model;

/**
 * Jazzer harnesses: request bodies from strangers, as bytes, through what the server does with a body
 * before any generation — the JSON reader with its caps ({@link OpenAiServer#parseJson}), then the checks
 * and conversions of {@link Requests} for {@code /v1/chat/completions} (messages rendered with the R1 chat
 * template and tokenized), {@code /v1/completions}, {@code /tokenize} and {@code /detokenize}, on the tiny
 * test model. Not the HTTP layer (the JDK's). Only a 4xx {@link ApiException} with a one-line, bounded
 * message may come out; an accepted request must be within the server's limits.
 */
class RequestFuzzHarness {
    static final Model MODEL = TestServers.load();
    static final ServerOptions OPTIONS = TestServers.options();
    static final int CTX = 512, SLOTS = 4;

    @FuzzTest
    @DictionaryFile(resourcePath = "/fuzz/request.dict")
    void chatCompletions(byte[] body) {
        completion(body, true);
    }

    @FuzzTest
    @DictionaryFile(resourcePath = "/fuzz/request.dict")
    void completions(byte[] body) {
        completion(body, false);
    }

    @FuzzTest
    @DictionaryFile(resourcePath = "/fuzz/request.dict")
    void tokenize(byte[] body) {
        try {
            int[] ids = Requests.tokenize(OpenAiServer.parseJson(body), MODEL);
            for (int id : ids) if (id < 0 || id >= MODEL.vocabSize()) throw new AssertionError("token id " + id + " out of range");
        } catch (ApiException e) {
            refusal(e);
        }
    }

    @FuzzTest
    @DictionaryFile(resourcePath = "/fuzz/request.dict")
    void detokenize(byte[] body) {
        try {
            MODEL.detokenize(Requests.tokenIds(OpenAiServer.parseJson(body), MODEL));
        } catch (ApiException e) {
            refusal(e);
        }
    }

    private static void completion(byte[] body, boolean chat) {
        Requests.Parsed p;
        try {
            JsonNode b = OpenAiServer.parseJson(body);
            p = chat ? Requests.chat(b, MODEL, OPTIONS, CTX, SLOTS) : Requests.completion(b, MODEL, OPTIONS, CTX, SLOTS);
        } catch (ApiException e) {
            refusal(e);
            return;
        }
        check(p.prompt().length >= 1 && p.prompt().length < CTX, "prompt of " + p.prompt().length + " tokens");
        for (int id : p.prompt()) check(id >= 0 && id < MODEL.vocabSize(), "prompt token " + id);
        check(p.n() >= 1 && p.n() <= SLOTS, "n = " + p.n());
        Job.Spec s = p.spec();
        check(s.maxTokens() >= 1 && s.maxTokens() <= OPTIONS.maxTokens(), "max tokens " + s.maxTokens());
        check(s.topLogprobs() >= -1 && s.topLogprobs() <= OPTIONS.maxTopLogprobs(), "top logprobs " + s.topLogprobs());
        check(s.stop().size() <= Requests.MAX_STOPS, s.stop().size() + " stop strings");
        check(Float.isFinite(s.presence()) && Float.isFinite(s.frequency()), "penalties " + s.presence() + ", " + s.frequency());
        check(Float.isFinite(s.sampling().temperature()) && s.sampling().temperature() >= 0, "temperature " + s.sampling().temperature());
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError("accepted a request beyond the server's limits: " + what);
    }

    /** A clean refusal: a client error with a type and one bounded line saying what to fix. */
    static void refusal(ApiException e) {
        String m = e.getMessage();
        if (e.status < 400 || e.status > 499 || e.type == null || e.type.isBlank())
            throw new AssertionError("a refusal must be a 4xx with a type, got " + e.status + " " + e.type, e);
        if (m == null || m.isBlank() || m.indexOf('\n') >= 0 || m.indexOf('\r') >= 0 || m.length() > 2000)
            throw new AssertionError("a refusal must be one clear line, got: " + (m == null ? null : m.substring(0, Math.min(m.length(), 2000))), e);
    }
}

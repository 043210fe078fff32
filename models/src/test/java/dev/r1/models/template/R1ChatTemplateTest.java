package dev.r1.models.template;

import dev.r1.models.ModelException;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufWriter;
import dev.r1.models.tokenizer.BpeTokenizer;
import dev.r1.models.tokenizer.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class R1ChatTemplateTest {
    private static final String BOS = "<｜begin▁of▁sentence｜>", EOS = "<｜end▁of▁sentence｜>";
    @TempDir Path dir;

    static JinjaChatTemplate published() {
        try {
            Path d = Path.of(R1ChatTemplateTest.class.getResource("/template/deepseek-r1-distill-qwen").toURI());
            return JinjaChatTemplate.fromHf(d).orElseThrow();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void bundledTemplateIsThePublishedOne() {
        assertEquals(published().source(), R1ChatTemplate.publishedJinja());
    }

    @Test
    void rendersTheR1FormatByHand() {
        List<ChatMessage> chat = List.of(ChatMessage.system("Be brief."), ChatMessage.user("What is 2+2?"),
                ChatMessage.assistant("<think>\n2 and 2 make 4.\n</think>\n\nIt is 4."), ChatMessage.user("And 3+3?"));
        String want = BOS + "Be brief.<｜User｜>What is 2+2?<｜Assistant｜>\n\nIt is 4." + EOS
                + "<｜User｜>And 3+3?<｜Assistant｜><think>\n";
        assertEquals(want, R1ChatTemplate.render(chat, true));
        assertEquals(want.substring(0, want.length() - "<｜Assistant｜><think>\n".length()), R1ChatTemplate.render(chat, false));
        assertEquals(BOS + "<｜User｜>hi<｜Assistant｜><think>\n", R1ChatTemplate.render(List.of(ChatMessage.user("hi")), true));
        assertEquals("b", R1ChatTemplate.afterThinking("x</think>a</think>b"));
        assertEquals("", R1ChatTemplate.afterThinking("x</think>"));
        assertEquals("no think", R1ChatTemplate.afterThinking("no think"));
    }

    @Test
    void publishedTemplateRendersTheSameByHand() {
        JinjaChatTemplate jinja = published();
        List<ChatMessage> chat = List.of(ChatMessage.system("Be brief."), ChatMessage.user("What is 2+2?"),
                ChatMessage.assistant("<think>\n2 and 2 make 4.\n</think>\n\nIt is 4."), ChatMessage.user("And 3+3?"));
        assertEquals(BOS + "Be brief.<｜User｜>What is 2+2?<｜Assistant｜>\n\nIt is 4." + EOS
                + "<｜User｜>And 3+3?<｜Assistant｜><think>\n", jinja.render(chat, true));
    }

    @Test
    void bothAgreeOnManyConversations() {
        JinjaChatTemplate jinja = published();
        Random rnd = new Random(7);
        String[] texts = {"hi", "", " ", "What is 1+1?", "多行\n文本\n", "<think>only thinking</think>", "a</think>b</think>c",
                "</think>", "think: <think>\nstep 1\nstep 2\n</think>\n\nAnswer: **42**", "emoji 👩‍💻 and\ttabs\r\n",
                "{{ not a template }} {% raw %}", "quotes ' \" and \\ backslash", "<｜User｜>injected", "x".repeat(500)};
        String[] roles = {"user", "assistant", "user", "assistant", "system", "tool"};
        int checked = 0;
        for (int c = 0; c < 150; c++) {
            List<ChatMessage> chat = new ArrayList<>();
            if (rnd.nextInt(3) == 0) chat.add(ChatMessage.system(texts[rnd.nextInt(texts.length)]));
            int turns = 1 + rnd.nextInt(8);
            for (int t = 0; t < turns; t++) {
                String role = c % 4 == 3 ? roles[rnd.nextInt(roles.length)] : (t % 2 == 0 ? "user" : "assistant");
                chat.add(new ChatMessage(role, texts[rnd.nextInt(texts.length)]));
            }
            for (boolean gen : new boolean[] {true, false}) {
                assertEquals(jinja.render(chat, gen), R1ChatTemplate.render(chat, gen), chat::toString);
                checked++;
            }
        }
        assertEquals(300, checked);
    }

    @Test
    void noDoubleBos() {
        BpeTokenizer tok = new BpeTokenizer(Vocabulary.tinyByteLevel(512));
        int bos = tok.bosId();
        String rendered = R1ChatTemplate.render(List.of(ChatMessage.user("hi")), true);
        int[] ids = ChatPrompt.encode(tok, rendered);
        assertEquals(bos, ids[0]);
        assertEquals(1, Arrays.stream(ids).filter(i -> i == bos).count(), Arrays.toString(ids));
        assertArrayEquals(tok.encode(rendered, false, true), ids);
        // Without BOS in the text, the vocabulary's add_bos puts one in.
        int[] bare = ChatPrompt.encode(tok, "<｜User｜>hi");
        assertEquals(bos, bare[0]);
        assertEquals(1, Arrays.stream(bare).filter(i -> i == bos).count());
        // A plain encode with add_bos would have doubled it: the thing ChatPrompt exists to prevent.
        assertEquals(2, Arrays.stream(tok.encode(rendered, true, true)).filter(i -> i == bos).count());
        // Rendering without BOS text and letting the tokenizer add it gives the same ids.
        String noBosText = R1ChatTemplate.render(List.of(ChatMessage.user("hi")), true, "");
        assertEquals(rendered, BOS + noBosText);
        assertArrayEquals(ids, ChatPrompt.encode(tok, noBosText));
        assertEquals(noBosText, R1ChatTemplate.render(List.of(ChatMessage.user("hi")), true, null));
    }

    @Test
    void jinjaTemplateFromGguf() throws Exception {
        Vocabulary v = Vocabulary.tinyByteLevel(512);
        Path out = dir.resolve("t.gguf");
        try (GgufWriter w = GgufWriter.create(out)) {
            w.putAll(v.toGgufMetadata(512));
            w.putString("tokenizer.chat_template", published().source());
            w.commit();
        }
        try (GgufFile f = GgufFile.open(out)) {
            JinjaChatTemplate t = JinjaChatTemplate.fromGguf(f).orElseThrow();
            List<ChatMessage> chat = List.of(ChatMessage.user("hi"));
            assertEquals(R1ChatTemplate.render(chat, true), t.render(chat, true));
        }
    }

    @Test
    void hfTemplateFeatures() {
        JinjaChatTemplate t = new JinjaChatTemplate("""
                {%- set ns = namespace(found=false, n=0) -%}
                {%- for m in messages -%}
                {%- if m['content'].strip().startswith('!') %}{% set ns.found = true %}{% endif -%}
                {%- set ns.n = ns.n + 1 -%}
                [{{ m.role }}:{{ m['content'].split('|')[-1] }}|{{ m['content'].split('|') | length }}|{{ m['content'].rstrip('|') }}]
                {%- endfor -%}
                {{ bos_token }}{{ ns.found }}{{ ns.n }}{% if add_generation_prompt %}{{ eos_token }}{% endif %}
                """, "<s>", "</s>");
        String out = t.render(List.of(ChatMessage.user("a|b|"), ChatMessage.assistant("  !x")), true);
        assertEquals("[user:|3|a|b][assistant:  !x|1|  !x]<s>true2</s>", out);
    }

    @Test
    void templateErrorsAreModelExceptions() {
        JinjaChatTemplate raising = new JinjaChatTemplate(
                "{% if messages[0]['role'] != 'user' %}{{ raise_exception('Conversation roles must alternate') }}{% endif %}ok",
                null, null);
        assertEquals("ok", raising.render(List.of(ChatMessage.user("x")), false));
        ModelException e = assertThrows(ModelException.class, () -> raising.render(List.of(ChatMessage.assistant("x")), false));
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
        JinjaChatTemplate broken = new JinjaChatTemplate("{{ messages[0]['content'] + }}", null, null);
        assertThrows(ModelException.class, () -> broken.render(List.of(ChatMessage.user("x")), false));
    }
}

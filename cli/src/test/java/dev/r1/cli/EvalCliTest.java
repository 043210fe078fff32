package dev.r1.cli;

import static dev.r1.cli.CliTest.r1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.r1.cli.CliTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code r1 eval} end to end on tiny synthesized models of one seed (F32 teacher, Q4_0 student). */
class EvalCliTest {
    @TempDir static Path dir;
    static Path f32, q4, text;

    @BeforeAll
    static void models() throws Exception {
        f32 = dir.resolve("f32.gguf");
        q4 = dir.resolve("q4.gguf");
        assertEquals(0, r1("synth", "--preset", "tiny-qwen2", "--type", "f32", "-o", f32.toString(), "--seed", "5").code());
        assertEquals(0, r1("synth", "--preset", "tiny-qwen2", "--type", "q4_0", "-o", q4.toString(), "--seed", "5").code());
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 1500; i++) sb.append("line ").append(i * 7919 % 1000).append(" of the eval text, ").append(i % 3 == 0 ? "again\n" : "");
        text = dir.resolve("t.txt");
        Files.writeString(text, sb.toString());
    }

    static JsonNode json(Path p) throws Exception {
        return new ObjectMapper().readTree(p.toFile());
    }

    @Test
    void perplexityWithJson() throws Exception {
        Path j = dir.resolve("ppl.json");
        Run r = r1("eval", "ppl", q4.toString(), "--text", text.toString(), "--ctx", "64", "-t", "1", "--json", j.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("PPL = "), r.out());
        JsonNode n = json(j);
        for (String k : new String[] {"ppl", "ppl_err", "tokens_scored", "chunks", "ctx", "chunk_ppl"}) assertTrue(n.has(k), k);
        assertEquals(64, n.get("ctx").asInt());
        assertEquals(n.get("chunks").asInt() * 31, n.get("tokens_scored").asInt());
        assertTrue(n.get("ppl").asDouble() > 1);
    }

    @Test
    void klSavedTeacherJsonAndPlot() throws Exception {
        Path logits = dir.resolve("t.logits"), j = dir.resolve("kl.json"), svg = dir.resolve("kl.svg");
        Run save = r1("eval", "kl", "--teacher", f32.toString(), "--text", text.toString(), "--ctx", "64", "-t", "1",
                "--save-teacher", logits.toString());
        assertEquals(0, save.code(), save.err());
        assertTrue(save.out().contains("full logits"), save.out());
        Run r = r1("eval", "kl", "--teacher-logits", logits.toString(), "--student", q4.toString(), "--text", text.toString(),
                "-t", "1", "--json", j.toString(), "--plot", svg.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("KL(teacher ‖ student)") && r.out().contains("student keeps"), r.out());
        JsonNode n = json(j);
        for (String k : new String[] {"ppl", "ppl_teacher", "delta_ppl", "kl_mean", "kl_mean_err", "kl_median", "kl_p90", "kl_p99",
                "kl_max", "top1_agreement", "dp_rms", "logit_step_cosine_mean", "student_keeps_ppl"}) assertTrue(n.has(k), k);
        assertTrue(n.get("kl_mean").asDouble() > 0 && n.get("kl_p99").asDouble() >= n.get("kl_median").asDouble());
        assertTrue(Files.readString(svg).startsWith("<svg"));
    }

    @Test
    void engineAgainstEngineIsOneLine() {
        Run r = r1("eval", "kl", "--teacher", q4.toString(), "--student", q4.toString(), "--teacher-backend", "llama.cpp",
                "--text", text.toString(), "--ctx", "64", "--chunks", "2", "-t", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("llama.cpp") && r.out().contains("top-1 agreement"), r.out());
    }

    @Test
    void distillationSignals() throws Exception {
        Path j = dir.resolve("sig.json");
        Run r = r1("eval", "kl", "--teacher", f32.toString(), "--student", q4.toString(), "--text", text.toString(), "--ctx", "64",
                "--chunks", "2", "-t", "1", "--layers", "1,2", "--layer-weights", "0.3,0.7", "--attention", "--temperature", "2",
                "--json", j.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("hidden-state MSE") && r.out().contains("attention distance") && r.out().contains("temperature: 2"), r.out());
        JsonNode n = json(j);
        for (String k : new String[] {"hidden_mse_layer_1", "hidden_mse_layer_2", "hidden_mse_weighted", "attention_frobenius",
                "logit_step_cosine_mean", "logit_step_cosine_deviating"}) assertTrue(n.has(k), k);
        assertEquals(2.0, n.get("temperature").asDouble());
        Run refused = r1("eval", "kl", "--teacher", f32.toString(), "--student", q4.toString(), "--student-backend", "llama.cpp",
                "--text", text.toString(), "--ctx", "64", "--layers", "1");
        assertEquals(1, refused.code());
        assertTrue(refused.err().contains("--student-backend java"), refused.err());
    }

    @Test
    void multipleChoiceWithTeacher() throws Exception {
        Path data = Files.createDirectories(dir.resolve("mc")), j = dir.resolve("mc.json");
        Files.writeString(data.resolve("arithmetic_test.csv"), "1+1?,1,2,3,4,B\n2+2?,4,3,2,1,A\n3+3?,5,6,7,8,B\n\"Pick \"\"D\"\"\",a,b,c,d,D\n");
        Files.writeString(data.resolve("colors_test.csv"), "Sky?,red,blue,green,black,B\nGrass?,green,red,blue,white,A\n");
        Run r = r1("eval", "mc", q4.toString(), "--teacher", f32.toString(), "--data", data.toString(), "--shots", "1", "-t", "1",
                "--ctx", "512", "--json", j.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("arithmetic") && r.out().contains("colors") && r.out().contains("1 solved examples")
                && r.out().contains("student keeps"), r.out());
        JsonNode n = json(j);
        assertEquals(4, n.get("questions").asInt()); // one example taken from each subject
        for (String k : new String[] {"accuracy", "accuracy_macro", "teacher_accuracy", "subjects", "shots"}) assertTrue(n.has(k), k);
        assertEquals(3, n.get("subjects").get("arithmetic").get("questions").asInt());
    }

    @Test
    void clearRefusals() {
        Run none = r1("eval", "kl", "--student", q4.toString(), "--text", text.toString());
        assertEquals(1, none.code());
        assertTrue(none.err().contains("--teacher"), none.err());
        Run tooShort = r1("eval", "ppl", q4.toString(), "--text", text.toString(), "--ctx", "1024");
        assertEquals(1, tooShort.code());
        assertTrue(tooShort.err().contains("needs at least 2048"), tooShort.err());
    }
}

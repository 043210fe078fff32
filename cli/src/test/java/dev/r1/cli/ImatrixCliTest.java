package dev.r1.cli;

import static dev.r1.cli.CliTest.r1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.r1.quantize.Imatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code r1 imatrix}: a file {@code r1 quantize --imatrix} takes, and one-line refusals of what cannot work. */
class ImatrixCliTest {
    @TempDir static Path dir;
    static Path model, text;

    @BeforeAll
    static void setUp() throws Exception {
        model = dir.resolve("m-f32.gguf");
        assertEquals(0, r1("synth", "--preset", "tiny-qwen2", "--type", "f32", "-o", model.toString()).code());
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 600; i++) sb.append("line ").append(i * 13 % 71).append(" of what the model will read.\n");
        text = Files.writeString(dir.resolve("calib.txt"), sb);
    }

    @Test
    void writesAMatrixQuantizeTakes() throws Exception {
        Path out = dir.resolve("im.gguf");
        CliTest.Run r = r1("imatrix", model.toString(), "--text", text.toString(), "-c", "32", "--chunks", "3", "-o", out.toString(), "-t", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("14 matrices") && r.out().contains("3 windows of 32 tokens"), r.out());
        Imatrix m = Imatrix.read(out);
        assertEquals(List.of(text.toString()), m.datasets());
        assertEquals(3, m.chunkCount());
        assertEquals(14, m.values().size());
        Path q = dir.resolve("q.gguf");
        CliTest.Run qr = r1("quantize", "--type", "q4_k_m", "--imatrix", out.toString(), model.toString(), q.toString());
        assertEquals(0, qr.code(), qr.err());
        assertFalse(qr.err().contains("no entry for blk."), qr.err());

        CliTest.Run again = r1("imatrix", model.toString(), "--text", text.toString(), "-c", "32", "--chunks", "1", "-o", out.toString());
        assertEquals(1, again.code());
        assertTrue(again.err().startsWith("error: ") && again.err().contains("already exists") && again.err().contains("--force"), again.err());
        assertEquals(3, Imatrix.read(out).chunkCount(), "the refused run left the file alone");
        assertEquals(0, r1("imatrix", model.toString(), "--text", text.toString(), "-c", "32", "--chunks", "1", "-o", out.toString(), "--force").code());
        assertEquals(1, Imatrix.read(out).chunkCount());
    }

    @Test
    void refusalsAreOneLineAndSayWhatToDo() throws Exception {
        Path out = dir.resolve("never.gguf");
        CliTest.Run missing = r1("imatrix", model.toString(), "--text", dir.resolve("nope.txt").toString(), "-o", out.toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nope.txt") && missing.err().contains("no such file"), missing.err());
        CliTest.Run shortText = r1("imatrix", model.toString(), "--text", text.toString(), "-c", "4096", "-o", out.toString());
        assertEquals(1, shortText.code());
        assertTrue(shortText.err().contains("tokenizes to only") && shortText.err().contains("smaller --ctx"), shortText.err());
        CliTest.Run noModel = r1("imatrix", dir.resolve("none.gguf").toString(), "--text", text.toString(), "-o", out.toString());
        assertEquals(1, noModel.code());
        assertTrue(noModel.err().contains("none.gguf"), noModel.err());
        for (CliTest.Run r : List.of(missing, shortText, noModel))
            assertEquals(1, r.err().lines().filter(l -> l.contains("error")).count(), r.err());
        assertFalse(Files.exists(out));
        CliTest.Run help = r1("imatrix", "--help");
        assertTrue(help.out().contains("r1 quantize --type q4_k_m --imatrix imatrix.gguf"), help.out());
    }
}

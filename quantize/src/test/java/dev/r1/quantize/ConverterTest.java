package dev.r1.quantize;

import dev.r1.models.config.HfTensorNames;
import dev.r1.models.config.Llama3RopeScaling;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufTensor;
import dev.r1.models.tensor.GgmlType;
import dev.r1.models.tokenizer.Vocabulary;
import dev.r1.quantize.synth.SyntheticHfModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End to end: tiny HF directories and GGUFs through {@link Converter}, read back with GgufFile. */
class ConverterTest {
    @TempDir Path tmp;

    private static byte[] bytes(GgufFile f, String name) {
        return f.data(name).toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void qwen2ToQ4_0HasPolicyMetadataAndGgmlIdenticalBlocks() throws IOException {
        SyntheticHfModel m = new SyntheticHfModel(false, 1);
        Path in = m.write(tmp.resolve("Tiny-Qwen"), 1);
        Path out = tmp.resolve("tiny-q4_0.gguf");
        List<Double> fractions = new ArrayList<>();
        ConversionReport rep = Converter.convert(in, out,
                ConvertOptions.of(TargetType.Q4_0).withProgress(e -> fractions.add(e.fraction())));
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals("qwen2", f.getString("general.architecture"));
            assertEquals("Tiny-Qwen", f.getString("general.name"));
            assertEquals(2, f.getInt("general.file_type"));
            assertEquals(2, f.getInt("general.quantization_version"));
            assertEquals(m.layers, f.getInt("qwen2.block_count"));
            assertEquals("deepseek-r1-qwen", f.getString("tokenizer.ggml.pre"));
            assertEquals("gpt2", f.getString("tokenizer.ggml.model"));
            String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
            assertEquals(m.vocab, tokens.length);
            assertEquals("ab", tokens[5]);
            assertEquals("[PAD30]", tokens[30]);
            int[] types = f.getIntArray("tokenizer.ggml.token_type");
            assertEquals(Vocabulary.TYPE_CONTROL, types[1]);
            assertEquals(Vocabulary.TYPE_USER_DEFINED, types[20]);   // <think>: added, not special
            assertEquals(Vocabulary.TYPE_CONTROL, types[21]);        // <|im_start|>: looks special
            assertEquals(Vocabulary.TYPE_NORMAL, types[5]);
            assertEquals(Vocabulary.TYPE_UNUSED, types[30]);
            assertArrayEquals(new String[] {"a b", "Ġ a", "ab c"}, f.getStringArray("tokenizer.ggml.merges"));
            assertEquals(1, f.getInt("tokenizer.ggml.bos_token_id"));
            assertEquals(2, f.getInt("tokenizer.ggml.eos_token_id"));
            assertTrue(f.getBoolean("tokenizer.ggml.add_bos_token"));
            assertTrue(f.getString("tokenizer.chat_template").contains("messages"));

            assertEquals(GgmlType.F32, f.tensor("blk.0.attn_norm.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.0.attn_q.bias").type());
            assertEquals(GgmlType.Q4_0, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(GgmlType.Q4_0, f.tensor("token_embd.weight").type());
            assertEquals(GgmlType.Q6_K, f.tensor("output.weight").type());
            // The blocks are exactly what our (ggml-identical) quantizer makes of the BF16 input.
            float[] q = m.values.get("model.layers.1.self_attn.q_proj.weight");
            assertArrayEquals(Quantizers.quantize(Q4_0Quantizer.INSTANCE, "q", q, m.heads * m.headDim, m.hidden),
                    bytes(f, "blk.1.attn_q.weight"));
            float[] lm = m.values.get("lm_head.weight");
            assertArrayEquals(Quantizers.quantize(Q6_KQuantizer.INSTANCE, "o", lm, m.vocab, m.hidden), bytes(f, "output.weight"));
            float[] norm = f.tensor("output_norm.weight").type().dequantize(f.data("output_norm.weight"));
            assertArrayEquals(m.values.get("model.norm.weight"), norm);
        }
        assertEquals(1.0, fractions.getLast(), 1e-12);
        ConversionReport.TensorReport qr = rep.tensors().stream().filter(t -> t.name().equals("blk.0.attn_q.weight")).findFirst().orElseThrow();
        assertEquals("Q4_0", qr.type());
        assertTrue(qr.rmse() > 0 && qr.rmse() < 0.01 && qr.maxAbsError() < 0.05, qr.toString());
        assertTrue(rep.bitsPerWeight() > 4 && rep.bitsPerWeight() < 6, "bpw " + rep.bitsPerWeight());
        assertTrue(rep.toJson().contains("\"blk.0.attn_q.weight\""));
        assertNoTempFiles();
    }

    @Test
    void q4KmGivesAttnVAndFfnDownMoreBitsInTheLlamaCppLayers() throws IOException {
        SyntheticHfModel m = new SyntheticHfModel(false, 2);
        Path out = tmp.resolve("km.gguf");
        Converter.convert(m.write(tmp.resolve("m"), 1), out, ConvertOptions.of(TargetType.Q4_K_M));
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(15, f.getInt("general.file_type"));
            // 2 layers: use_more_bits is false for layer 0, true for layer 1 (>= 7*2/8).
            assertEquals(GgmlType.Q4_K, f.tensor("blk.0.attn_v.weight").type());
            assertEquals(GgmlType.Q6_K, f.tensor("blk.1.attn_v.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blk.0.ffn_down.weight").type());
            assertEquals(GgmlType.Q6_K, f.tensor("blk.1.ffn_down.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blk.1.ffn_up.weight").type());
            assertEquals(GgmlType.Q6_K, f.tensor("output.weight").type());
            float[] down = m.values.get("model.layers.0.mlp.down_proj.weight");
            assertArrayEquals(Quantizers.quantize(Q4_KQuantizer.INSTANCE, "d", down, m.hidden, m.ffn),
                    bytes(f, "blk.0.ffn_down.weight"));
        }
        Path pure = tmp.resolve("pure.gguf");
        Converter.convert(tmp.resolve("m"), pure, ConvertOptions.of(TargetType.Q4_K_M).withPure(true));
        try (GgufFile f = GgufFile.open(pure)) {
            assertEquals(GgmlType.Q4_K, f.tensor("blk.1.attn_v.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("output.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blk.1.ffn_norm.weight").type());
        }
    }

    @Test
    void llamaGetsRopeFreqsAndPermutedQk() throws IOException {
        SyntheticHfModel m = new SyntheticHfModel(true, 3);
        Path out = tmp.resolve("llama-f32.gguf");
        Converter.convert(m.write(tmp.resolve("llama"), 2), out, ConvertOptions.of(TargetType.F32));
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals("llama", f.getString("general.architecture"));
            assertEquals("llama-bpe", f.getString("tokenizer.ggml.pre"));
            float[] rope = GgmlType.F32.dequantize(f.data("rope_freqs.weight"));
            assertArrayEquals(Llama3RopeScaling.LLAMA_3_1.ropeFactors(m.headDim, 500000f), rope);
            for (String[] qk : new String[][] {{"q_proj", "attn_q", "" + m.heads}, {"k_proj", "attn_k", "" + m.kvHeads}}) {
                float[] hf = m.values.get("model.layers.1.self_attn." + qk[0] + ".weight");
                float[] gg = GgmlType.F32.dequantize(f.data("blk.1." + qk[1] + ".weight"));
                int rows = hf.length / m.hidden, headRows = rows / Integer.parseInt(qk[2]);
                for (int r = 0; r < rows; r++) {
                    int src = HfTensorNames.ropePermuteSourceRow(r, headRows);
                    for (int c = 0; c < m.hidden; c++) assertEquals(hf[src * m.hidden + c], gg[r * m.hidden + c]);
                }
            }
            // v is not permuted.
            assertArrayEquals(m.values.get("model.layers.0.self_attn.v_proj.weight"),
                    GgmlType.F32.dequantize(f.data("blk.0.attn_v.weight")));
        }
    }

    @Test
    void ggufInputGivesTheSameBytesAsTheHfDirectory() throws IOException {
        SyntheticHfModel m = new SyntheticHfModel(false, 4);
        Path in = m.write(tmp.resolve("src"), 1);
        Path f32 = tmp.resolve("src-f32.gguf"), viaGguf = tmp.resolve("via.gguf"), direct = tmp.resolve("direct.gguf");
        Converter.convert(in, f32, ConvertOptions.of(TargetType.F32));
        Converter.convert(f32, viaGguf, ConvertOptions.of(TargetType.Q4_K_M));
        Converter.convert(in, direct, ConvertOptions.of(TargetType.Q4_K_M));
        try (GgufFile a = GgufFile.open(viaGguf); GgufFile b = GgufFile.open(direct)) {
            assertEquals(b.tensors().size(), a.tensors().size());
            for (GgufTensor t : b.tensors()) {
                assertEquals(t.type(), a.tensor(t.name()).type(), t.name());
                assertArrayEquals(bytes(b, t.name()), bytes(a, t.name()), t.name());
            }
            assertEquals(b.getString("tokenizer.chat_template"), a.getString("tokenizer.chat_template"));
            assertEquals(15, a.getInt("general.file_type"));
        }
        assertEquals(tmp.resolve("src-q4_0.gguf"), Converter.defaultOutput(f32, TargetType.Q4_0));
        assertEquals(tmp.resolve("src-q8_0.gguf"), Converter.defaultOutput(in, TargetType.Q8_0));
    }

    @Test
    void quantizedGgufNeedsAllowRequantize() throws IOException {
        SyntheticHfModel m = new SyntheticHfModel(false, 5);
        Path in = m.write(tmp.resolve("m"), 1);
        Path q8 = tmp.resolve("m-q8_0.gguf");
        Converter.convert(in, q8, ConvertOptions.of(TargetType.Q8_0));
        QuantizeException e = assertThrows(QuantizeException.class,
                () -> Converter.convert(q8, tmp.resolve("re.gguf"), ConvertOptions.of(TargetType.Q4_0)));
        assertTrue(e.getMessage().contains("allow-requantize"), e.getMessage());
        ConversionReport r = Converter.convert(q8, tmp.resolve("re.gguf"), ConvertOptions.of(TargetType.Q4_0).withAllowRequantize(true));
        assertFalse(r.warnings().isEmpty());
    }

    @Test
    void refusesOverwriteWithoutForceAndNeverReplacesTheInput() throws IOException {
        SyntheticHfModel m = new SyntheticHfModel(false, 6);
        Path in = m.write(tmp.resolve("m"), 1);
        Path out = tmp.resolve("out.gguf");
        Files.writeString(out, "precious");
        QuantizeException e = assertThrows(QuantizeException.class, () -> Converter.convert(in, out, ConvertOptions.of(TargetType.Q8_0)));
        assertTrue(e.getMessage().contains("--force"), e.getMessage());
        assertEquals("precious", Files.readString(out));
        Converter.convert(in, out, ConvertOptions.of(TargetType.Q8_0).withForce(true));
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(7, f.getInt("general.file_type"));
        }
        assertThrows(QuantizeException.class, () -> Converter.convert(out, out, ConvertOptions.of(TargetType.Q4_0).withForce(true)));
    }

    @Test
    void nanInATensorFailsNamingItAndLeavesNoOutput() throws IOException {
        SyntheticHfModel m = new SyntheticHfModel(false, 7);
        m.values.get("model.layers.1.mlp.up_proj.weight")[777] = Float.NaN;
        Path in = m.write(tmp.resolve("bad"), 1);
        Path out = tmp.resolve("bad.gguf");
        QuantizeException e = assertThrows(QuantizeException.class, () -> Converter.convert(in, out, ConvertOptions.of(TargetType.Q4_0)));
        assertTrue(e.getMessage().contains("blk.1.ffn_up.weight"), e.getMessage());
        assertFalse(Files.exists(out));
        assertNoTempFiles();
    }

    @Test
    void missingTensorAndMissingTokenizerAreClearErrors() throws IOException {
        SyntheticHfModel m = new SyntheticHfModel(false, 8);
        m.values.remove("model.layers.0.mlp.gate_proj.weight");
        Path in = m.write(tmp.resolve("incomplete"), 1);
        QuantizeException e = assertThrows(QuantizeException.class,
                () -> Converter.convert(in, tmp.resolve("x.gguf"), ConvertOptions.of(TargetType.Q4_0)));
        assertTrue(e.getMessage().contains("blk.0.ffn_gate.weight"), e.getMessage());
        Path in2 = new SyntheticHfModel(false, 9).write(tmp.resolve("notok"), 1);
        Files.delete(in2.resolve("tokenizer.json"));
        e = assertThrows(QuantizeException.class, () -> Converter.convert(in2, tmp.resolve("y.gguf"), ConvertOptions.of(TargetType.Q4_0)));
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
        assertNoTempFiles();
    }

    @Test
    void tooLittleFreeSpaceIsAClearErrorBeforeAnythingIsWritten() throws IOException {
        Path in = new SyntheticHfModel(false, 12).write(tmp.resolve("model"), 1);
        Path out = tmp.resolve("out.gguf");
        List<Path> asked = new ArrayList<>();
        Converter.FreeSpace full = dir -> {
            asked.add(dir);
            return 5_000_000;
        };
        QuantizeException e = assertThrows(QuantizeException.class,
                () -> Converter.convert(in, out, ConvertOptions.of(TargetType.Q4_0), full));
        assertTrue(e.getMessage().contains("MB free for out.gguf, only 5 MB available"), e.getMessage());
        assertEquals(List.of(tmp.toAbsolutePath().normalize()), asked, "asks about OUT's directory");
        assertFalse(Files.exists(out));
        assertNoTempFiles();

        // An existing OUT (with --force) is left as it was.
        Files.writeString(out, "previous");
        assertThrows(QuantizeException.class,
                () -> Converter.convert(in, out, ConvertOptions.of(TargetType.Q4_0).withForce(true), full));
        assertEquals("previous", Files.readString(out));
        assertNoTempFiles();

        // The estimate is the output plus room for the header, not some fixed share of the disk.
        Converter.convert(in, out, ConvertOptions.of(TargetType.Q4_0).withForce(true), dir -> 100_000_000);
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(2, f.getInt("general.file_type"));
        }
    }

    private void assertNoTempFiles() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            List<Path> temps = s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
            assertTrue(temps.isEmpty(), "left behind: " + temps);
        }
    }

}

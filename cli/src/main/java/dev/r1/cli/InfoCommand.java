package dev.r1.cli;

import dev.r1.models.ModelException;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.gguf.GgufTensor;
import dev.r1.models.safetensors.SafetensorsModel;
import dev.r1.models.safetensors.SafetensorsTensor;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Describe a model: shape, parameters, tensor types, tokenizer, template.", "",
                "Also names the R1-Distill preset it matches.", "",
                "MODEL is a GGUF file or a Hugging Face model directory (config.json + safetensors)."})
final class InfoCommand implements Callable<Integer> {

    @Parameters(paramLabel = "MODEL", description = "GGUF file or HF model directory")
    Path model;

    @picocli.CommandLine.Option(names = "--llama", description = "also load the file in llama.cpp and report what it sees")
    boolean llama;

    @picocli.CommandLine.Option(names = "--json", description = "print the description as one JSON object")
    boolean json;

    /** The same facts as the text, for --json. */
    private final Map<String, Object> j = new java.util.LinkedHashMap<>();

    @Override
    public Integer call() {
        // Everything is gathered first: a failure half-way must not leave half a description on stdout.
        var buf = new java.io.ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8);
        if (!Files.exists(model)) throw new ModelException(model + ": no such file or directory");
        if (Files.isDirectory(model)) hf(out);
        else gguf(out);
        if (llama && !Files.isDirectory(model)) {
            var li = dev.r1.engine.llamacpp.LlamaCppModelInfo.of(model);
            out.printf("llama.cpp:     %s, %s params, %s, trained context %d%n", li.desc(), Format.count(li.nParams()),
                    Format.bytes(li.sizeBytes()), li.nCtxTrain());
            j.put("llama_cpp", Map.of("description", li.desc(), "parameters", li.nParams(), "size_bytes", li.sizeBytes(),
                    "trained_context", li.nCtxTrain()));
        }
        if (json) System.out.println(RunJson.write(j));
        else System.out.print(buf.toString(java.nio.charset.StandardCharsets.UTF_8));
        return 0;
    }

    private void gguf(PrintStream out) {
        try (GgufFile f = GgufFile.open(model)) {
            out.printf("file:          %s (GGUF v%d, %s)%n", model, f.version(), Format.bytes(f.fileSize()));
            j.put("file", model.toString());
            j.put("format", "gguf");
            j.put("gguf_version", f.version());
            j.put("size_bytes", f.fileSize());
            f.optString("general.name").ifPresent(n -> {
                out.printf("name:          %s%n", n);
                j.put("name", n);
            });
            ModelConfig c = ModelConfig.fromGguf(f);
            config(out, c);
            Map<String, long[]> byType = new TreeMap<>();
            long params = 0;
            for (GgufTensor t : f.tensors()) {
                long[] a = byType.computeIfAbsent(t.type().name(), k -> new long[3]);
                a[0]++; a[1] += t.nElements(); a[2] += t.byteSize();
                params += t.nElements();
            }
            out.printf("parameters:    %s (%d in %d tensors)%n", Format.count(params), params, f.tensors().size());
            j.put("parameters", params);
            j.put("tensors", f.tensors().size());
            Map<String, Object> types = new java.util.LinkedHashMap<>();
            for (var e : byType.entrySet()) {
                out.printf(Locale.ROOT, "  %-6s %4d tensors %10s params %11s  %.2f bits/weight%n", e.getKey(), e.getValue()[0],
                        Format.count(e.getValue()[1]), Format.bytes(e.getValue()[2]), 8.0 * e.getValue()[2] / e.getValue()[1]);
                types.put(e.getKey(), Map.of("tensors", e.getValue()[0], "parameters", e.getValue()[1], "bytes", e.getValue()[2],
                        "bits_per_weight", 8.0 * e.getValue()[2] / e.getValue()[1]));
            }
            j.put("types", types);
            String tokModel = f.optString("tokenizer.ggml.model").orElse("none");
            if (f.has("tokenizer.ggml.tokens")) {
                int n = f.getArray("tokenizer.ggml.tokens").size();
                int merges = f.has("tokenizer.ggml.merges") ? f.getArray("tokenizer.ggml.merges").size() : 0;
                String[] toks = f.getStringArray("tokenizer.ggml.tokens");
                out.printf("tokenizer:     %s, pre '%s', %d tokens, %d merges, bos %s, eos %s, add_bos %s%n", tokModel,
                        f.optString("tokenizer.ggml.pre").orElse("default"), n, merges,
                        tokenName(f, toks, "tokenizer.ggml.bos_token_id"), tokenName(f, toks, "tokenizer.ggml.eos_token_id"),
                        f.optBoolean("tokenizer.ggml.add_bos_token").map(String::valueOf).orElse("unset"));
                Map<String, Object> t = new java.util.LinkedHashMap<>();
                t.put("model", tokModel);
                t.put("pre", f.optString("tokenizer.ggml.pre").orElse("default"));
                t.put("tokens", n);
                t.put("merges", merges);
                t.put("bos", tokenName(f, toks, "tokenizer.ggml.bos_token_id"));
                t.put("eos", tokenName(f, toks, "tokenizer.ggml.eos_token_id"));
                t.put("add_bos", f.optBoolean("tokenizer.ggml.add_bos_token").orElse(null));
                j.put("tokenizer", t);
            } else {
                out.println("tokenizer:     none in file");
                j.put("tokenizer", null);
            }
            String tpl = f.optString("tokenizer.chat_template").orElse(null);
            out.printf("chat template: %s%n", tpl == null ? "none (r1 uses the built-in R1 template)"
                    : tpl.length() + " chars" + (tpl.contains("<｜Assistant｜>") ? ", DeepSeek-R1 style" : ""));
            j.put("chat_template_chars", tpl == null ? null : tpl.length());
            // what `--backend auto` (run, serve) would pick here and why, and the Java engine's footprint
            dev.r1.engine.Engines.Choice auto = dev.r1.engine.Engines.auto(f);
            long javaBytes = dev.r1.engine.Engines.javaWeightBytes(f);
            out.printf("backend:       auto picks %s: %s; the Java engine holds %s of weights%n", auto.backend(), auto.why(),
                    Format.bytes(javaBytes));
            j.put("auto_backend", auto.backend());
            j.put("auto_backend_why", auto.why());
            j.put("java_weight_bytes", javaBytes);
            // and on a GPU: what --backend cuda uploads (types it has no kernels for go up as F32)
            long cudaBytes = dev.r1.engine.cuda.CudaBackend.deviceWeightBytes(f);
            java.util.Set<String> widened = new java.util.TreeSet<>();
            for (var t : f.tensors()) if (!dev.r1.engine.cuda.CudaBackend.keepsAsStored(t.type())) widened.add(t.type().toString());
            out.printf("cuda:          %s of weights on the device, %s%n", Format.bytes(cudaBytes),
                    widened.isEmpty() ? "every tensor as stored" : String.join("/", widened) + " tensors widened to F32");
            j.put("cuda_weight_bytes", cudaBytes);
        }
    }

    private static String tokenName(GgufFile f, String[] toks, String key) {
        var id = f.optLong(key);
        if (id.isEmpty()) return "none";
        long v = id.getAsLong();
        return v + (v >= 0 && v < toks.length ? " '" + toks[(int) v] + "'" : " (out of range!)");
    }

    private void hf(PrintStream out) {
        Path cfgFile = model.resolve("config.json");
        if (!Files.exists(cfgFile)) throw new ModelException(model + ": not a model directory (no config.json)");
        out.printf("directory:     %s (Hugging Face layout)%n", model);
        j.put("file", model.toString());
        j.put("format", "hf");
        ModelConfig c = ModelConfig.fromHfConfig(cfgFile);
        config(out, c);
        try (SafetensorsModel st = SafetensorsModel.open(model)) {
            Map<String, long[]> byType = new TreeMap<>();
            long params = 0;
            for (SafetensorsTensor t : st.tensors()) {
                long n = 1;
                for (long d : t.shape()) n *= d;
                long[] a = byType.computeIfAbsent(t.dtype().name(), k -> new long[2]);
                a[0]++; a[1] += n;
                params += n;
            }
            out.printf("parameters:    %s in %d tensors, %d file(s)%n", Format.count(params), st.tensors().size(), st.files().size());
            j.put("parameters", params);
            j.put("tensors", st.tensors().size());
            j.put("files", st.files().size());
            Map<String, Object> types = new java.util.LinkedHashMap<>();
            for (var e : byType.entrySet()) {
                out.printf("  %-6s %4d tensors %10s params%n", e.getKey(), e.getValue()[0], Format.count(e.getValue()[1]));
                types.put(e.getKey(), Map.of("tensors", e.getValue()[0], "parameters", e.getValue()[1]));
            }
            j.put("types", types);
        }
        boolean tokJson = Files.exists(model.resolve("tokenizer.json"));
        out.printf("tokenizer:     %s%n", tokJson ? "tokenizer.json" : "missing");
        j.put("tokenizer", tokJson ? "tokenizer.json" : null);
    }

    private void config(PrintStream out, ModelConfig c) {
        j.put("architecture", c.arch().ggufName());
        j.put("preset", Presets.match(c).orElse(null));
        Map<String, Object> shape = new java.util.LinkedHashMap<>();
        shape.put("layers", c.layers());
        shape.put("hidden", c.hidden());
        shape.put("heads", c.heads());
        shape.put("kv_heads", c.kvHeads());
        shape.put("head_dim", c.headDim());
        shape.put("ffn", c.ffn());
        shape.put("vocab", c.vocab());
        shape.put("context", c.contextLength());
        j.put("shape", shape);
        j.put("rope_theta", c.ropeTheta());
        j.put("rms_eps", c.rmsEps());
        j.put("qkv_bias", c.qkvBias());
        j.put("tied_embeddings", c.tiedEmbeddings());
        out.printf("architecture:  %s%n", c.arch().ggufName());
        out.printf("preset:        %s%n", Presets.match(c).orElse("none (not one of the six R1 distills' shapes)"));
        out.printf(Locale.ROOT, "shape:         %d layers, hidden %d, heads %d/%d (head dim %d), ffn %d, vocab %d, context %d%n",
                c.layers(), c.hidden(), c.heads(), c.kvHeads(), c.headDim(), c.ffn(), c.vocab(), c.contextLength());
        out.printf(Locale.ROOT, "rope:          theta %.0f%s; rms eps %.0e; qkv bias %s; tied embeddings %s%n", c.ropeTheta(),
                c.ropeScaling().map(r -> ", llama3 scaling x" + r.factor() + " (low " + r.lowFreqFactor() + ", high "
                        + r.highFreqFactor() + ", original " + r.originalContext() + ")").orElse(""),
                c.rmsEps(), c.qkvBias(), c.tiedEmbeddings());
    }
}

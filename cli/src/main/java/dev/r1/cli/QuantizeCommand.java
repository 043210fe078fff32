package dev.r1.cli;

import dev.r1.models.io.OutputFiles;
import dev.r1.quantize.ConversionReport;
import dev.r1.quantize.ConvertOptions;
import dev.r1.quantize.Converter;
import dev.r1.quantize.TargetType;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Make the R1-Q4 variant (distilled, then INT4) or another GGUF type.", "",
                "The output loads in llama.cpp too. Blocks are byte-identical to ggml's reference quantizers and the",
                "tensor mix follows llama-quantize (norms/biases F32, output.weight Q6_K, ...).", "",
                "IN is a Hugging Face model directory (config.json, tokenizer.json, *.safetensors in",
                "BF16/F16/F32, single or sharded) or an F32/F16/BF16 GGUF. The output is written atomically:",
                "an interrupted run leaves nothing behind, and IN is never modified.", "",
                "Examples:",
                "  r1 quantize --bits 4 ./DeepSeek-R1-Distill-Qwen-7B          (-> ...-q4_0.gguf, R1-Q4)",
                "  r1 quantize --type q4_k_m model-f16.gguf model-q4_k_m.gguf --report err.json"})
final class QuantizeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN", description = "HF model directory or F32/F16/BF16 GGUF")
    Path in;

    @Parameters(index = "1", arity = "0..1", paramLabel = "OUT", description = "output GGUF (default: derived from IN and the type)")
    Path out;

    @Option(names = "--bits", paramLabel = "N", description = "4 = Q4_0 (R1-Q4, default), 8 = Q8_0, 16 = F16, 32 = F32")
    Integer bits;

    @Option(names = "--type", paramLabel = "TYPE", description = {"explicit target, llama-quantize's names and mixes:",
            "q4_k_m, q5_k_m, q5_k_s, q4_k_s, q3_k_m, q3_k_s, q3_k_l, q2_k, q6_k, q4_0, q4_1, q5_0, q5_1,",
            "iq4_nl, iq4_xs, q8_0, f16, bf16, f32"})
    String type;

    @Option(names = "--pure", description = "every 2-D weight gets the target type (turns llama-quantize's mix off)")
    boolean pure;

    @Option(names = "--force", description = "overwrite OUT if it exists")
    boolean force;

    @Option(names = "--allow-requantize", description = "accept an already-quantized GGUF (quality is lost twice)")
    boolean allowRequantize;

    @Option(names = "--imatrix", paramLabel = "FILE", description = {"importance matrix from llama-imatrix (its GGUF format): weights each",
            "column's rounding error as llama-quantize --imatrix does (the same bytes)"})
    Path imatrix;

    @Option(names = "--report", paramLabel = "FILE.json", description = "write per-tensor type, RMSE and max error")
    Path report;

    @Override
    public Integer call() {
        if (bits != null && type != null) throw new IllegalArgumentException("give --bits or --type, not both");
        TargetType target = type != null ? TargetType.parse(type) : TargetType.forBits(bits == null ? 4 : bits);
        Path output = out != null ? out : Converter.defaultOutput(in, target);
        // Every output is checked before the work starts: a bad --report path must not cost a whole run.
        OutputFiles.checkWritable(output, "model", force, "--force");
        if (report != null) {
            OutputFiles.checkWritable(report, "report", true, null);
            if (report.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize()))
                throw new IllegalArgumentException(report + ": --report would overwrite the model; choose another name");
        }
        // read (and checked) before the work starts, as every output path is
        dev.r1.quantize.Imatrix im = imatrix != null ? dev.r1.quantize.Imatrix.read(imatrix) : null;
        Progress bar = new Progress("quantize " + target.fileSuffix(), 1_000_000);
        ConvertOptions opt = ConvertOptions.of(target).withPure(pure).withForce(force).withAllowRequantize(allowRequantize)
                .withMeasureError(report != null) // only the JSON report shows it; it costs ~15% of a Q4_0 run
                .withProgress(e -> bar.update((long) (e.fraction() * 1_000_000)))
                .withImatrix(im);
        ConversionReport r = Converter.convert(in, output, opt);
        bar.done();
        int fellBack = warnings(r.warnings(), r.tensors().size());
        System.out.printf(Locale.ROOT, "%s -> %s (%s%s)%n", r.input(), r.output(), r.target(),
                fellBack > 0 ? ", " + fellBack + " tensors in a fallback type" : "");
        System.out.printf(Locale.ROOT, "size: %s -> %s, %.2f bits/weight over %s weights, %.1fs (%s of input)%n",
                Format.bytes(r.inputBytes()), Format.bytes(r.outputBytes()), r.bitsPerWeight(), Format.count(r.weights()),
                r.seconds(), Format.rate(r.inputBytes(), r.seconds()));
        if (report != null) {
            r.writeJson(report);
            System.out.println("report: " + report);
        }
        return 0;
    }

    /**
     * Prints the converter's warnings; the per-tensor "falling back to" ones (a small model's rows do not
     * fit K-quant blocks) as one line, as llama-quantize does ("N of M tensor(s) required fallback
     * quantization"), the list under -v or in --report. Returns how many tensors fell back.
     */
    private int warnings(List<String> warnings, int tensors) {
        Map<String, Integer> fallbacks = new LinkedHashMap<>();
        int n = 0;
        for (String w : warnings) {
            int at = w.indexOf(": rows of ");
            if (at > 0 && w.contains("falling back to")) {
                fallbacks.merge(w.substring(at + 2), 1, Integer::sum);
                n++;
                if (verbose()) System.err.println("warning: " + w);
            } else {
                System.err.println("warning: " + w);
            }
        }
        if (n > 0) {
            StringBuilder sb = new StringBuilder();
            for (var e : fallbacks.entrySet()) sb.append(sb.isEmpty() ? "" : "; ").append(e.getValue()).append("x ").append(e.getKey());
            System.err.printf(Locale.ROOT, "warning: %d of %d tensors required fallback quantization: %s%s%n", n, tensors, sb,
                    verbose() || report != null ? "" : " (-v or --report FILE lists them)");
        }
        return n;
    }

    private static boolean verbose() {
        return Logs.verbose;
    }
}

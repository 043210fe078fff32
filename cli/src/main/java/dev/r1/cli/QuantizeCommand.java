package dev.r1.cli;

import dev.r1.quantize.ConversionReport;
import dev.r1.quantize.ConvertOptions;
import dev.r1.quantize.Converter;
import dev.r1.quantize.TargetType;
import java.nio.file.Path;
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

    @Option(names = "--bits", paramLabel = "N", description = "4 = Q4_0 (R1-Q4, default), 8 = Q8_0, 16 = F16")
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

    @Option(names = "--report", paramLabel = "FILE.json", description = "write per-tensor type, RMSE and max error")
    Path report;

    @Override
    public Integer call() {
        if (bits != null && type != null) throw new IllegalArgumentException("give --bits or --type, not both");
        TargetType target = type != null ? TargetType.parse(type) : TargetType.forBits(bits == null ? 4 : bits);
        Path output = out != null ? out : Converter.defaultOutput(in, target);
        Progress bar = new Progress("quantize " + target.fileSuffix(), 1_000_000);
        ConvertOptions opt = ConvertOptions.of(target).withPure(pure).withForce(force).withAllowRequantize(allowRequantize)
                .withMeasureError(report != null) // only the JSON report shows it; it costs ~15% of a Q4_0 run
                .withProgress(e -> bar.update((long) (e.fraction() * 1_000_000)));
        ConversionReport r = Converter.convert(in, output, opt);
        bar.done();
        for (String w : r.warnings()) System.err.println("warning: " + w);
        System.out.printf(Locale.ROOT, "%s -> %s (%s)%n", r.input(), r.output(), r.target());
        System.out.printf(Locale.ROOT, "size: %s -> %s, %.2f bits/weight over %s weights, %.1fs (%.0f MB/s of input)%n",
                Format.bytes(r.inputBytes()), Format.bytes(r.outputBytes()), r.bitsPerWeight(), Format.count(r.weights()),
                r.seconds(), r.inputMBps());
        if (report != null) {
            r.writeJson(report);
            System.out.println("report: " + report);
        }
        return 0;
    }
}

package dev.r1.cli;

import dev.r1.engine.Model;
import dev.r1.engine.eval.EvalException;
import dev.r1.engine.eval.EvalModels;
import dev.r1.engine.eval.ImportanceMatrix;
import dev.r1.engine.eval.Windows;
import dev.r1.models.io.OutputFiles;
import dev.r1.quantize.Imatrix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "imatrix", mixinStandardHelpOptions = true,
        description = {"An importance matrix for quantization, in llama-imatrix's GGUF format: how strongly each input column",
                "of every weight matrix is used on a text (the sum of its squared activations and the token count), so that",
                "`r1 quantize --imatrix` (or llama-quantize) rounds the columns that matter more carefully. Low-bit types",
                "(Q4_K_M and below, IQ4) gain the most; use a text like what the model will read (several hundred kB).", "",
                "The text is cut as llama-imatrix cuts it: windows of --ctx tokens, BOS over each window's first token,",
                "--batch / --ctx windows decoded together in micro-batches of --ubatch rows; products of fewer than 16 rows",
                "are skipped. Our engine runs the model (it shows its activations), so the file matches llama-imatrix's.", "",
                "Examples:",
                "  r1 imatrix model-f16.gguf --text calibration.txt -o imatrix.gguf",
                "  r1 quantize --type q4_k_m --imatrix imatrix.gguf model-f16.gguf model-q4_k_m.gguf",
                "  r1 imatrix model-f16.gguf --text wiki.train.raw --ctx 512 --chunks 100 -o wiki.imatrix.gguf --force"})
final class ImatrixCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "GGUF model (best the unquantized F16/BF16/F32 one you will quantize)")
    Path model;

    @Option(names = {"--text", "-f"}, required = true, paramLabel = "FILE", description = "UTF-8 calibration text")
    Path text;

    @Option(names = {"-o", "--output"}, defaultValue = "imatrix.gguf", paramLabel = "FILE",
            description = "where to write the matrix (default: ${DEFAULT-VALUE})")
    Path output;

    @Option(names = "--force", description = "overwrite --output if it exists")
    boolean force;

    @Option(names = {"-c", "--ctx"}, defaultValue = "512", description = "window length in tokens (default: ${DEFAULT-VALUE}, as llama-imatrix)")
    int ctx;

    @Option(names = "--chunks", defaultValue = "0", description = "use at most N windows (default: all)")
    int chunks;

    @Option(names = {"-b", "--batch"}, defaultValue = "2048", description = "tokens per decode: batch/ctx windows go together (default: ${DEFAULT-VALUE}, as llama-imatrix)")
    int batch;

    @Option(names = {"-ub", "--ubatch"}, defaultValue = "512", description = "rows per matrix product (default: ${DEFAULT-VALUE}, as llama-imatrix)")
    int ubatch;

    @Option(names = "--process-output", description = "also collect output.weight (llama-imatrix leaves it out by default)")
    boolean processOutput;

    @Option(names = {"-t", "--threads"}, description = "CPU threads (default: all cores)")
    Integer threads;

    @Override
    public Integer call() {
        if (ctx < 4) throw new EvalException("--ctx must be at least 4, got " + ctx);
        if (chunks < 0) throw new EvalException("--chunks must be >= 0 (0 = all), got " + chunks);
        if (!Files.isRegularFile(text)) throw new EvalException("--text " + text + ": no such file");
        OutputFiles.checkWritable(output, "importance matrix", force, "--force");
        String body;
        try {
            body = Files.readString(text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new EvalException("cannot read --text " + text + " (" + e.getMessage() + "); it must be UTF-8 text");
        }
        // llama.cpp's -f drops one trailing newline.
        if (body.endsWith("\n")) body = body.substring(0, body.length() - 1);
        int thr = RunCommand.threads(threads);
        ImportanceMatrix.Options opt = new ImportanceMatrix.Options(batch, ubatch, processOutput);
        Progress[] bar = new Progress[1];
        ImportanceMatrix.Result r;
        try (Model m = EvalCommand.load("java", model, thr)) {
            Windows w = EvalModels.windows(m, body, ctx, chunks);
            int nSeq = Math.max(1, batch / ctx);
            System.err.printf(Locale.ROOT, "%d windows of %d tokens (of %d in the text)%s, %d per decode%n", w.chunks(), ctx,
                    w.tokens().length, w.bos() >= 0 ? ", BOS over each window's first token" : "", Math.min(nSeq, w.chunks()));
            r = ImportanceMatrix.run(m, w, opt, thr, EvalCommand.bar("imatrix", bar));
        }
        if (bar[0] != null) bar[0].done();
        Imatrix.write(output, r.sums(), r.counts(), List.of(text.toString()), r.chunkCount(), r.chunkSize(), force);
        int cols = r.sums().values().stream().mapToInt(a -> a.length).sum();
        System.out.printf(Locale.ROOT, "imatrix: %s: %d matrices (%d columns), %d windows of %d tokens, %.1fs (%.0f tokens/s)%n",
                output, r.sums().size(), cols, r.windows(), r.chunkSize(), r.seconds(), r.tokens() / r.seconds());
        System.out.printf(Locale.ROOT, "use it: r1 quantize --type q4_k_m --imatrix %s %s OUT.gguf%n", output, model);
        return 0;
    }
}

package dev.r1.engine.cuda;

import static dev.r1.engine.Logits.argmax;
import static dev.r1.engine.Logits.kl;
import dev.r1.engine.cpu.CpuBackend;
import dev.r1.engine.model.Backend;
import dev.r1.engine.model.ModelWeights;
import dev.r1.engine.model.Transformer;
import dev.r1.models.config.ModelConfig;
import dev.r1.models.config.Presets;
import dev.r1.models.gguf.GgufFile;
import dev.r1.models.tensor.GgmlType;
import dev.r1.quantize.synth.SyntheticModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * The GPU machine's one check (native/cuda/device-check.sh runs it): every kernel against the CPU backend
 * ({@link KernelCheck}), greedy parity and KL against the CPU backend on the tiny presets through the one
 * {@link Transformer} (eager and CUDA-graph decode), and batch-1 latency on synthesized 1.5B- and 7B-shaped
 * Q4_0 models: TTFT and prefill tok/s for 512 tokens, decode ms/token p50/p99 at depth 512 (graph replay),
 * and the share of the HBM roofline (weights + KV bytes per token over a device-copy bandwidth measured
 * in the same run). Prints a table last; exits 1 if a check fails.
 *
 * <p>Usage: {@code DeviceCheck [--dir DIR] [--budget-s S] [--models 1.5b,7b] [--bench-only]}; models are synthesized into
 * DIR (default /tmp/r1-device) when absent. A model is skipped, with a row saying so, once S seconds
 * (default 360) have passed.
 */
public final class DeviceCheck {
    static final double MAX_KL = 1e-3;
    private final List<String> table = new ArrayList<>();
    private boolean failed;
    private final long start = System.nanoTime();

    public static void main(String[] args) throws Exception {
        Path dir = Path.of("/tmp/r1-device");
        double budget = 360;
        List<String> models = List.of("1.5b", "7b");
        boolean benchOnly = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[++i]);
                case "--budget-s" -> budget = Double.parseDouble(args[++i]);
                case "--models" -> models = List.of(args[++i].split(","));
                case "--bench-only" -> benchOnly = true; // e.g. under a profiler
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--dir, --budget-s, --models, --bench-only)");
            }
        }
        String why = CudaBackend.unavailableReason();
        if (why != null) {
            System.err.println("r1 device-check: " + why);
            System.exit(2);
        }
        Files.createDirectories(dir);
        DeviceCheck c = new DeviceCheck();
        if (!benchOnly) {
            c.kernels();
            c.parity(dir);
        }
        for (String m : models) {
            if (c.elapsed() > budget) c.row("bench " + m + ": skipped, " + (int) c.elapsed() + " s of the " + (int) budget + " s budget used");
            else c.bench(dir, m);
        }
        System.out.println();
        System.out.println("==== r1 CUDA device check (" + (int) c.elapsed() + " s) ====");
        c.table.forEach(System.out::println);
        System.out.println(c.failed ? "RESULT: FAIL" : "RESULT: ok");
        System.exit(c.failed ? 1 : 0);
    }

    double elapsed() { return (System.nanoTime() - start) / 1e9; }

    void row(String s) {
        table.add(s);
        System.out.println(s); // also as it happens, in case the run is cut short
    }

    void kernels() {
        try (CpuBackend cpu = new CpuBackend(4); CudaBackend gpu = new CudaBackend()) {
            row(String.format("device: %s, sm_%d, %d SMs, %.1f GiB; prefill GEMM: %s", gpu.device().name, gpu.device().sm,
                    gpu.device().multiprocessors, gpu.device().totalBytes / 1073741824.0, gpu.gemmPath()));
            for (KernelCheck.Row r : new KernelCheck(cpu, gpu, 7).run()) {
                failed |= !r.ok();
                row("kernel " + r);
            }
        }
    }

    static Function<dev.r1.models.config.TensorLayout.TensorSpec, GgmlType> types(String mix) {
        return switch (mix) {
            case "K_MIX" -> s -> s.isVector() ? GgmlType.F32
                    : s.name().equals("blk.0.ffn_down.weight") ? GgmlType.Q4_K
                    : s.name().equals("blk.1.ffn_down.weight") ? GgmlType.Q6_K : GgmlType.Q8_0;
            // the other types with kernels of their own; K-quants only where the tiny presets have rows of 256 (ffn_down).
            // Q2_K and IQ4_XS are checked op by op (KernelCheck): on tiny-llama's ffn_down (the only other place) their
            // whole-model KL against the CPU came to 1.3-1.9e-3 over 24 steps, as IQ4_NL or Q5_0 alone did up to 2.4e-3
            // at a step: the 8-bit activations of both backends flip a rounding where a float sum order differs, and
            // the random tiny models amplify it (the F16 case, without 8-bit activations, stays at 1e-6)
            case "MORE_MIX" -> s -> s.isVector() ? GgmlType.F32 : switch (s.name().replaceFirst("^blk\\.\\d+\\.", "")) {
                case "ffn_down.weight" -> s.name().startsWith("blk.0.") ? GgmlType.Q5_K : GgmlType.Q3_K;
                case "attn_q.weight", "ffn_up.weight" -> GgmlType.Q4_1;
                case "attn_k.weight", "token_embd.weight" -> GgmlType.Q5_0;
                case "attn_v.weight", "ffn_gate.weight" -> GgmlType.Q5_1;
                default -> GgmlType.IQ4_NL; // attn_output, output
            };
            default -> s -> s.isVector() ? GgmlType.F32 : GgmlType.valueOf(mix);
        };
    }

    static Path synth(Path dir, String preset, String mix, int fileType) {
        Path out = dir.resolve(preset + "-" + mix + ".gguf");
        if (Files.exists(out)) return out;
        ModelConfig cfg = Presets.get(preset);
        SyntheticModel.write(out, true, cfg, preset, 1234, types(mix),
                SyntheticModel.numberedVocabulary(cfg.vocab()).toGgufMetadata(cfg.vocab()), fileType, b -> {});
        return out;
    }

    /** A Transformer on {@code be} over the model at {@code path} (file kept open while the Transformer lives). */
    record Model(GgufFile file, Transformer tr) implements AutoCloseable {
        static Model open(Path path, Backend be, int ctx, int batch) {
            return open(path, be, ctx, batch, true);
        }

        static Model open(Path path, Backend be, int ctx, int batch, boolean f16Kv) {
            GgufFile f = GgufFile.open(path);
            ModelConfig cfg = ModelConfig.fromGguf(f);
            return new Model(f, new Transformer(ModelWeights.load(f, cfg, be), be, ctx, batch, f16Kv));
        }

        @Override public void close() {
            tr.close();
            file.close();
        }
    }

    void parity(Path dir) {
        String[][] cases = {{"tiny-qwen2", "Q4_0"}, {"tiny-qwen2", "Q8_0"}, {"tiny-qwen2", "K_MIX"}, {"tiny-qwen2", "F16"},
                {"tiny-llama", "Q4_0"}, {"tiny-llama", "K_MIX"}, {"tiny-llama", "F32"}, {"tiny-qwen2", "MORE_MIX"},
                {"tiny-llama", "BF16"}};
        for (String[] c : cases) {
            Path p = synth(dir, c[0], c[1], c[1].equals("Q4_0") ? 2 : 7);
            try (Model cpu = Model.open(p, new CpuBackend(4), 256, 32); Model gpu = Model.open(p, new CudaBackend(), 256, 32)) {
                row(parityRow(c[0] + " " + c[1], cpu.tr, gpu.tr, 40));
            } catch (RuntimeException e) {
                failed = true;
                row("parity " + c[0] + " " + c[1] + ": FAIL " + e);
            }
        }
        // a prompt past CudaBackend.F16_PREFILL_MIN in one chunk: prefill through the F16 GEMM (the default
        // 'auto' policy), decode as above; the KL here is what that rounding costs against the CPU backend
        for (String[] c : new String[][] {{"tiny-qwen2", "Q4_0"}, {"tiny-llama", "K_MIX"}}) {
            Path p = synth(dir, c[0], c[1], c[1].equals("Q4_0") ? 2 : 7);
            try (Model cpu = Model.open(p, new CpuBackend(4), 256, 128); Model gpu = Model.open(p, new CudaBackend(), 256, 128)) {
                // reported, not judged: the F16 GEMM rounds activations to 11 bits where the CPU quantizes
                // them to 8, a different function by design (-Dr1.cuda.prefill=exact keeps the exact path)
                row(parity(c[0] + " " + c[1] + " p128", cpu.tr, gpu.tr, 24, 128) + " [F16 prefill: info only]");
            } catch (RuntimeException e) {
                failed = true;
                row("parity " + c[0] + " " + c[1] + ": FAIL " + e);
            }
        }
    }

    /**
     * Greedy agreement and KL against the CPU backend. Verdicts: "ok" meets the target (same greedy
     * picks, KL < 1e-3 at every position); "near" (quantized weights only) has the same picks but for at most
     * one near-tie, mean KL < 1e-3 and max KL < 1e-2: the 8-bit activation quantization both backends share
     * turns float-order differences of ~1e-7 into whole-quantum flips now and then, which tiny models feel
     * (F16/F32 weights, with no such quantization, agree to KL ~1e-6).
     */
    public record Parity(String what, int same, int steps, double klMean, double klMax, boolean quantized) {
        public String verdict() {
            if (same == steps && klMax < MAX_KL) return "ok";
            if (quantized && same >= steps - 1 && klMean < MAX_KL && klMax < 1e-2) return "near";
            return "FAIL";
        }

        @Override public String toString() {
            return String.format("parity %-18s %-4s greedy %d/%d same, KL mean %.1e max %.1e (target %.0e; later half by graph replay)",
                    what, verdict(), same, steps, klMean, klMax, MAX_KL);
        }
    }

    String parityRow(String what, Transformer cpu, Transformer gpu, int promptLen) {
        Parity p = parity(what, cpu, gpu, 24, promptLen);
        failed |= p.verdict().equals("FAIL");
        return p.toString();
    }

    /**
     * A random prompt (40 tokens: a 32-token prefill chunk, then 8 by matvec, at a batch of 32), then greedy
     * steps: half eager, half graph replays.
     */
    static Parity parity(String what, Transformer cpu, Transformer gpu, int steps, int promptLen) {
        int vocab = cpu.config().vocab();
        Random r = new Random(3);
        int[] prompt = new int[promptLen];
        for (int i = 0; i < prompt.length; i++) prompt[i] = r.nextInt(vocab);
        float[] a = new float[vocab], b = new float[vocab];
        cpu.forward(prompt, 0, prompt.length, 0, a, null);
        gpu.forward(prompt, 0, prompt.length, 0, b, null);
        CudaBackend be = (CudaBackend) gpu.backend();
        int[] tok = new int[1];
        CudaBackend.Captured step = null;
        double klMax = 0, klSum = 0;
        int same = 0;
        try {
            for (int i = 0; i < steps; i++) {
                double kl = kl(a, b);
                klMax = Math.max(klMax, kl);
                klSum += kl;
                int pick = argmax(a);
                if (pick == argmax(b)) same++;
                int pos = prompt.length + i;
                tok[0] = pick;
                cpu.forward(tok, 0, 1, pos, a, null);
                if (i < steps / 2) gpu.forward(tok, 0, 1, pos, b, null);
                else {
                    if (step == null) step = be.capture(() -> gpu.forward(tok, 0, 1, pos, b, null));
                    step.run(pick, pos);
                }
            }
        } finally {
            if (step != null) step.close();
        }
        boolean quantized = !(what.endsWith("F16") || what.endsWith("F32"));
        return new Parity(what, same, steps, klSum / steps, klMax, quantized);
    }




    void bench(Path dir, String size) {
        String preset = "r1-distill-qwen-" + size;
        long t0 = System.nanoTime();
        Path p = synth(dir, preset, "Q4_0", 2);
        double synthS = (System.nanoTime() - t0) / 1e9;
        try (CudaBackend be = new CudaBackend(); Model m = Model.open(p, be, 1024, 512)) {
            row(Bench.run(preset + " Q4_0", m.tr, be, synthS));
            Bench.profile(m.tr, be, 14).forEach(System.out::println); // the log, not the table
        } catch (RuntimeException e) {
            failed = true;
            row("bench " + preset + ": FAIL " + e);
        }
    }
}

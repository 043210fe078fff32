package dev.r1.engine.cuda;

import dev.r1.engine.cpu.CpuBackend;
import java.nio.file.Path;

/**
 * Runs in a JVM whose libcuda.so.1 is the host emulator (native/cuda/test/emu): every kernel against the
 * CPU backend at small shapes, then tiny-preset parity (eager and graph replay) through the Transformer:
 * two models (Q4_0 and a mix of the other types) and 8 steps by default (CI time), five models and 24 steps with -Dr1.cuda.emulate.full=true.
 * Prints a row per check; exit status 1 if one failed. Started by {@link CudaEmulatorTest}.
 */
public final class EmulatorCheck {
    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        boolean failed = false;
        long t0 = System.nanoTime();
        boolean parityOnly = args.length > 1 && args[1].equals("parity");
        if (!parityOnly) try (CpuBackend cpu = new CpuBackend(1); CudaBackend gpu = new CudaBackend()) {
            System.out.println("device: " + gpu.name() + "; prefill GEMM: " + gpu.gemmPath());
            for (KernelCheck.Row r : new KernelCheck(cpu, gpu, 7, true).run()) {
                failed |= !r.ok();
                System.out.println("kernel " + r);
            }
        }
        System.out.printf("(kernels: %.1f s)%n", (System.nanoTime() - t0) / 1e9);
        boolean full = Boolean.getBoolean("r1.cuda.emulate.full");
        String[][] cases = full ? new String[][] {{"tiny-qwen2", "Q4_0"}, {"tiny-llama", "K_MIX"}, {"tiny-qwen2", "F16"},
                {"tiny-qwen2", "MORE_MIX"}, {"tiny-llama", "BF16"}}
                : new String[][] {{"tiny-qwen2", "Q4_0"}, {"tiny-qwen2", "MORE_MIX"}};
        for (String[] c : cases) {
            Path p = DeviceCheck.synth(dir, c[0], c[1], c[1].equals("Q4_0") ? 2 : 7);
            try (var cpu = DeviceCheck.Model.open(p, new CpuBackend(1), 256, 32);
                 var gpu = DeviceCheck.Model.open(p, new CudaBackend(), 256, 32)) {
                DeviceCheck.Parity r = DeviceCheck.parity(c[0] + " " + c[1], cpu.tr(), gpu.tr(), full ? 24 : 8, 40);
                failed |= r.verdict().equals("FAIL");
                System.out.printf("%s (%.1f s)%n", r, (System.nanoTime() - t0) / 1e9);
            }
        }
        failed |= !batchedStepMatchesAlone(dir);
        failed |= !replayedSessionMatchesPlain(dir);
        failed |= !abortedRecordingFallsBack(dir);
        failed |= !replayForgetsQuantizedActivations(dir);
        System.out.println(failed ? "RESULT: FAIL" : "RESULT: ok");
        System.exit(failed ? 1 : 0);
    }

    /**
     * A session's decode steps replayed from a recorded graph, with activations quantized by their
     * producers, give the logits a plain decode gives (each matvec quantizing its input), bit for bit,
     * through a longer second prompt (which grows scratch memory: the step must be recorded again)
     * and a reset; recordings are counted.
     */
    static boolean replayedSessionMatchesPlain(Path dir) {
        Path p = DeviceCheck.synth(dir, "tiny-qwen2", "Q4_0", 2);
        CudaBackend be = new CudaBackend();
        int[][] prompts = {seq(10, 3), seq(40, 5), seq(20, 7)}; // the second grows the q8 scratch (exact path below 64 tokens)
        boolean ok = true;
        try (dev.r1.engine.model.JavaModel m = dev.r1.engine.model.JavaModel.load(p, t -> be, 1)) {
            dev.r1.engine.SessionOptions o = new dev.r1.engine.SessionOptions(1, 256, 128);
            try (dev.r1.engine.Session g = m.newSession(o); dev.r1.engine.Session e = m.newSession(o)) {
                int steps = 0, same = 0;
                for (int[] prompt : prompts) {
                    if (prompt == prompts[2]) {
                        g.reset();
                        e.reset();
                    }
                    g.prefill(prompt);
                    e.prefill(prompt);
                    float[] lg = g.lastLogits(), le = e.lastLogits();
                    for (int k = 0; k < 5; k++, steps++) {
                        if (java.util.Arrays.equals(lg, le)) same++;
                        int t = dev.r1.engine.Logits.argmax(le);
                        lg = g.decode(t);
                        le = plainDecode(e, t, be); // and every matvec quantizing its own input
                    }
                }
                ok = same == steps && be.captures() >= 2;
                System.out.println("session decode by graph replay + fused q8 vs plain: " + (ok ? "ok" : "FAIL") + ", " + same + "/" + steps
                        + " steps bit-identical, " + be.captures() + " recordings");
            }
        }
        return ok;
    }

    /**
     * A recording that cannot be made (a session with a longer context, opened after this session's first
     * decode, needs more attention scratch than that decode sized) is abandoned: the step runs plainly, the
     * next one is recorded, and the logits stay those of a plain session, bit for bit.
     */
    static boolean abortedRecordingFallsBack(Path dir) {
        Path p = DeviceCheck.synth(dir, "tiny-qwen2", "Q4_0", 2);
        CudaBackend be = new CudaBackend();
        boolean ok;
        try (dev.r1.engine.model.JavaModel m = dev.r1.engine.model.JavaModel.load(p, t -> be, 1)) {
            dev.r1.engine.SessionOptions small = new dev.r1.engine.SessionOptions(1, 64, 32);
            try (dev.r1.engine.Session g = m.newSession(small); dev.r1.engine.Session e = m.newSession(small)) {
                int[] prompt = seq(12, 9);
                g.prefill(prompt);
                e.prefill(prompt);
                float[] lg = g.lastLogits(), le = e.lastLogits();
                int same = 0, steps = 5, before = -1, afterK1 = -1;
                dev.r1.engine.Session big = null;
                try {
                    for (int k = 0; k < steps; k++) {
                        if (java.util.Arrays.equals(lg, le)) same++;
                        if (k == 1) { // g decoded once plainly; its next decode would record
                            big = m.newSession(new dev.r1.engine.SessionOptions(1, 256, 32));
                            before = be.captures();
                        }
                        int t = dev.r1.engine.Logits.argmax(le);
                        lg = g.decode(t);
                        if (k == 1) afterK1 = be.captures();
                        le = plainDecode(e, t, null);
                    }
                } finally {
                    if (big != null) big.close();
                }
                // k=1's recording abandoned (none made), k=2 recorded
                ok = same == steps && afterK1 == before && be.captures() == before + 1;
                System.out.println("an abandoned recording falls back to a plain step: " + (ok ? "ok" : "FAIL") + ", " + same + "/" + steps
                        + " steps bit-identical, " + (be.captures() - before) + " recording(s) after the longer context");
            }
        }
        return ok;
    }

    /**
     * An activation quantized by its norm (held in the shared q8 scratch), then another session's recorded
     * step replayed (which rewrites that scratch), then a matvec of the activation: it must quantize again,
     * not use what the replay left. Checked against the CPU backend on the same inputs.
     */
    static boolean replayForgetsQuantizedActivations(Path dir) {
        Path p = DeviceCheck.synth(dir, "tiny-qwen2", "Q4_0", 2);
        CudaBackend be = new CudaBackend();
        boolean ok;
        try (dev.r1.engine.model.JavaModel m = dev.r1.engine.model.JavaModel.load(p, t -> be, 1);
             dev.r1.engine.cpu.CpuBackend cpu = new dev.r1.engine.cpu.CpuBackend(1);
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            int dim = m.config().hidden(), rows = 96;
            java.util.Random rnd = new java.util.Random(5);
            float[] xv = new float[dim], wv = new float[dim];
            for (int i = 0; i < dim; i++) {
                xv[i] = (float) rnd.nextGaussian();
                wv[i] = 1f + 0.1f * (float) rnd.nextGaussian();
            }
            java.lang.foreign.MemorySegment data = KernelCheck.randomRows(rnd, dev.r1.models.tensor.GgmlType.Q4_0, rows, dim, arena);
            dev.r1.engine.model.Backend.Buffer[] x = {cpu.vector(xv), be.vector(xv)}, w = {cpu.vector(wv), be.vector(wv)},
                    n = {cpu.buffer(dim), be.buffer(dim)}, y = {cpu.buffer(rows), be.buffer(rows)};
            dev.r1.engine.model.Backend.Matrix[] mat = {cpu.matrix("w", dev.r1.models.tensor.GgmlType.Q4_0, rows, dim, data),
                    be.matrix("w", dev.r1.models.tensor.GgmlType.Q4_0, rows, dim, data)};
            try (dev.r1.engine.Session g = m.newSession(new dev.r1.engine.SessionOptions(1, 64, 32))) {
                g.prefill(seq(6, 4));
                float[] l = g.decode(dev.r1.engine.Logits.argmax(g.lastLogits())); // plain
                l = g.decode(dev.r1.engine.Logits.argmax(l));                      // recorded, replayed
                dev.r1.engine.model.Backend[] bs = {cpu, be};
                be.setStep(be.step(1), 1, new dev.r1.engine.model.Backend.Cache[1], new int[] {0}); // a one-row step: norms quantize
                for (int i = 0; i < 2; i++) bs[i].rmsNorm(x[i], w[i], 1e-6f, 1, dim, n[i]); // on CUDA: into the q8 scratch too
                g.decode(dev.r1.engine.Logits.argmax(l)); // a replay: the q8 scratch now holds this model's activations
                for (int i = 0; i < 2; i++) bs[i].matmul(n[i], 1, new dev.r1.engine.model.Backend.Matrix[] {mat[i]},
                        new dev.r1.engine.model.Backend.Buffer[] {y[i]});
            }
            float[] a = new float[rows], b = new float[rows];
            cpu.toHost(y[0], 0, rows, a);
            be.toHost(y[1], 0, rows, b);
            double rel = KernelCheck.relErr(a, b);
            ok = rel <= 2e-5;
            System.out.printf("a replay between an activation's quantization and its matvec: %s (rel err %.1e)%n", ok ? "ok" : "FAIL", rel);
        }
        return ok;
    }

    /** A decode step without a recorded graph; with {@code unfused} non-null, without fused q8 activations either. */
    private static float[] plainDecode(dev.r1.engine.Session s, int token, CudaBackend unfused) {
        System.setProperty("r1.cuda.graphs", "false");
        if (unfused != null) unfused.fuseQuantize(false);
        try {
            return s.decode(token);
        } finally {
            System.clearProperty("r1.cuda.graphs");
            if (unfused != null) unfused.fuseQuantize(true);
        }
    }

    private static int[] seq(int n, int seed) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = (i * 37 + seed * 11) % 500 + 3;
        return t;
    }

    /**
     * Sessions of one model on the CUDA backend: two sequences decoded in one step (a launch per sequence
     * for RoPE and attention, one for each matmul) give the greedy tokens each gives alone.
     */
    static boolean batchedStepMatchesAlone(Path dir) {
        Path p = DeviceCheck.synth(dir, "tiny-qwen2", "Q8_0", 7);
        int[][] prompts = {{11, 42, 7, 300, 5}, {9, 8, 7}};
        int steps = 6;
        try (dev.r1.engine.model.JavaModel m = dev.r1.engine.model.JavaModel.load(p, t -> new CudaBackend(), 1)) {
            dev.r1.engine.SessionOptions o = new dev.r1.engine.SessionOptions(1, 64, 8);
            int[][] alone = new int[2][steps], together = new int[2][steps];
            for (int i = 0; i < 2; i++) {
                try (dev.r1.engine.Session s = m.newSession(o)) {
                    s.prefill(prompts[i]);
                    float[] l = s.lastLogits();
                    for (int k = 0; k < steps; k++) l = s.decode(alone[i][k] = dev.r1.engine.Logits.argmax(l));
                }
            }
            try (dev.r1.engine.Session a = m.newSession(o); dev.r1.engine.Session b = m.newSession(o)) {
                dev.r1.engine.Session[] ss = {a, b};
                int[] next = new int[2];
                for (int i = 0; i < 2; i++) {
                    ss[i].prefill(prompts[i]);
                    next[i] = dev.r1.engine.Logits.argmax(ss[i].lastLogits());
                }
                for (int k = 0; k < steps; k++) {
                    for (int i = 0; i < 2; i++) together[i][k] = next[i];
                    float[][] l = m.decodeBatch(ss, next);
                    for (int i = 0; i < 2; i++) next[i] = dev.r1.engine.Logits.argmax(l[i]);
                }
            }
            boolean ok = java.util.Arrays.deepEquals(alone, together);
            System.out.println("batched step of 2 sequences vs each alone: " + (ok ? "ok" : "FAIL") + " " + java.util.Arrays.deepToString(alone)
                    + (ok ? "" : " vs " + java.util.Arrays.deepToString(together)));
            // a session that copies another's prefilled cache (Session.copyFrom) continues as the prefilled one
            int[] copied = new int[steps];
            try (dev.r1.engine.Session a = m.newSession(o); dev.r1.engine.Session c = m.newSession(o)) {
                c.prefill(prompts[1]);
                a.prefill(prompts[0]);
                boolean could = c.copyFrom(a, prompts[0].length);
                float[] l = c.lastLogits();
                for (int k = 0; k < steps; k++) l = c.decode(copied[k] = dev.r1.engine.Logits.argmax(l));
                boolean same = could && java.util.Arrays.equals(alone[0], copied);
                System.out.println("a copied cache vs the prefilled one: " + (same ? "ok" : "FAIL " + java.util.Arrays.toString(copied)));
                ok &= same;
            }
            return ok;
        }
    }
}

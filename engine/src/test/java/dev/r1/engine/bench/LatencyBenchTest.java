package dev.r1.engine.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The warm-up's steady-state rule: another warm-up while a run's 90th-percentile step is past 1.5x its median. */
class LatencyBenchTest {
    /**
     * The engine's own warm-up runs once, before any run the bench times: the settle rule alone cannot tell a run whose
     * kernels are all still uncompiled from a compiled one (both steady), and such runs were measured (session 27).
     */
    @Test
    void theModelsWarmUpRunsBeforeTheFirstRun() {
        java.util.List<String> calls = new java.util.ArrayList<>();
        dev.r1.engine.Model model = (dev.r1.engine.Model) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {dev.r1.engine.Model.class}, (proxy, m, args) -> switch (m.getName()) {
                    case "warmUp" -> { calls.add("warmUp"); yield null; }
                    case "backend" -> "java";
                    case "vocabSize" -> 100;
                    case "isEog" -> false;
                    case "bos" -> 0;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        dev.r1.engine.Session session = (dev.r1.engine.Session) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {dev.r1.engine.Session.class}, (proxy, m, args) -> switch (m.getName()) {
                    case "model" -> model;
                    case "contextSize" -> 64;
                    case "vocabSize" -> 100;
                    case "isEog" -> false;
                    case "bos" -> 0;
                    case "reset", "close" -> null;
                    case "prefill" -> { calls.add("prefill"); yield null; }
                    case "lastLogits", "decode" -> new float[100];
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        LatencyBench.run(session, new LatencyBench.Options(4, 8, 2, 1), line -> {});
        // warm-up runs (one, or more while unsettled: instant fake steps may look unsettled), then the two reps
        assertTrue(calls.get(0).equals("warmUp") && calls.lastIndexOf("warmUp") == 0 && calls.size() >= 4, calls.toString());
    }

    @Test
    void aRunWithJitStallsIsNotSettled() {
        double[] steady = new double[32], stalls = new double[32];
        for (int i = 0; i < 32; i++) {
            steady[i] = 45 + i % 3; // 45-47 ms, and one slow step (a GC, the VM)
            stalls[i] = i % 8 < 2 ? 200 : 45; // a quarter of the steps in a kernel C2 has not compiled yet
        }
        steady[7] = 120;
        assertTrue(LatencyBench.settled(steady));
        assertFalse(LatencyBench.settled(stalls));
        assertTrue(LatencyBench.settled(new double[] {10, 300, 10})); // too few steps to judge: measure
        double[] edge = new double[11]; // p90 = index 9 of 0..10, median index 5
        for (int i = 0; i < 11; i++) edge[i] = i < 9 ? 10 : 15;
        assertTrue(LatencyBench.settled(edge)); // 15 <= 1.5 * 10
        edge[9] = edge[10] = 15.01;
        assertFalse(LatencyBench.settled(edge));
    }
}

package dev.r1.engine.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The warm-up's steady-state rule: another warm-up while a run's 90th-percentile step is past 1.5x its median. */
class LatencyBenchTest {
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

package dev.r1.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void percentilesUseNearestRank() {
        double[] v = new double[100];
        for (int i = 0; i < 100; i++) v[i] = 100 - i; // reversed: Stats must sort
        Stats s = Stats.of(v);
        assertEquals(100, s.n());
        assertEquals(50.5, s.mean(), 1e-12);
        assertEquals(50, s.p50());
        assertEquals(90, s.p90());
        assertEquals(99, s.p99());
        assertEquals(1, s.min());
        assertEquals(100, s.max());
        // sample sd of 1..100 = sqrt(100*101/12) = 29.011...
        assertEquals(Math.sqrt(100.0 * 101 / 12), s.sd(), 1e-9);
    }

    @Test
    void singleSampleHasZeroSpread() {
        Stats s = Stats.of(new double[]{7.5});
        assertEquals(7.5, s.p99());
        assertEquals(0, s.sd());
    }
}

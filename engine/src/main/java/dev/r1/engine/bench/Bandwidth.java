package dev.r1.engine.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Memory read bandwidth with a simple streaming loop: each thread sums its slice of an off-heap buffer
 * far larger than the caches with wide vector loads. Decode at batch=1 streams every weight once per token,
 * so this is the floor that "bytes read per token / bandwidth" is compared against.
 */
public final class Bandwidth {
    // 256 bits, the engine's width (cpu.VectorWidths: one vector shape per process); two threads of 256-bit
    // loads saturate the memory bus of these machines just as well
    private static final VectorSpecies<Long> S = LongVector.SPECIES_256;

    private Bandwidth() {}

    /** Best-of-{@code reps} read bandwidth in GB/s (1e9 bytes) over a {@code bytes}-sized buffer. */
    public static double readGBs(long bytes, int threads, int reps) {
        long perThread = (bytes / threads) / S.vectorByteSize() * S.vectorByteSize();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(perThread * threads, 64);
            buf.fill((byte) 1); // touch every page so the timing doesn't include page faults
            double best = 0;
            AtomicLong sink = new AtomicLong();
            for (int r = 0; r < reps + 1; r++) {
                List<Thread> ts = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    MemorySegment slice = buf.asSlice(t * perThread, perThread);
                    ts.add(Thread.ofPlatform().start(() -> sink.addAndGet(sum(slice))));
                }
                for (Thread t : ts) join(t);
                double s = (System.nanoTime() - t0) / 1e9;
                if (r > 0) best = Math.max(best, perThread * threads / s / 1e9); // r == 0 warms the JIT
            }
            if (sink.get() == 42) System.out.print(""); // keep the sums observable so they aren't elided
            return best;
        }
    }

    private static long sum(MemorySegment seg) {
        LongVector a0 = LongVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        long step = S.vectorByteSize(), n = seg.byteSize();
        long i = 0;
        for (; i + 4 * step <= n; i += 4 * step) { // four accumulators: keep several loads in flight
            a0 = a0.add(LongVector.fromMemorySegment(S, seg, i, ByteOrder.nativeOrder()));
            a1 = a1.add(LongVector.fromMemorySegment(S, seg, i + step, ByteOrder.nativeOrder()));
            a2 = a2.add(LongVector.fromMemorySegment(S, seg, i + 2 * step, ByteOrder.nativeOrder()));
            a3 = a3.add(LongVector.fromMemorySegment(S, seg, i + 3 * step, ByteOrder.nativeOrder()));
        }
        long s = a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
        for (; i + 8 <= n; i += 8) s += seg.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
        return s;
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring bandwidth", e);
        }
    }
}

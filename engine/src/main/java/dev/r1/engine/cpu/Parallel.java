package dev.r1.engine.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool for many tiny parallel regions: a decoded token runs ~200 of them, each tens of
 * microseconds, so waking workers through a queue or fork/join costs more than the work. Workers spin on
 * a generation counter for a short while after each region (the next one usually follows within
 * microseconds), then park. The calling thread is worker 0 and takes a share of every region.
 */
public final class Parallel implements AutoCloseable {

    /** The body of a region: called once on each worker with its index. */
    @FunctionalInterface
    public interface Body {
        void run(int worker, int workers);
    }

    /** Spin iterations before a worker parks; ~100 µs on current x86. */
    private static final int SPIN = 1 << 12;

    private final int size;
    private final Thread[] threads;
    private volatile int generation;
    private volatile boolean closed;
    private volatile Body body;
    private final AtomicInteger pending = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicIntegerArray parked;
    private volatile Throwable failure;

    /** A pool of {@code threads} workers in all, the caller included (so {@code threads - 1} new threads). */
    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("thread count must be >= 1, got " + threads);
        this.size = threads;
        this.threads = new Thread[threads];
        this.parked = new java.util.concurrent.atomic.AtomicIntegerArray(threads);
        for (int i = 1; i < threads; i++) {
            int id = i;
            Thread t = new Thread(() -> workerLoop(id), "r1-cpu-" + i);
            t.setDaemon(true);
            this.threads[i] = t;
            t.start();
        }
    }

    public int size() { return size; }

    /** Runs {@code b} on every worker and returns when all are done; rethrows the first failure. */
    public void run(Body b) {
        if (closed) throw new IllegalStateException("thread pool is closed");
        if (size == 1) {
            b.run(0, 1);
            return;
        }
        body = b;
        failure = null;
        pending.set(size - 1);
        generation = generation + 1; // publishes body (volatile write after it)
        for (int i = 1; i < size; i++) {
            if (parked.get(i) != 0) LockSupport.unpark(threads[i]);
        }
        Throwable own = null;
        try {
            b.run(0, size);
        } catch (Throwable t) {
            own = t;
        }
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < SPIN) Thread.onSpinWait();
            else Thread.yield(); // workers may be descheduled on an oversubscribed machine
        }
        body = null;
        Throwable f = own != null ? own : failure;
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error e) throw e;
        if (f != null) throw new RuntimeException(f);
    }

    private void workerLoop(int id) {
        int seen = 0;
        while (true) {
            int spins = 0;
            int g;
            while ((g = generation) == seen) {
                if (closed) return;
                if (++spins < SPIN) {
                    Thread.onSpinWait();
                } else {
                    parked.set(id, 1);
                    if (generation == seen && !closed) LockSupport.park(this);
                    parked.set(id, 0);
                    spins = 0;
                }
            }
            seen = g;
            if (closed) return;
            try {
                body.run(id, size);
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    /** Splits {@code [0, n)} into chunks handed out dynamically (robust to a descheduled worker). */
    public void forRange(int n, int chunk, RangeBody r) {
        if (n <= 0) return;
        int c = Math.max(1, chunk);
        if (size == 1 || n <= c) {
            r.run(0, n);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        run((w, ws) -> {
            int s;
            while ((s = next.getAndAdd(c)) < n) r.run(s, Math.min(n, s + c));
        });
    }

    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    @Override
    public void close() {
        closed = true;
        generation = generation + 1;
        for (int i = 1; i < size; i++) LockSupport.unpark(threads[i]);
    }
}

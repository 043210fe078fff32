package dev.r1.engine.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * An arena for the repacked weights whose large allocations come from their own anonymous mappings,
 * 2 MiB-aligned and advised {@code MADV_HUGEPAGE} before the first write. Why: the decode kernels stream
 * gigabytes of repacked weights per token; on 4 KiB pages that is a TLB miss every 4 KiB, while the
 * mapped GGUF file next to it already comes in huge folios. Most Linux machines run transparent huge pages
 * in {@code madvise} mode, so anonymous memory gets huge pages only when asked, and only if asked before
 * it is touched (malloc'ed and zeroed memory is touched at once; fresh mappings read as zero untouched).
 * Where any of this is unavailable (not Linux, the calls fail) it falls back to the plain shared arena.
 */
final class HugePageArena implements Arena {
    static final long HUGE = 2L << 20;
    private static final int PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MADV_HUGEPAGE = 14;
    private static final MethodHandle MMAP, MUNMAP, MADVISE;

    static {
        MethodHandle mmap = null, munmap = null, madvise = null;
        if (System.getProperty("os.name", "").startsWith("Linux") && !"false".equals(System.getProperty("r1.cpu.hugepages"))) {
            try {
                Linker l = Linker.nativeLinker();
                SymbolLookup libc = l.defaultLookup();
                mmap = l.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                munmap = l.downcallHandle(libc.find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                madvise = l.downcallHandle(libc.find("madvise").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            } catch (RuntimeException | LinkageError e) {
                mmap = munmap = madvise = null; // the plain arena serves
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    private final Arena inner = Arena.ofShared();

    /** Whether large allocations get their own advised mappings here (false: plain shared arena). */
    static boolean available() { return MMAP != null; }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        // small ones are not worth a mapping of their own; alignment beyond a page is not ours to promise
        if (MMAP == null || byteSize < HUGE || byteAlignment > HUGE) return inner.allocate(byteSize, byteAlignment);
        long size = (byteSize + HUGE - 1) / HUGE * HUGE, span = size + HUGE; // room to align to 2 MiB
        MemorySegment base;
        try {
            base = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, span, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            return inner.allocate(byteSize, byteAlignment);
        }
        if (base.address() == -1L) return inner.allocate(byteSize, byteAlignment); // MAP_FAILED
        long start = (base.address() + HUGE - 1) / HUGE * HUGE;
        MemorySegment mapped = MemorySegment.ofAddress(start);
        try {
            int ignored = (int) MADVISE.invokeExact(mapped, size, MADV_HUGEPAGE); // a refusal leaves 4 KiB pages: fine
        } catch (Throwable t) {
            // same: only a speed hint
        }
        long baseAddress = base.address();
        return mapped.reinterpret(byteSize, inner, s -> unmap(baseAddress, span));
    }

    private static void unmap(long address, long span) {
        try {
            int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), span);
        } catch (Throwable t) {
            // the process keeps the pages until it exits; nothing else to do at close
        }
    }

    @Override public MemorySegment.Scope scope() { return inner.scope(); }

    @Override public void close() { inner.close(); }
}

package dev.r1.models;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Lets go of the pages of the memory-mapped input that the converter has finished with.
 *
 * <p>The input is mapped, and every page read stays in the process's resident set until unmapped: a
 * 7B BF16 model would count 15 GB of RSS, though the pages are only file cache. {@code madvise(...,
 * MADV_DONTNEED)} drops them from this process's page tables (a read-only file mapping loses nothing: a
 * later read faults the page in again from the page cache), so peak RSS stays near the heap plus the
 * chunk being converted. Where madvise cannot be called (not Linux, native access denied) this does
 * nothing and the conversion is only bigger in RSS.
 */
public final class InputPages {
    private InputPages() {}

    /** Linux's MADV_DONTNEED (asm-generic/mman-common.h). */
    private static final int MADV_DONTNEED = 4;
    private static final long PAGE = 4096;
    private static final MethodHandle MADVISE = lookup();

    private static MethodHandle lookup() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) return null;
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("madvise").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT))).orElse(null);
        } catch (RuntimeException | LinkageError e) { // IllegalCallerException when native access is denied
            return null;
        }
    }

    /** Whether {@link #release} can actually release pages here. */
    public static boolean supported() { return MADVISE != null; }

    /**
     * Releases the whole pages inside {@code [offset, offset+length)} of {@code mapped} (a read-only
     * file mapping; a heap segment, memory that is not a file mapping — where MADV_DONTNEED would zero
     * it — or a range smaller than a page is left alone). Pages shared with a neighbouring range are
     * kept, so a tensor still being read never loses its first or last page.
     */
    public static void release(MemorySegment mapped, long offset, long length) {
        if (MADVISE == null || !mapped.isMapped() || length <= 0) return;
        long start = mapped.address() + offset;
        long from = (start + PAGE - 1) & -PAGE, to = (start + length) & -PAGE;
        if (to <= from) return;
        try {
            int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(from), to - from, MADV_DONTNEED);
        } catch (Throwable e) {
            // best effort: the conversion is correct either way
        }
    }
}

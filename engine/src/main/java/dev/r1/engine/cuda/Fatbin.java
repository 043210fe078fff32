package dev.r1.engine.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernels' fatbin (built by {@code native/cuda/build.sh} into this package's resources) and a reader
 * of its container, since {@code cuobjdump} is not on every machine: a 16-byte header (magic
 * {@code 0xBA55ED50}, version, header size, size of what follows), then entries, each a header
 * ({@code kind} 1 = PTX text, 2 = ELF cubin; header size; payload size; compressed size; PTX/ELF version;
 * {@code sm} architecture; flags, where bit {@code 0x2000} marks a compressed payload) and its payload.
 * Names come from an ELF's symbol table (global functions) or a PTX's {@code .entry} lines.
 */
public final class Fatbin {
    public static final String RESOURCE = "r1_kernels.fatbin";
    static final int MAGIC = 0xBA55ED50;
    static final int KIND_PTX = 1, KIND_ELF = 2;
    static final long FLAG_COMPRESSED = 0x2000;

    /** One entry: PTX or ELF for architecture {@code sm} (e.g. 80), its payload at {@code offset}. */
    public record Entry(int kind, int sm, boolean compressed, int offset, int size) {
        public boolean isPtx() { return kind == KIND_PTX; }
        public boolean isElf() { return kind == KIND_ELF; }
        @Override public String toString() { return (isPtx() ? "compute_" : "sm_") + sm + (compressed ? " (compressed)" : ""); }
    }

    private final byte[] image;
    private final List<Entry> entries;

    private Fatbin(byte[] image, List<Entry> entries) {
        this.image = image;
        this.entries = List.copyOf(entries);
    }

    /** The fatbin packed in the jar, or null when the build had no nvcc. */
    public static byte[] resource() {
        try (InputStream in = Fatbin.class.getResourceAsStream(RESOURCE)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /** Parses a fatbin image; throws {@link IllegalArgumentException} naming what is malformed. */
    public static Fatbin parse(byte[] image) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        if (image.length < 16 || b.getInt(0) != MAGIC) {
            throw new IllegalArgumentException("not a CUDA fatbin: magic " + (image.length < 4 ? "missing" : Integer.toHexString(b.getInt(0)))
                    + ", expected ba55ed50");
        }
        int headerSize = Short.toUnsignedInt(b.getShort(6));
        long end = headerSize + b.getLong(8);
        if (end > image.length) throw new IllegalArgumentException("fatbin truncated: header says " + end + " bytes, have " + image.length);
        List<Entry> entries = new ArrayList<>();
        for (long at = headerSize; at < end; ) {
            int p = Math.toIntExact(at);
            if (p + 64 > end) throw new IllegalArgumentException("fatbin entry header at " + p + " runs past the end");
            int kind = Short.toUnsignedInt(b.getShort(p));
            int hsize = b.getInt(p + 4);
            long size = b.getLong(p + 8);
            int sm = b.getInt(p + 28);
            long flags = b.getLong(p + 40);
            if (hsize < 64 || p + hsize + size > end) {
                throw new IllegalArgumentException("fatbin entry at " + p + ": header " + hsize + " B, payload " + size + " B do not fit");
            }
            entries.add(new Entry(kind, sm, (flags & FLAG_COMPRESSED) != 0, p + hsize, Math.toIntExact(size)));
            at = p + hsize + size;
        }
        return new Fatbin(image, entries);
    }

    public List<Entry> entries() { return entries; }

    /** Architectures with SASS (ELF) entries, e.g. [80, 86, 89, 90]. */
    public Set<Integer> sassArchs() {
        Set<Integer> s = new TreeSet<>();
        for (Entry e : entries) if (e.isElf()) s.add(e.sm);
        return s;
    }

    /** Virtual architectures with PTX entries, e.g. [80]. */
    public Set<Integer> ptxArchs() {
        Set<Integer> s = new TreeSet<>();
        for (Entry e : entries) if (e.isPtx()) s.add(e.sm);
        return s;
    }

    /** Whether a device of compute capability {@code sm} can run this: its own SASS, or PTX of an older one to JIT. */
    public boolean runsOn(int sm) {
        if (sassArchs().contains(sm)) return true;
        for (int p : ptxArchs()) if (p <= sm) return true;
        return false;
    }

    /** Kernel names of one entry: global FUNC symbols of an ELF, {@code .entry} names of a PTX. */
    public Set<String> kernelNames(Entry e) {
        if (e.compressed) throw new IllegalStateException("fatbin entry " + e + " is compressed; build with --no-compress");
        return e.isPtx() ? ptxEntries(new String(image, e.offset, e.size, StandardCharsets.UTF_8)) : elfFunctions(image, e.offset, e.size);
    }

    private static final Pattern PTX_ENTRY = Pattern.compile("\\.entry\\s+([A-Za-z_$][\\w$]*)");

    static Set<String> ptxEntries(String ptx) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = PTX_ENTRY.matcher(ptx);
        while (m.find()) names.add(m.group(1));
        return names;
    }

    /** Global function symbols of an ELF64 little-endian object at {@code off}. */
    static Set<String> elfFunctions(byte[] img, int off, int size) {
        ByteBuffer b = ByteBuffer.wrap(img, off, size).slice().order(ByteOrder.LITTLE_ENDIAN);
        if (size < 64 || b.getInt(0) != 0x464c457f || b.get(4) != 2 || b.get(5) != 1) {
            throw new IllegalArgumentException("fatbin ELF entry at " + off + " is not a little-endian ELF64 object");
        }
        long shoff = b.getLong(0x28);
        int shentsize = Short.toUnsignedInt(b.getShort(0x3A)), shnum = Short.toUnsignedInt(b.getShort(0x3C));
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < shnum; i++) {
            int sh = Math.toIntExact(shoff + (long) i * shentsize);
            if (b.getInt(sh + 4) != 2) continue; // SHT_SYMTAB
            int symOff = Math.toIntExact(b.getLong(sh + 0x18)), symSize = Math.toIntExact(b.getLong(sh + 0x20));
            int entSize = Math.toIntExact(b.getLong(sh + 0x38));
            int strSh = Math.toIntExact(shoff + (long) b.getInt(sh + 0x28) * shentsize);
            int strOff = Math.toIntExact(b.getLong(strSh + 0x18));
            for (int s = symOff; s + entSize <= symOff + symSize; s += entSize) {
                int info = b.get(s + 4) & 0xFF;
                if ((info & 0xF) != 2 || (info >> 4) != 1) continue; // STT_FUNC, STB_GLOBAL
                int n = strOff + b.getInt(s), e = n;
                while (b.get(e) != 0) e++;
                byte[] name = new byte[e - n];
                b.get(n, name);
                names.add(new String(name, StandardCharsets.US_ASCII));
            }
        }
        return names;
    }

    public byte[] image() { return image; }
}

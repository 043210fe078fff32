package dev.r1.cli;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The {@code ./r1} launcher boots the JVM with stderr through a filter (to drop the JDK's incubator-module
 * warning) and the real stderr on another descriptor ({@code -Dr1.stderr.fd}); this points fd 2 back at
 * the real one, for Java and native code alike, so r1's own messages never pass through the filter.
 */
final class Stderr {
    private Stderr() {}

    static void restoreFromLauncher() {
        String prop = System.getProperty("r1.stderr.fd");
        if (prop == null) return;
        try {
            int fd = Integer.parseInt(prop);
            Linker l = Linker.nativeLinker();
            FunctionDescriptor intInt = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
            MethodHandle dup2 = l.downcallHandle(l.defaultLookup().find("dup2").orElseThrow(), intInt);
            MethodHandle close = l.downcallHandle(l.defaultLookup().find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            System.err.flush();
            if ((int) dup2.invokeExact(fd, 2) >= 0) {
                int ignored = (int) close.invokeExact(fd);
            }
        } catch (Throwable t) {
            // stderr stays the filtered pipe: everything still arrives
        }
    }
}

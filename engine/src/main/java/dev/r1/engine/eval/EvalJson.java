package dev.r1.engine.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/** Writes an evaluation's figures as JSON, atomically (a killed run leaves no half file). */
public final class EvalJson {
    private EvalJson() {}

    public static void write(Path out, Map<String, Object> figures) {
        try {
            Path dir = out.toAbsolutePath().getParent();
            Path tmp = Files.createTempFile(dir, "." + out.getFileName(), ".tmp");
            try {
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), figures);
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new EvalException("cannot write " + out + ": " + e.getMessage(), e);
        }
    }
}

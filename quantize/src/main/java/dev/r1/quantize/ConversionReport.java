package dev.r1.quantize;

import dev.r1.models.io.OutputFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What a conversion did: sizes before/after, bits per weight, and per tensor its type and error
 * (RMSE and max |error| of the written values against the input values, in float64).
 */
public record ConversionReport(String input, String output, String target, long inputBytes, long outputBytes,
                               long weights, double bitsPerWeight, double seconds, List<TensorReport> tensors,
                               List<String> warnings) {

    /** One tensor: GGUF name and dims, source and written type, bytes written, errors, and a note. */
    public record TensorReport(String name, long[] dims, String sourceType, String type, long bytes, double rmse,
                               double maxAbsError, String note) {}

    /** Input megabytes per second. */
    public double inputMBps() { return seconds > 0 ? inputBytes / 1e6 / seconds : Double.NaN; }

    /** One line for people: sizes before and after, bits per weight, time and speed. */
    public String summary() {
        return String.format(java.util.Locale.ROOT, "%s: %.2f GB -> %.2f GB (%s, %.2f bits/weight, %,d weights) in %.1f s, %.0f MB/s",
                output, inputBytes / 1e9, outputBytes / 1e9, target, bitsPerWeight, weights, seconds, inputMBps());
    }

    public String toJson() {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this);
        } catch (IOException e) {
            throw new QuantizeException("cannot encode the report as JSON: " + e.getMessage(), e);
        }
    }

    /** Writes {@link #toJson()} to {@code file} atomically (temp file in the same directory, then rename). */
    public void writeJson(Path file) {
        try {
            String json = toJson();
            OutputFiles.writeAtomically(file, os -> os.write(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new QuantizeException(file + ": cannot write the report: " + e.getMessage(), e);
        }
    }
}

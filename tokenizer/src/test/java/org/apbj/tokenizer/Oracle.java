package org.apbj.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Hugging Face's own tokenizers (Rust, through DJL's JNI binding, whose native library ships
 * inside its jar, so it runs offline) loaded from a directory or tokenizer.json: the reference
 * of the differential tests.
 */
final class Oracle implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;

    Oracle(Path directoryOrFile) {
        try {
            // No truncation or padding: DJL would otherwise cut at 512 tokens.
            tokenizer = HuggingFaceTokenizer.newInstance(directoryOrFile, Map.of("truncation", "false", "padding", "false"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int[] encode(String text, boolean addSpecialTokens) {
        return Arrays.stream(tokenizer.encode(text, addSpecialTokens, false).getIds()).mapToInt(Math::toIntExact).toArray();
    }

    String decode(int[] ids, boolean skipSpecialTokens) {
        return tokenizer.decode(Arrays.stream(ids).asLongStream().toArray(), skipSpecialTokens);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}

package org.apbj.tokenizer;

import java.util.concurrent.ConcurrentHashMap;

/** The real tokenizers, loaded once per test JVM (the Llama-3 file is 9 MB). Skips the test when absent. */
final class SharedTokenizers {
    private static final ConcurrentHashMap<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    private SharedTokenizers() {}

    /** "llama3" or "qwen2_5". */
    static Tokenizer get(String name) {
        return LOADED.computeIfAbsent(name, n -> Tokenizer.load(TestFiles.sharedTokenizer(n)));
    }
}

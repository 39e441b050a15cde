package org.apbj.examples;

import java.nio.file.Path;
import org.apbj.examples.cli.RepoRoot;
import org.apbj.examples.eval.ChatPromptTokens;
import org.apbj.tokenizer.ChatFormat;
import org.apbj.tokenizer.Tokenizer;

/** The embedded tiny-niah model and its tokenizer, found from the working directory. */
public final class TestModels {
    private TestModels() {}

    private static ChatPromptTokens tinyTokens;

    public static Path tinyNiah() { return RepoRoot.tinyModel(); }

    public static synchronized ChatPromptTokens tinyNiahTokens() {
        if (tinyTokens == null) tinyTokens = new ChatPromptTokens(ChatFormat.forTokenizer(Tokenizer.load(tinyNiah())));
        return tinyTokens;
    }
}

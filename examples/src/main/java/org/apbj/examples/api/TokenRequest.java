package org.apbj.examples.api;

import java.util.Objects;
import org.apbj.tokenizer.ApbPrompt;

/** A request already tokenized (context, query, qpos), e.g. a benchmark's exact-length prompt. */
public record TokenRequest(ApbPrompt prompt, int maxNewTokens) {
    public TokenRequest {
        Objects.requireNonNull(prompt, "prompt");
        if (maxNewTokens < 1) throw new IllegalArgumentException("--max-new-tokens must be at least 1, got " + maxNewTokens);
    }
}

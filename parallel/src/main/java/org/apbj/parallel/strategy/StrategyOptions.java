package org.apbj.parallel.strategy;

/**
 * @param anchorLength   APB's l_a, or null for the default rule ({@link org.apbj.parallel.plan.ApbLengths})
 * @param passingLength  APB's l_p per host, or null for the default rule
 * @param qpos           chat-header tokens at the start of the context that lead the anchor
 *                       (16 Llama-3, 24 Qwen-2.5, 2 tiny-niah, 0 base models)
 * @param maxNewTokens   KV room reserved on the last rank for generated tokens
 * @param observer       intermediate results, for tests; {@link LayerObserver#NONE} otherwise
 */
public record StrategyOptions(Integer anchorLength, Integer passingLength, int qpos, int maxNewTokens,
                              LayerObserver observer) {
    public StrategyOptions {
        if (qpos < 0) throw new IllegalArgumentException("qpos must be >= 0, got " + qpos);
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        if (observer == null) observer = LayerObserver.NONE;
    }

    public static StrategyOptions defaults(int qpos, int maxNewTokens) {
        return new StrategyOptions(null, null, qpos, maxNewTokens, LayerObserver.NONE);
    }

    public StrategyOptions withLengths(Integer anchor, Integer passing) {
        return new StrategyOptions(anchor, passing, qpos, maxNewTokens, observer);
    }

    public StrategyOptions withObserver(LayerObserver o) {
        return new StrategyOptions(anchorLength, passingLength, qpos, maxNewTokens, o);
    }
}

package org.apbj.parallel.strategy;

import org.apbj.parallel.transfer.CommPath;

/**
 * @param anchorLength   APB's l_a, or null for the default rule ({@link org.apbj.parallel.plan.ApbLengths})
 * @param passingLength  APB's l_p per host, or null for the default rule
 * @param qpos           chat-header tokens at the start of the context that lead the anchor
 *                       (16 Llama-3, 24 Qwen-2.5, 2 tiny-niah, 0 base models)
 * @param maxNewTokens   KV room reserved on the last rank for generated tokens
 * @param observer       intermediate results, for tests; {@link LayerObserver#NONE} otherwise
 * @param commPath       how device data travels between ranks (-D{@value #COMM_PATH_PROPERTY}, default auto)
 * @param overlap        whether communication runs while the rank computes (APB: attention over
 *                       [A ; B] while the passing block arrives; ring: the next block travels
 *                       while the current one is attended to); the results are the same either way
 *                       (-D{@value #OVERLAP_PROPERTY}, default true)
 */
public record StrategyOptions(Integer anchorLength, Integer passingLength, int qpos, int maxNewTokens,
                              LayerObserver observer, CommPath commPath, boolean overlap) {
    public static final String COMM_PATH_PROPERTY = "apbj.comm.path";
    public static final String OVERLAP_PROPERTY = "apbj.comm.overlap";

    public StrategyOptions {
        if (qpos < 0) throw new IllegalArgumentException("qpos must be >= 0, got " + qpos);
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        if (observer == null) observer = LayerObserver.NONE;
        if (commPath == null) commPath = CommPath.AUTO;
    }

    /** The communication path and overlap from the system properties. */
    public StrategyOptions(Integer anchorLength, Integer passingLength, int qpos, int maxNewTokens, LayerObserver observer) {
        this(anchorLength, passingLength, qpos, maxNewTokens, observer, commPathFromProperty(), overlapFromProperty());
    }

    /** -D{@value #COMM_PATH_PROPERTY}, or auto. */
    public static CommPath commPathFromProperty() { return CommPath.parse(System.getProperty(COMM_PATH_PROPERTY)); }

    /** -D{@value #OVERLAP_PROPERTY}, or true. */
    public static boolean overlapFromProperty() {
        String v = System.getProperty(OVERLAP_PROPERTY);
        if (v == null || v.isBlank()) return true;
        if (v.strip().equalsIgnoreCase("true")) return true;
        if (v.strip().equalsIgnoreCase("false")) return false;
        throw new IllegalArgumentException("-D" + OVERLAP_PROPERTY + "=" + v + " must be true or false");
    }

    public static StrategyOptions defaults(int qpos, int maxNewTokens) {
        return new StrategyOptions(null, null, qpos, maxNewTokens, LayerObserver.NONE);
    }

    public StrategyOptions withLengths(Integer anchor, Integer passing) {
        return new StrategyOptions(anchor, passing, qpos, maxNewTokens, observer, commPath, overlap);
    }

    public StrategyOptions withObserver(LayerObserver o) {
        return new StrategyOptions(anchorLength, passingLength, qpos, maxNewTokens, o, commPath, overlap);
    }

    public StrategyOptions withCommunication(CommPath path, boolean overlapped) {
        return new StrategyOptions(anchorLength, passingLength, qpos, maxNewTokens, observer, path, overlapped);
    }
}

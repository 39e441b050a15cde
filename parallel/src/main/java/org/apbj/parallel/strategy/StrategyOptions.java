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
 * @param earlySelection APB: each layer's retaining scores, RoPE, top-l_p selection and gather of
 *                       the passing block run on a second, high-priority device queue as soon as
 *                       the layer's q/k/v exist, and the passing block's copies go on a
 *                       high-priority stream, so that a rank's selection is not queued behind the
 *                       long attention kernels of ranks that share its GPU; false runs them in
 *                       line on the compute queue (the schedule before). The same kernels on the
 *                       same data: results are identical bit for bit
 *                       (-D{@value #EARLY_SELECTION_PROPERTY}, default true)
 */
public record StrategyOptions(Integer anchorLength, Integer passingLength, int qpos, int maxNewTokens,
                              LayerObserver observer, CommPath commPath, boolean overlap, boolean earlySelection) {
    public static final String COMM_PATH_PROPERTY = "apbj.comm.path";
    public static final String OVERLAP_PROPERTY = "apbj.comm.overlap";
    public static final String EARLY_SELECTION_PROPERTY = "apbj.apb.early-selection";

    public StrategyOptions {
        if (qpos < 0) throw new IllegalArgumentException("qpos must be >= 0, got " + qpos);
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        if (observer == null) observer = LayerObserver.NONE;
        if (commPath == null) commPath = CommPath.AUTO;
    }

    /** The communication path, overlap and early selection from the system properties. */
    public StrategyOptions(Integer anchorLength, Integer passingLength, int qpos, int maxNewTokens, LayerObserver observer) {
        this(anchorLength, passingLength, qpos, maxNewTokens, observer, commPathFromProperty(), overlapFromProperty(),
                earlySelectionFromProperty());
    }

    /** The given path and overlap, early selection from its system property. */
    public StrategyOptions(Integer anchorLength, Integer passingLength, int qpos, int maxNewTokens, LayerObserver observer,
                           CommPath commPath, boolean overlap) {
        this(anchorLength, passingLength, qpos, maxNewTokens, observer, commPath, overlap, earlySelectionFromProperty());
    }

    /** -D{@value #COMM_PATH_PROPERTY}, or auto. */
    public static CommPath commPathFromProperty() { return CommPath.parse(System.getProperty(COMM_PATH_PROPERTY)); }

    /** -D{@value #OVERLAP_PROPERTY}, or true. */
    public static boolean overlapFromProperty() { return booleanProperty(OVERLAP_PROPERTY); }

    /** -D{@value #EARLY_SELECTION_PROPERTY}, or true. */
    public static boolean earlySelectionFromProperty() { return booleanProperty(EARLY_SELECTION_PROPERTY); }

    private static boolean booleanProperty(String name) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) return true;
        if (v.strip().equalsIgnoreCase("true")) return true;
        if (v.strip().equalsIgnoreCase("false")) return false;
        throw new IllegalArgumentException("-D" + name + "=" + v + " must be true or false");
    }

    public static StrategyOptions defaults(int qpos, int maxNewTokens) {
        return new StrategyOptions(null, null, qpos, maxNewTokens, LayerObserver.NONE);
    }

    public StrategyOptions withLengths(Integer anchor, Integer passing) {
        return new StrategyOptions(anchor, passing, qpos, maxNewTokens, observer, commPath, overlap, earlySelection);
    }

    public StrategyOptions withObserver(LayerObserver o) {
        return new StrategyOptions(anchorLength, passingLength, qpos, maxNewTokens, o, commPath, overlap, earlySelection);
    }

    public StrategyOptions withCommunication(CommPath path, boolean overlapped) {
        return new StrategyOptions(anchorLength, passingLength, qpos, maxNewTokens, observer, path, overlapped, earlySelection);
    }

    /** These options with APB's selection early on a second queue ({@code true}) or in line on the compute queue. */
    public StrategyOptions withEarlySelection(boolean early) {
        return new StrategyOptions(anchorLength, passingLength, qpos, maxNewTokens, observer, commPath, overlap, early);
    }
}

package org.apbj.parallel.strategy;

/**
 * One rank's part of a request: {@link #prefill} the context (phase 1), then {@link #answer}
 * (phase 2: the query, then greedy decoding). All ranks of the job call the same methods with
 * the same arguments; the strategy takes its own share of the work.
 *
 * <p>The query is given to {@code prefill} because APB's anchor contains it (its compression is
 * query-aware); Dense, Ring and Star only use it in {@code answer}.
 */
public interface Strategy extends AutoCloseable {

    Method method();

    void prefill(int[] context, int[] query);

    /** Runs the query and generates up to {@code maxTokens} tokens (stopping after an EOS token). */
    Answer answer(int maxTokens);

    /** How this strategy's device data travels between ranks: "device", "ipc", "host", or "none" (one rank, or before prefill). */
    default String commPath() { return "none"; }

    /** Times of this rank so far, per phase, layer and category. */
    StepTimer timer();

    @Override
    void close();
}

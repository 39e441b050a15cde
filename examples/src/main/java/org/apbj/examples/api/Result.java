package org.apbj.examples.api;

import org.apbj.parallel.strategy.Method;

/**
 * What one request produced.
 *
 * @param text          the generated text (special tokens left out; stops at end-of-turn), or null
 *                      for token-level requests ({@link Apbj#generateTokens})
 * @param tokens        the generated token ids (an end token, if reached, is the last)
 * @param contextTokens tokens of the formatted context
 * @param queryTokens   tokens of the formatted query
 * @param device        the device rank 0 ran on, in words
 * @param jobIndex      the request's position in its job: 0 ran cold (kernels compiled during
 *                      its prefill, see {@link Timing#kernelPreparationMs()}), the rest warm
 * @param coldStart     the job's cold start (the same for every result of one call)
 * @param commPath      how device data travelled between the ranks: device, ipc, host (none: one rank)
 */
public record Result(String text, int[] tokens, Timing timing, int contextTokens, int queryTokens,
                     Method method, int ranks, String device, int jobIndex, ColdStart coldStart, String commPath) {
    public Result {
        tokens = tokens.clone();
    }
}

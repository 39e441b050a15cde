package org.apbj.parallel.strategy;

/**
 * What phase 2 produced: the generated tokens (identical on every rank; an end-of-sequence
 * token, when reached, is the last one), and on the last rank the logits that chose the first
 * of them (null on other ranks).
 */
public record Answer(int[] tokens, float[] firstLogits) {}

package org.apbj.examples.eval;

import java.util.List;

/**
 * One scored request. Context, question and answer prefix are kept apart (APB needs the query);
 * the model's chat format (the tokenizer's ChatFormat) wraps them.
 *
 * @param id             unique within its set, e.g. "niah_single_1-4k-3"
 * @param needleTokens   per needle, the token index in the formatted context where it starts
 *                       (empty for tasks without needles or samples read from a dataset)
 * @param depths         needleTokens / contextTokens
 * @param stratum        which part of the rank blocks the primary needle was placed in
 *                       ("block 2", "boundary 1|2"), or "" where there is none
 * @param contextTokens  tokens of the formatted context (0 when unknown)
 * @param queryTokens    tokens of the formatted query (0 when unknown)
 */
public record Sample(String id, String task, String context, String question, String answerPrefix,
                     List<String> outputs, Metric metric, int maxNewTokens,
                     List<Integer> needleTokens, List<Double> depths, String stratum,
                     int contextTokens, int queryTokens) {
    public Sample {
        outputs = List.copyOf(outputs);
        needleTokens = List.copyOf(needleTokens);
        depths = List.copyOf(depths);
        if (outputs.isEmpty()) throw new IllegalArgumentException("sample " + id + " has no reference outputs");
    }

    public int totalTokens() { return contextTokens + queryTokens; }

    /** The canonical text hashed for a set's SHA-256: what the model sees and what is expected. */
    String canonical() {
        return String.join("\u0000", id, task, context, question, answerPrefix, String.join("\u0001", outputs),
                metric.id(), Integer.toString(maxNewTokens));
    }
}

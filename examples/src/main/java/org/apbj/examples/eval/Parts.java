package org.apbj.examples.eval;

import java.util.List;

/**
 * One prompt before the chat format: the user text that is the context (instruction + long
 * text), the question that follows it, and the start of the assistant's answer. APB needs the
 * context and the query apart; the chat format (the tokenizer's ChatFormat) wraps them.
 *
 * @param needleStarts char offsets in {@code context} where each needle starts, in needle order
 * @param needleEnds   char offsets just past each needle
 */
public record Parts(String context, String question, String answerPrefix, List<Integer> needleStarts,
                    List<Integer> needleEnds) {
    public Parts {
        needleStarts = List.copyOf(needleStarts);
        needleEnds = List.copyOf(needleEnds);
        if (needleStarts.size() != needleEnds.size()) throw new IllegalArgumentException("needle starts and ends differ in count");
    }

    /** Parts whose needles start at {@code offset} + the woven haystack's needle offsets. */
    public static Parts of(String head, Weave.Woven w, String tail, String question, String answerPrefix) {
        List<Integer> starts = new java.util.ArrayList<>(), ends = new java.util.ArrayList<>();
        for (int i = 0; i < w.starts().size(); i++) {
            starts.add(head.length() + w.starts().get(i));
            ends.add(head.length() + w.ends().get(i));
        }
        return new Parts(head + w.text() + tail, question, answerPrefix, starts, ends);
    }

    /** Parts without needles. */
    public static Parts plain(String context, String question, String answerPrefix) {
        return new Parts(context, question, answerPrefix, List.of(), List.of());
    }
}

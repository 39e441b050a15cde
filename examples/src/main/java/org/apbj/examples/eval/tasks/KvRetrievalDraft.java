package org.apbj.examples.eval.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.apbj.examples.eval.Draft;
import org.apbj.examples.eval.Filler;
import org.apbj.examples.eval.Parts;
import org.apbj.examples.eval.Values;
import org.apbj.examples.eval.Weave;

/**
 * InfiniteBench kv_retrieval: a JSON object of UUID keys and UUID values; the question names one
 * key. The filler unit is one key-value pair, the needle the asked pair.
 */
public final class KvRetrievalDraft implements Draft {
    static final String INSTRUCTION = "Extract the value corresponding to the specified key in the JSON object below.\n\n";

    private final String key;
    private final String value;
    private final IntFunction<String> pairs;
    private final double fraction;

    public KvRetrievalDraft(SplittableRandom r) {
        key = Values.uuid(r);
        value = Values.uuid(r);
        fraction = r.nextDouble();
        SplittableRandom s = r.split();
        pairs = Filler.growing(() -> pair(Values.uuid(s), Values.uuid(s)));
    }

    /**
     * One pair as ∞Bench's prompt has it, Python's json.dumps layout ("key": "value", pairs
     * joined by ", "); the strings are quoted by Jackson, so the object text is valid JSON.
     */
    static String pair(String k, String v) { return quote(k) + ": " + quote(v); }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Parts build(int fillerUnits, double[] needleFractions) {
        String head = INSTRUCTION + "JSON data:\n{";
        Weave.Woven w = Weave.weave(pairs, fillerUnits, List.of(pair(key, value)), needleFractions, "", ", ");
        return Parts.of(head, w, "}", "\n\nKey: " + quote(key), "The value associated with the specified key is:");
    }

    @Override public int needles() { return 1; }
    @Override public double[] initialFractions() { return new double[] {fraction}; }
    @Override public List<String> outputs() { return List.of(value); }
}

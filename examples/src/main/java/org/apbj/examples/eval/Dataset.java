package org.apbj.examples.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apbj.examples.cli.TextFiles;

/**
 * Samples given as JSON lines, one object per line:
 * {@code {"id", "task", "context", "query", "outputs": [...], "metric": "all|part|first_number|number_value|word"}},
 * optionally {@code "answer_prefix"} and {@code "max_new_tokens"} (default 32). {@code query}
 * is the question asked after the context. The suite's own samples are written in this format
 * (the per-sample log of {@code eval --generate-only}), so generated sets can be re-read.
 */
public final class Dataset {
    private Dataset() {}

    public static final int DEFAULT_MAX_NEW_TOKENS = 32;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The samples grouped by task, in first-seen order. */
    public static Map<String, List<Sample>> read(Path file) {
        Map<String, List<Sample>> byTask = new LinkedHashMap<>();
        java.util.Set<String> ids = new java.util.HashSet<>();
        List<String> lines = TextFiles.readUtf8(file, "--dataset").lines().toList();
        for (int n = 1; n <= lines.size(); n++) {
            String line = lines.get(n - 1);
            if (line.isBlank()) continue;
            Sample s = parse(line, file + ":" + n);
            if (!ids.add(s.id())) throw new IllegalArgumentException(file + ":" + n + ": duplicate id \"" + s.id() + "\"");
            byTask.computeIfAbsent(s.task(), t -> new ArrayList<>()).add(s);
        }
        if (byTask.isEmpty()) throw new IllegalArgumentException("--dataset " + file + " holds no samples (expected JSON lines)");
        return byTask;
    }

    static Sample parse(String line, String where) {
        JsonNode n;
        try {
            n = MAPPER.readTree(line);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": not a JSON object: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException(where + ": not a JSON object (each line is one sample: {\"id\": ..., \"task\": ..., ...})");
        }
        String id = text(n, "id", where);
        String task = text(n, "task", where);
        String context = text(n, "context", where);
        String query = text(n, "query", where);
        JsonNode outs = n.get("outputs");
        if (outs == null || !outs.isArray() || outs.isEmpty()) {
            throw new IllegalArgumentException(where + ": \"outputs\" must be a non-empty array of reference answers");
        }
        List<String> outputs = new ArrayList<>();
        for (JsonNode o : outs) outputs.add(o.asText());
        Metric metric;
        try {
            metric = Metric.parse(text(n, "metric", where));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
        String prefix = n.hasNonNull("answer_prefix") ? n.get("answer_prefix").asText() : "";
        int maxNew = DEFAULT_MAX_NEW_TOKENS;
        if (n.hasNonNull("max_new_tokens")) {
            JsonNode m = n.get("max_new_tokens");
            if (!m.canConvertToInt() || !m.isIntegralNumber() || m.asInt() < 1) {
                throw new IllegalArgumentException(where + ": \"max_new_tokens\" must be a whole number >= 1, found " + m);
            }
            maxNew = m.asInt();
        }
        if (context.isBlank()) throw new IllegalArgumentException(where + ": \"context\" is empty: every sample needs a context");
        return new Sample(id, task, context, query, prefix, outputs, metric, maxNew, List.of(), List.of(), "", 0, 0);
    }

    private static String text(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) throw new IllegalArgumentException(where + ": missing string field \"" + field + "\"");
        return v.asText();
    }

    /** One JSON line for a sample, in the format {@link #read} takes (plus the generator's depth fields). */
    public static Map<String, Object> toJson(Sample s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("task", s.task());
        m.put("context", s.context());
        m.put("query", s.question());
        m.put("answer_prefix", s.answerPrefix());
        m.put("outputs", s.outputs());
        m.put("metric", s.metric().id());
        m.put("max_new_tokens", s.maxNewTokens());
        m.put("needle_tokens", s.needleTokens());
        m.put("depths", s.depths());
        m.put("stratum", s.stratum());
        m.put("context_tokens", s.contextTokens());
        m.put("query_tokens", s.queryTokens());
        return m;
    }
}

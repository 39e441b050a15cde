package org.apbj.examples.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Scores per method, length and task, and their averages; the JSON of {@code eval}. */
public final class EvalReport {
    /** One generated or read set. */
    public record SetInfo(String task, String length, long seed, int samples, String sha256) {}

    /** Mean score × 100 of one (method, length, task) cell. */
    public record Cell(String method, String length, String task, double score, int samples) {}

    private final List<SetInfo> sets = new ArrayList<>();
    private final Map<String, Map<String, Map<String, List<Double>>>> scores = new LinkedHashMap<>();

    public void addSet(SetInfo s) { sets.add(s); }

    public void add(String method, String length, String task, double score) {
        scores.computeIfAbsent(method, k -> new LinkedHashMap<>()).computeIfAbsent(length, k -> new LinkedHashMap<>())
                .computeIfAbsent(task, k -> new ArrayList<>()).add(score);
    }

    public List<SetInfo> sets() { return sets; }

    public List<Cell> cells() {
        List<Cell> out = new ArrayList<>();
        scores.forEach((m, byLen) -> byLen.forEach((len, byTask) -> byTask.forEach((task, s) ->
                out.add(new Cell(m, len, task, Scoring.percent(s), s.size())))));
        return out;
    }

    /** Per method and length, the mean of the task scores (each task weighs the same, as RULER averages). */
    public Map<String, Map<String, Double>> averages() {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        scores.forEach((m, byLen) -> byLen.forEach((len, byTask) -> {
            double sum = 0;
            for (List<Double> s : byTask.values()) sum += Scoring.percent(s);
            out.computeIfAbsent(m, k -> new LinkedHashMap<>()).put(len, Math.round(sum / byTask.size() * 100) / 100.0);
        }));
        return out;
    }

    public double score(String method, String length, String task) {
        var byLen = scores.getOrDefault(method, Map.of());
        var byTask = byLen.getOrDefault(length, Map.of());
        List<Double> s = byTask.get(task);
        return s == null ? Double.NaN : Scoring.percent(s);
    }

    public List<String> methods() { return List.copyOf(scores.keySet()); }

    public List<String> lengths() {
        List<String> out = new ArrayList<>();
        for (var byLen : scores.values()) for (String l : byLen.keySet()) if (!out.contains(l)) out.add(l);
        return out;
    }

    public List<String> tasks() {
        List<String> out = new ArrayList<>();
        for (var byLen : scores.values()) for (var byTask : byLen.values()) for (String t : byTask.keySet()) if (!out.contains(t)) out.add(t);
        return out;
    }

    /** The JSON document: sets with their SHA-256, per-cell scores, averages. */
    public Map<String, Object> toJson(Map<String, Object> settings) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("settings", settings);
        m.put("sets", sets);
        m.put("scores", cells());
        m.put("averages", averages());
        return m;
    }
}

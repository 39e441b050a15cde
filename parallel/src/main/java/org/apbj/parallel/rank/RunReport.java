package org.apbj.parallel.rank;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apbj.parallel.strategy.Category;
import org.apbj.parallel.strategy.Phase;

/**
 * What a job reports per request (written as JSON by rank 0): the request's shape, the generated
 * tokens, the prefill time (slowest rank, from a common barrier to the end of its device work),
 * and per rank and layer the time per {@link Category} in milliseconds (device time between
 * device marks; communication: host time). The job's cold start (JVM start, device open, model
 * load, first compile) is in {@link #coldStart}, the same in every report of one job.
 *
 * @param requestIndex      position of the request in its job (0: the first, which ran cold)
 * @param kernelPreparationSeconds kernel compiles and module loads during this request (slowest
 *                          rank); included in its prefill time, 0 once every kernel is warm
 * @param firstLogitsSha256 SHA-256 of the first generated token's fp32 logits (bit patterns):
 *                          equal runs give equal hashes
 * @param firstLogits       the logits themselves, only with --logits
 * @param commPath          how device data travelled between the ranks: device, ipc, host (none: one rank)
 */
public record RunReport(String method, int ranks, int contextTokens, int queryTokens, int blockSize, Integer anchorLength,
                        Integer passingLength, int[] generated, String firstLogitsSha256, float[] firstLogits,
                        double prefillSeconds, double prefillTokensPerSecond, int requestIndex,
                        double kernelPreparationSeconds, ColdStart coldStart, List<RankTiming> perRank, String commPath) {

    /**
     * What the job spent before its first request, slowest rank.
     *
     * @param jvmStartSeconds     JVM start to the rank program's entry; null where the ranks run
     *                            in a JVM that was not started for the job (in-process ranks)
     * @param deviceOpenSeconds   opening the device
     * @param modelLoadSeconds    weights to the device and scratch allocated (one load per rank per job)
     * @param firstCompileSeconds kernel compiles and module loads during the first request
     * @param requests            requests the job ran on that one load
     */
    public record ColdStart(Double jvmStartSeconds, double deviceOpenSeconds, double modelLoadSeconds,
                            double firstCompileSeconds, int requests) {}

    /**
     * @param totalsMs         phase -> category -> ms; layers: one entry per (phase, layer), layer -1 = outside the layers
     * @param memoryPlanBytes  the rank's memory plan for the job (model, scratch, largest request's buffers)
     * @param devicePeakBytes  the most device memory allocated through the rank's device so far
     */
    public record RankTiming(int rank, String device, double prefillSeconds, Map<String, Map<String, Double>> totalsMs,
                             List<LayerTiming> layers, long memoryPlanBytes, long devicePeakBytes) {

        /**
         * The share of this rank's prefill device time (every category but {@code communication},
         * which is host time beside the device work) that went into the retaining heads: scoring,
         * top-k and gathering the passing block. 0 where nothing was timed.
         */
        @JsonIgnore
        public double retainingShare() {
            Map<String, Double> prefill = totalsMs.getOrDefault(Phase.PREFILL.name().toLowerCase(), Map.of());
            double device = 0;
            for (var e : prefill.entrySet()) if (!e.getKey().equals(category(Category.COMMUNICATION))) device += e.getValue();
            return device > 0 ? prefill.getOrDefault(category(Category.RETAINING), 0.0) / device : 0;
        }
    }

    /** The name of a category in the report ("exposed_communication"). */
    public static String category(Category c) { return c.name().toLowerCase(java.util.Locale.ROOT); }

    /**
     * The largest {@link RankTiming#retainingShare()} of the ranks: how much of an APB layer the
     * retaining heads take where they take the most (the last rank selects nothing).
     */
    @JsonIgnore
    public double retainingShare() {
        double most = 0;
        for (RankTiming t : perRank) most = Math.max(most, t.retainingShare());
        return most;
    }

    public record LayerTiming(String phase, int layer, Map<String, Double> ms) {}

    /** Rebuilds one rank's timing from the slots of StepTimer.toMillis(). */
    static RankTiming rankTiming(int rank, String device, double prefillSeconds, float[] ms, int offset, int numLayers,
                                 long memoryPlanBytes, long devicePeakBytes) {
        Map<String, Map<String, Double>> totals = new LinkedHashMap<>();
        List<LayerTiming> layers = new ArrayList<>();
        int cats = Category.values().length;
        for (Phase p : Phase.values()) {
            Map<String, Double> total = new LinkedHashMap<>();
            for (Category c : Category.values()) total.put(category(c), 0.0);
            for (int slot = 0; slot <= numLayers; slot++) {
                int layer = slot == numLayers ? -1 : slot;
                Map<String, Double> byCat = new LinkedHashMap<>();
                double sum = 0;
                for (Category c : Category.values()) {
                    double v = ms[offset + (p.ordinal() * (numLayers + 1) + slot) * cats + c.ordinal()];
                    byCat.put(category(c), v);
                    total.merge(category(c), v, Double::sum);
                    sum += v;
                }
                if (sum > 0) layers.add(new LayerTiming(p.name().toLowerCase(), layer, byCat));
            }
            totals.put(p.name().toLowerCase(), total);
        }
        return new RankTiming(rank, device, prefillSeconds, totals, layers, memoryPlanBytes, devicePeakBytes);
    }

    /** Writes one report as a JSON object, several as a JSON array. */
    public static void write(Path file, List<RunReport> reports) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            mapper().writeValue(file.toFile(), reports.size() == 1 ? reports.getFirst() : reports);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads what {@link #write} wrote: one report or an array of them. */
    public static List<RunReport> readAll(Path file) {
        try {
            var mapper = mapper();
            var tree = mapper.readTree(file.toFile());
            if (tree.isArray()) return List.of(mapper.treeToValue(tree, RunReport[].class));
            return List.of(mapper.treeToValue(tree, RunReport.class));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the report " + file + ": " + e.getMessage(), e);
        }
    }

    /** The single report of a one-request file. */
    public static RunReport read(Path file) {
        List<RunReport> all = readAll(file);
        if (all.size() != 1) throw new IllegalStateException(file + " holds " + all.size() + " reports: use readAll");
        return all.getFirst();
    }

    static ObjectMapper mapper() { return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT); }
}

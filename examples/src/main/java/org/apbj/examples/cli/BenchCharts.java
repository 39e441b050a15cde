package org.apbj.examples.cli;

import java.awt.FontFormatException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apbj.examples.report.ChartFile;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries.CategorySeriesRenderStyle;

/**
 * The panels of {@code bench}'s PNG (XChart): prefill time and tokens/s per method (variant label) against the
 * context length, the slowest rank's breakdown, and every rank's prefill time.
 */
final class BenchCharts {
    private BenchCharts() {}

    static List<CategoryChart> panels(List<String> methods, List<Integer> lengths, List<BenchRunner.Cell> cells)
            throws IOException, FontFormatException {
        List<String> xs = lengths.stream().map(Lengths::format).toList();
        CategoryChart time = ChartFile.categoryChart("Prefill time vs context length", "context length (tokens)", "prefill (s)");
        CategoryChart speed = ChartFile.categoryChart("Prefill throughput vs context length", "context length (tokens)", "tokens/s");
        for (CategoryChart c : List.of(time, speed)) {
            // lines: every series at the same x positions (bars would sit side by side)
            c.getStyler().setDefaultSeriesRenderStyle(CategorySeriesRenderStyle.Line).setOverlapped(true);
        }
        for (String m : methods) {
            Double[] seconds = new Double[xs.size()], tokensPerSecond = new Double[xs.size()];
            for (BenchRunner.Cell c : cells) {
                if (!c.method().equals(m)) continue;
                int x = lengths.indexOf(c.length());
                seconds[x] = c.medianPrefillMs() / 1000;
                tokensPerSecond[x] = c.tokensPerSecond();
            }
            time.addSeries(m, xs, Arrays.asList(seconds));
            speed.addSeries(m, xs, Arrays.asList(tokensPerSecond));
        }

        List<String> bars = cells.stream().map(c -> c.method() + " " + Lengths.format(c.length())).toList();
        CategoryChart breakdown = ChartFile.categoryChart("Prefill breakdown (slowest rank)", "method, context length", "time (s)");
        breakdown.getStyler().setStacked(true);
        for (String category : BenchRunner.CATEGORIES) {
            breakdown.addSeries(category, bars, cells.stream().map(c -> c.breakdownMs().get(category) / 1000).toList());
        }

        CategoryChart perRank = ChartFile.categoryChart("Prefill time per rank", "method, context length", "prefill (s)");
        int ranks = cells.stream().mapToInt(c -> c.perRankPrefillMs().length).max().orElse(0);
        for (int r = 0; r < ranks; r++) {
            List<Double> y = new ArrayList<>();
            for (BenchRunner.Cell c : cells) y.add(r < c.perRankPrefillMs().length ? c.perRankPrefillMs()[r] / 1000 : null);
            perRank.addSeries("rank " + r, bars, y);
        }
        for (CategoryChart c : List.of(breakdown, perRank)) {
            if (bars.size() > 6) c.getStyler().setXAxisLabelRotation(45);
        }
        return List.of(time, speed, breakdown, perRank);
    }
}

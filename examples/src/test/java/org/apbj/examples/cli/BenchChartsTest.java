package org.apbj.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;

class BenchChartsTest {

    static BenchRunner.Cell cell(String method, int length, double ms, double... perRankMs) {
        Map<String, Double> breakdown = new LinkedHashMap<>();
        for (int i = 0; i < BenchRunner.CATEGORIES.size(); i++) breakdown.put(BenchRunner.CATEGORIES.get(i), ms / 10 * (i + 1));
        return new BenchRunner.Cell(method, perRankMs.length, length, "java", List.of(), List.of(ms), ms, length / (ms / 1000),
                breakdown, perRankMs, null, null, null, 0.0, "device", true, 0.8, new double[perRankMs.length]);
    }

    static List<Object> y(CategoryChart c, String series) { return new ArrayList<>(c.getSeriesMap().get(series).getYData()); }

    static List<Object> x(CategoryChart c, String series) { return new ArrayList<>(c.getSeriesMap().get(series).getXData()); }

    @Test
    void panelsCarryTimeThroughputBreakdownAndRanks() throws Exception {
        List<BenchRunner.Cell> cells = List.of(cell("apb", 4096, 500, 400, 500), cell("apb", 8192, 1000, 900, 1000),
                cell("dense", 4096, 2000, 2000));
        List<CategoryChart> p = BenchCharts.panels(List.of("apb", "dense"), List.of(4096, 8192), cells);
        assertEquals(4, p.size());

        CategoryChart time = p.get(0);
        assertEquals("Prefill time vs context length", time.getTitle());
        assertEquals("context length (tokens)", time.getXAxisTitle());
        assertEquals("prefill (s)", time.getYAxisTitle());
        assertEquals(List.of("apb", "dense"), new ArrayList<>(time.getSeriesMap().keySet()));
        assertEquals(List.of("4k", "8k"), x(time, "apb"));
        assertEquals(List.of(0.5, 1.0), y(time, "apb"));
        assertEquals(Arrays.asList(2.0, null), y(time, "dense"), "dense has no 8k cell: no point");
        assertEquals(CategorySeries.CategorySeriesRenderStyle.Line, time.getStyler().getDefaultSeriesRenderStyle());
        assertEquals(true, time.getStyler().isOverlapped(), "the lines share their x positions");

        CategoryChart speed = p.get(1);
        assertEquals("tokens/s", speed.getYAxisTitle());
        assertEquals(List.of(8192.0, 8192.0), y(speed, "apb"));

        CategoryChart breakdown = p.get(2);
        assertEquals("Prefill breakdown (slowest rank)", breakdown.getTitle());
        assertEquals(BenchRunner.CATEGORIES, new ArrayList<>(breakdown.getSeriesMap().keySet()));
        assertEquals(List.of("apb 4k", "apb 8k", "dense 4k"), x(breakdown, "attention"));
        assertEquals(List.of(0.2, 0.4, 0.8), y(breakdown, "attention"));
        assertEquals(true, breakdown.getStyler().isStacked());

        CategoryChart ranks = p.get(3);
        assertEquals("Prefill time per rank", ranks.getTitle());
        assertEquals(List.of("rank 0", "rank 1"), new ArrayList<>(ranks.getSeriesMap().keySet()));
        assertEquals(List.of(0.4, 0.9, 2.0), y(ranks, "rank 0"));
        assertEquals(Arrays.asList(0.5, 1.0, null), y(ranks, "rank 1"), "dense ran on one rank");
    }
}

package org.apbj.examples.cli;

import java.awt.FontFormatException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apbj.examples.eval.EvalReport;
import org.apbj.examples.report.ChartFile;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries.CategorySeriesRenderStyle;

/**
 * The panels of {@code eval}'s PNG (XChart): per length, the score of every method on every task
 * and their average; with several lengths, also the average against the length.
 */
final class EvalCharts {
    static final String AVERAGE = "average";

    private EvalCharts() {}

    static List<CategoryChart> panels(EvalReport r) throws IOException, FontFormatException {
        List<CategoryChart> panels = new ArrayList<>();
        List<String> groups = new ArrayList<>(shortNames(r.tasks()));
        groups.add(AVERAGE);
        for (String len : r.lengths()) {
            CategoryChart c = ChartFile.categoryChart("Accuracy at " + len, "task", "score (%)");
            c.getStyler().setYAxisMax(100.0);
            if (groups.size() > 6) c.getStyler().setXAxisLabelRotation(45);
            for (String method : r.methods()) {
                List<Double> y = new ArrayList<>();
                for (String task : r.tasks()) {
                    double s = r.score(method, len, task);
                    y.add(Double.isNaN(s) ? null : s);
                }
                y.add(r.averages().getOrDefault(method, java.util.Map.of()).get(len));
                c.addSeries(method, groups, y);
            }
            panels.add(c);
        }
        if (r.lengths().size() > 1) {
            CategoryChart c = ChartFile.categoryChart("Average accuracy vs context length", "context length", "score (%)");
            c.getStyler().setYAxisMax(100.0);
            c.getStyler().setDefaultSeriesRenderStyle(CategorySeriesRenderStyle.Line).setOverlapped(true);
            for (String method : r.methods()) {
                List<Double> y = new ArrayList<>();
                for (String len : r.lengths()) y.add(r.averages().getOrDefault(method, java.util.Map.of()).get(len));
                c.addSeries(method, r.lengths(), y);
            }
            panels.add(c);
        }
        return panels;
    }

    /** Task names short enough for the x axis. */
    static List<String> shortNames(List<String> tasks) {
        return tasks.stream().map(t -> t.replace("niah_", "").replace("single_", "s").replace("multikey_", "mk")
                .replace("multivalue", "mv").replace("multiquery", "mq").replace("number_string", "numstr")
                .replace("kv_retrieval", "kv").replace("math_find", "math")).toList();
    }
}

package org.apbj.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.apbj.examples.eval.EvalReport;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.CategoryChart;

class EvalChartsTest {

    @Test
    void onePanelPerLengthWithEveryTaskAndTheAverageThenAveragesVsLength() throws Exception {
        EvalReport r = new EvalReport();
        for (String len : List.of("1k", "2k")) {
            r.add("apb", len, "niah_single_1", 1);
            r.add("apb", len, "niah_single_1", 0);
            r.add("apb", len, "passkey", 1);
            r.add("dense", len, "niah_single_1", 1);
            r.add("dense", len, "passkey", len.equals("1k") ? 1 : 0);
        }
        List<CategoryChart> p = EvalCharts.panels(r);
        assertEquals(3, p.size());

        CategoryChart at1k = p.getFirst();
        assertEquals("Accuracy at 1k", at1k.getTitle());
        assertEquals("task", at1k.getXAxisTitle());
        assertEquals("score (%)", at1k.getYAxisTitle());
        assertEquals(100.0, at1k.getStyler().getYAxisMax());
        assertEquals(List.of("apb", "dense"), new ArrayList<>(at1k.getSeriesMap().keySet()));
        assertEquals(List.of("s1", "passkey", "average"), new ArrayList<>(at1k.getSeriesMap().get("apb").getXData()));
        assertEquals(List.of(50.0, 100.0, 75.0), new ArrayList<>(at1k.getSeriesMap().get("apb").getYData()));
        assertEquals(List.of(100.0, 0.0, 50.0), new ArrayList<>(p.get(1).getSeriesMap().get("dense").getYData()));

        CategoryChart avg = p.get(2);
        assertEquals("Average accuracy vs context length", avg.getTitle());
        assertEquals(List.of("1k", "2k"), new ArrayList<>(avg.getSeriesMap().get("dense").getXData()));
        assertEquals(List.of(100.0, 50.0), new ArrayList<>(avg.getSeriesMap().get("dense").getYData()));
    }

    @Test
    void taskNamesAreShortenedForTheAxis() {
        assertEquals(List.of("s1", "mk2", "mv", "mq", "numstr", "kv", "math", "vt"),
                EvalCharts.shortNames(List.of("niah_single_1", "niah_multikey_2", "niah_multivalue", "niah_multiquery",
                        "number_string", "kv_retrieval", "math_find", "vt")));
    }
}

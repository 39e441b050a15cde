package org.apbj.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartsTest {

    static int countColour(BufferedImage img, java.awt.Color c) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) if ((img.getRGB(x, y) & 0xFFFFFF) == (c.getRGB() & 0xFFFFFF)) n++;
        return n;
    }

    @Test
    void writesAPngWithOnePanelPerChartAndEverySeriesDrawn(@TempDir Path dir) throws Exception {
        var line = new Charts.Line("t", "s", List.of("4k", "8k", "16k"), List.of("apb", "dense"),
                new double[][] {{1, 2, 4}, {2, 5, 13}});
        var stacked = new Charts.Stacked("b", "s", List.of("apb 4k", "dense 4k"), List.of("qkv", "attn", "ffn"),
                new double[][] {{1, 2, 3}, {2, 0, 1}});
        Path png = dir.resolve("sub/chart.png");
        Charts.write(List.of(line, stacked), png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(Charts.WIDTH, img.getWidth());
        assertEquals(2 * Charts.PANEL_HEIGHT, img.getHeight());
        for (int s = 0; s < 3; s++) assertTrue(countColour(img, Charts.color(s)) > 50, "series/component " + s + " drawn");
    }

    @Test
    void barHeightsAreProportionalToValues() {
        // Two groups, one series: the second bar is three times as tall as the first.
        var g = new Charts.Grouped("g", "%", List.of("a", "b"), List.of("m"), new double[][] {{20}, {60}}, 100);
        BufferedImage img = Charts.render(List.of(g));
        int[] heights = new int[2];
        int c = Charts.color(0).getRGB() & 0xFFFFFF;
        for (int grp = 0; grp < 2; grp++) {
            int x = 80 + (int) ((Charts.WIDTH - 80 - 170) / 2.0 * (grp + 0.5));
            for (int y = 0; y < img.getHeight(); y++) if ((img.getRGB(x, y) & 0xFFFFFF) == c) heights[grp]++;
        }
        assertTrue(heights[0] > 0);
        assertEquals(3.0, (double) heights[1] / heights[0], 0.05);
    }

    @Test
    void niceMaxRoundsUpTo125() {
        assertEquals(5, Charts.niceMax(3.2));
        assertEquals(200, Charts.niceMax(101));
        assertEquals(1, Charts.niceMax(0));
        assertThrows(IllegalArgumentException.class, () -> Charts.render(List.of()));
    }
}

package org.apbj.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.CategoryChart;

class ChartFileTest {

    static CategoryChart chart(String title) throws Exception {
        CategoryChart c = ChartFile.categoryChart(title, "x", "y");
        c.addSeries("apb", List.of("4k", "8k"), List.of(1.0, 2.0));
        return c;
    }

    @Test
    void panelsGoTwoPerRowIntoOnePng(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("sub/chart.png");
        ChartFile.writePng(List.of(chart("a"), chart("b"), chart("c")), png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(2 * ChartFile.PANEL_WIDTH, img.getWidth());
        assertEquals(2 * ChartFile.PANEL_HEIGHT, img.getHeight());
        ChartFile.writePng(List.of(chart("one")), png);
        assertEquals(ChartFile.PANEL_WIDTH, ImageIO.read(png.toFile()).getWidth());
        assertThrows(IllegalArgumentException.class, () -> ChartFile.writePng(List.of(), png));
    }

    @Test
    void chartsUseTheEmbeddedFont() throws Exception {
        CategoryChart c = chart("t");
        assertEquals(ChartFonts.FAMILY, c.getStyler().getChartTitleFont().getFamily());
        assertEquals(ChartFonts.FAMILY, c.getStyler().getAxisTickLabelsFont().getFamily());
        assertEquals(ChartFonts.FAMILY, c.getStyler().getLegendFont().getFamily());
    }

    /**
     * The font configuration used where the machine has no fonts, given to a fresh JVM: the JDK
     * accepts it and a chart renders. (Hiding the system fonts needs root; scripts/no-fonts.sh
     * does that by hand.)
     */
    @Test
    void theSelfContainedFontConfigurationWorksInAFreshJvm(@TempDir Path dir) throws Exception {
        byte[] ttf;
        try (var in = ChartFonts.class.getResourceAsStream(ChartFonts.RESOURCE)) {
            ttf = in.readAllBytes();
        }
        Path config = ChartFonts.selfContainedFontConfig(ttf);
        Path png = dir.resolve("probe.png");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dsun.awt.fontconfig=" + config, "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"),
                ChartProbe.class.getName(), png.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);
        assertTrue(Files.size(png) > 1000, output);
        assertTrue(output.contains("DejaVu Sans"), output);
    }

    /** Renders one chart to the path given; prints the font families Java2D knows. */
    public static final class ChartProbe {
        public static void main(String[] args) throws Exception {
            ChartFile.writePng(List.of(chart("probe")), Path.of(args[0]));
            System.out.println(String.join(",", java.awt.GraphicsEnvironment.getLocalGraphicsEnvironment().getAvailableFontFamilyNames()));
        }
    }
}

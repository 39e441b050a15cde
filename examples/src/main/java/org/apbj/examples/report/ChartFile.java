package org.apbj.examples.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontFormatException;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;

/**
 * XChart panels of the commands' PNGs: a category chart styled the project's way (embedded font,
 * a colour-blind friendly palette, legend outside the plot), and several panels written as one
 * PNG, two per row.
 */
public final class ChartFile {
    public static final int PANEL_WIDTH = 800, PANEL_HEIGHT = 450;

    /** Series colours, in order: the Okabe-Ito palette (colour-blind friendly). */
    static final Color[] PALETTE = {new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73), new Color(0xCC79A7),
            new Color(0xE69F00), new Color(0x56B4E9), new Color(0xF0E442), new Color(0x000000)};

    private ChartFile() {}

    /** An empty category chart with titles, the embedded font and the palette. */
    public static CategoryChart categoryChart(String title, String xTitle, String yTitle) throws IOException, FontFormatException {
        Font font = ChartFonts.base(); // first: sets up Java2D's fonts before XChart asks for any
        CategoryChart c = new CategoryChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT)
                .title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        style(c.getStyler(), font);
        return c;
    }

    static void style(AxesChartStyler s, Font font) {
        s.setBaseFont(font.deriveFont(12f));
        s.setChartTitleFont(font.deriveFont(Font.BOLD, 15f));
        s.setLegendFont(font.deriveFont(12f));
        s.setAxisTitleFont(font.deriveFont(12f));
        s.setAxisTickLabelsFont(font.deriveFont(11f));
        s.setAnnotationTextFont(font.deriveFont(11f));
        s.setAnnotationTextPanelFont(font.deriveFont(11f));
        s.setToolTipFont(font.deriveFont(11f));
        s.setChartButtonFont(font.deriveFont(11f));
        s.setSeriesColors(PALETTE);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(false);
        s.setPlotGridLinesColor(new Color(0xE0E0E0));
        s.setPlotGridLinesStroke(new BasicStroke(1f));
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setLegendBorderColor(Color.WHITE);
        s.setChartTitleBoxVisible(false);
        s.setToolTipsEnabled(false);
        s.setYAxisMin(0.0);
        s.setYAxisDecimalPattern("#,##0.###");   // a lone point's tick otherwise shows every digit of a double
    }

    /** The panels as one PNG, two per row (one row when there is one panel); creates the folder. */
    public static void writePng(List<? extends Chart<?, ?>> panels, Path png) throws IOException {
        if (panels.isEmpty()) throw new IllegalArgumentException("a chart needs at least one panel");
        List<BufferedImage> images = new ArrayList<>();
        for (Chart<?, ?> c : panels) images.add(BitmapEncoder.getBufferedImage(c));
        int cols = Math.min(2, images.size()), rows = (images.size() + cols - 1) / cols;
        int w = images.stream().mapToInt(BufferedImage::getWidth).max().orElseThrow();
        int h = images.stream().mapToInt(BufferedImage::getHeight).max().orElseThrow();
        BufferedImage all = new BufferedImage(cols * w, rows * h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, all.getWidth(), all.getHeight());
            for (int i = 0; i < images.size(); i++) g.drawImage(images.get(i), (i % cols) * w, (i / cols) * h, null);
        } finally {
            g.dispose();
        }
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        if (!ImageIO.write(all, "png", png.toFile())) throw new IOException("this Java runtime has no PNG writer (javax.imageio)");
    }
}

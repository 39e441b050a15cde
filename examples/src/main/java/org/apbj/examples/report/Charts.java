package org.apbj.examples.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Small PNG charts drawn with Java2D (headless): line charts, stacked bars and grouped bars,
 * stacked vertically into one image. No dependency beyond the JDK.
 */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** Series colours, in order (colour-blind friendly Okabe-Ito palette). */
    public static final List<Color> PALETTE = List.of(new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73),
            new Color(0xCC79A7), new Color(0xE69F00), new Color(0x56B4E9), new Color(0xF0E442), new Color(0x000000));

    public static final int WIDTH = 900, PANEL_HEIGHT = 420;
    private static final int LEFT = 80, RIGHT = 170, TOP = 40, BOTTOM = 60;

    /** One panel of a chart image. */
    public sealed interface Panel permits Line, Stacked, Grouped {}

    /** y per x label, one series per name; NaN = no point. */
    public record Line(String title, String yLabel, List<String> xLabels, List<String> series, double[][] y) implements Panel {}

    /** One bar per label, its height the sum of the components. */
    public record Stacked(String title, String yLabel, List<String> bars, List<String> components, double[][] values) implements Panel {}

    /** Groups of bars (one per series) per group label; yMax fixed (e.g. 100 for scores) or NaN for auto. */
    public record Grouped(String title, String yLabel, List<String> groups, List<String> series, double[][] values, double yMax) implements Panel {}

    public static BufferedImage render(List<? extends Panel> panels) {
        if (panels.isEmpty()) throw new IllegalArgumentException("a chart needs at least one panel");
        BufferedImage img = new BufferedImage(WIDTH, PANEL_HEIGHT * panels.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        for (int i = 0; i < panels.size(); i++) {
            Graphics2D pg = (Graphics2D) g.create(0, i * PANEL_HEIGHT, WIDTH, PANEL_HEIGHT);
            switch (panels.get(i)) {
                case Line l -> drawLine(pg, l);
                case Stacked s -> drawStacked(pg, s);
                case Grouped gr -> drawGrouped(pg, gr);
            }
            pg.dispose();
        }
        g.dispose();
        return img;
    }

    public static void write(List<? extends Panel> panels, Path png) throws IOException {
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        if (!ImageIO.write(render(panels), "png", png.toFile())) {
            throw new IOException("no PNG writer in this JDK (javax.imageio)");
        }
    }

    // ---- panels -------------------------------------------------------------------------

    private static void drawLine(Graphics2D g, Line l) {
        double max = 0;
        for (double[] s : l.y()) for (double v : s) if (!Double.isNaN(v)) max = Math.max(max, v);
        Axes a = axes(g, l.title(), l.yLabel(), l.xLabels(), niceMax(max), true);
        g.setStroke(new BasicStroke(2.2f));
        for (int s = 0; s < l.series().size(); s++) {
            g.setColor(color(s));
            int px = -1, py = -1;
            for (int x = 0; x < l.xLabels().size(); x++) {
                double v = l.y()[s][x];
                if (Double.isNaN(v)) { px = -1; continue; }
                int cx = a.pointX(x), cy = a.y(v);
                g.fillOval(cx - 4, cy - 4, 8, 8);
                if (px >= 0) g.drawLine(px, py, cx, cy);
                px = cx;
                py = cy;
            }
        }
        legend(g, l.series());
    }

    private static void drawStacked(Graphics2D g, Stacked s) {
        double max = 0;
        for (double[] bar : s.values()) {
            double sum = 0;
            for (double v : bar) sum += Math.max(0, v);
            max = Math.max(max, sum);
        }
        Axes a = axes(g, s.title(), s.yLabel(), s.bars(), niceMax(max), false);
        int w = Math.max(4, (int) (a.slot() * 0.6));
        for (int b = 0; b < s.bars().size(); b++) {
            double base = 0;
            for (int c = 0; c < s.components().size(); c++) {
                double v = Math.max(0, s.values()[b][c]);
                int top = a.y(base + v), bottom = a.y(base);
                g.setColor(color(c));
                g.fillRect(a.slotCentre(b) - w / 2, top, w, Math.max(0, bottom - top));
                base += v;
            }
        }
        legend(g, s.components());
    }

    private static void drawGrouped(Graphics2D g, Grouped gr) {
        double max = gr.yMax();
        if (Double.isNaN(max)) {
            max = 0;
            for (double[] row : gr.values()) for (double v : row) if (!Double.isNaN(v)) max = Math.max(max, v);
            max = niceMax(max);
        }
        Axes a = axes(g, gr.title(), gr.yLabel(), gr.groups(), max, false);
        int n = gr.series().size();
        int w = Math.max(2, (int) (a.slot() * 0.8 / n));
        for (int grp = 0; grp < gr.groups().size(); grp++) {
            int x0 = a.slotCentre(grp) - w * n / 2;
            for (int s = 0; s < n; s++) {
                double v = gr.values()[grp][s];
                if (Double.isNaN(v)) continue;
                g.setColor(color(s));
                int top = a.y(v);
                g.fillRect(x0 + s * w, top, w - 1, Math.max(1, a.y(0) - top));
            }
        }
        legend(g, gr.series());
    }

    // ---- axes and helpers ---------------------------------------------------------------

    private record Axes(int x0, int x1, int y0, int y1, double max, int count) {
        int y(double v) { return y0 - (int) Math.round((y0 - y1) * Math.min(v, max) / max); }
        double slot() { return (double) (x1 - x0) / Math.max(1, count); }
        int slotCentre(int i) { return x0 + (int) Math.round(slot() * (i + 0.5)); }
        int pointX(int i) { return count == 1 ? (x0 + x1) / 2 : x0 + 20 + (int) Math.round((x1 - x0 - 40.0) * i / (count - 1)); }
    }

    private static Axes axes(Graphics2D g, String title, String yLabel, List<String> xLabels, double max, boolean points) {
        int x0 = LEFT, x1 = WIDTH - RIGHT, y0 = PANEL_HEIGHT - BOTTOM, y1 = TOP;
        Axes a = new Axes(x0, x1, y0, y1, max, xLabels.size());
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.setColor(Color.BLACK);
        g.drawString(title, x0, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        for (int t = 0; t <= 5; t++) {
            double v = max * t / 5;
            int y = a.y(v);
            g.setColor(new Color(0xE0E0E0));
            g.drawLine(x0, y, x1, y);
            g.setColor(Color.DARK_GRAY);
            String s = tick(v);
            g.drawString(s, x0 - 8 - fm.stringWidth(s), y + 4);
        }
        g.setColor(Color.BLACK);
        g.drawLine(x0, y0, x1, y0);
        g.drawLine(x0, y0, x0, y1);
        for (int i = 0; i < xLabels.size(); i++) {
            String s = xLabels.get(i);
            int cx = points ? a.pointX(i) : a.slotCentre(i);
            g.drawString(s, cx - fm.stringWidth(s) / 2, y0 + 18);
        }
        Graphics2D r = (Graphics2D) g.create();
        r.rotate(-Math.PI / 2);
        r.drawString(yLabel, -(y0 + y1) / 2 - fm.stringWidth(yLabel) / 2, 18);
        r.dispose();
        return a;
    }

    private static void legend(Graphics2D g, List<String> names) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int x = WIDTH - RIGHT + 15, y = TOP + 10;
        for (int i = 0; i < names.size(); i++) {
            g.setColor(color(i));
            g.fillRect(x, y + i * 20 - 10, 14, 14);
            g.setColor(Color.BLACK);
            g.drawString(names.get(i), x + 20, y + i * 20 + 2);
        }
    }

    public static Color color(int i) { return PALETTE.get(i % PALETTE.size()); }

    /** 1, 2 or 5 × 10^k at or above v (positive), so ticks read well. */
    static double niceMax(double v) {
        if (!(v > 0)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) if (m * p >= v) return m * p;
        return 10 * p;
    }

    private static String tick(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e6) return Long.toString((long) v);
        return String.format(java.util.Locale.ROOT, "%.3g", v);
    }
}

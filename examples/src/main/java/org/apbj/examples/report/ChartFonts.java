package org.apbj.examples.report;

import java.awt.Font;
import java.awt.FontFormatException;
import java.awt.GraphicsEnvironment;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one font of every chart: DejaVu Sans, embedded in this jar (its licence beside it,
 * {@code fonts/LICENSE-DejaVu.txt}), so a chart looks the same on every machine and renders where
 * the machine has no fonts at all.
 *
 * <p>Java2D sets up its font system before it draws any text, even with a font of our own: on
 * Linux it asks fontconfig for the logical fonts (SansSerif, Dialog, …). Where fontconfig or
 * every system font is missing (GPU machines, slim containers) that set-up fails ("Fontconfig head
 * is null"). We then write the embedded font to a temporary folder, hand the JDK a font
 * configuration that maps every logical font to it ({@code sun.awt.fontconfig}, the JDK's own
 * switch for this) and set up again; the JDK retries because a failed set-up is not remembered.
 */
final class ChartFonts {
    static final String RESOURCE = "fonts/DejaVuSans.ttf";
    static final String FAMILY = "DejaVu Sans";
    private static final String FONTCONFIG_PROPERTY = "sun.awt.fontconfig";

    private static Font base;

    private ChartFonts() {}

    /** The embedded font at size 1 (derive the sizes), registered with the graphics environment. */
    static synchronized Font base() throws IOException, FontFormatException {
        if (base == null) base = load();
        return base;
    }

    private static Font load() throws IOException, FontFormatException {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        byte[] ttf;
        try (InputStream in = ChartFonts.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IOException("the chart font " + RESOURCE + " is missing from the examples jar");
            ttf = in.readAllBytes();
        }
        Font font;
        try {
            font = Font.createFont(Font.TRUETYPE_FONT, new ByteArrayInputStream(ttf));
        } catch (IOException | RuntimeException | Error noFontSystem) {
            if (System.getProperty(FONTCONFIG_PROPERTY) != null) throw noFontSystem;
            try {
                System.setProperty(FONTCONFIG_PROPERTY, selfContainedFontConfig(ttf).toString());
                font = Font.createFont(Font.TRUETYPE_FONT, new ByteArrayInputStream(ttf));
            } catch (IOException | RuntimeException | Error again) {
                again.addSuppressed(noFontSystem);
                throw again;
            }
        }
        GraphicsEnvironment.getLocalGraphicsEnvironment().registerFont(font);
        return font;
    }

    /**
     * A temporary folder with the font and a JDK font configuration (fontconfig.properties format,
     * version 1) mapping the five logical fonts in all four styles to it; deleted at exit.
     */
    static Path selfContainedFontConfig(byte[] ttf) throws IOException {
        Path dir = Files.createTempDirectory("apbj-fonts-");
        Path file = dir.resolve("DejaVuSans.ttf");
        Files.write(file, ttf);
        StringBuilder b = new StringBuilder("version=1\nsequence.allfonts=latin-1\n");
        for (String family : new String[] {"serif", "sansserif", "monospaced", "dialog", "dialoginput"}) {
            for (String style : new String[] {"plain", "bold", "italic", "bolditalic"}) {
                b.append(family).append('.').append(style).append(".latin-1=").append(FAMILY).append('\n');
            }
        }
        // the properties format escapes backslashes; a Linux path has none, a Windows one would
        b.append("filename.DejaVu_Sans=").append(file.toAbsolutePath().toString().replace("\\", "\\\\")).append('\n');
        Path config = dir.resolve("fontconfig.properties");
        Files.writeString(config, b);
        for (Path p : new Path[] {dir, file, config}) p.toFile().deleteOnExit();
        return config;
    }
}

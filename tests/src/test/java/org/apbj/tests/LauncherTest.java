package org.apbj.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ./apbj runs Maven only when the build is stale. Checked on a copy of the launcher in a made-up
 * tree (its functions sourced, nothing built): which changes count and which do not.
 */
class LauncherTest {
    @TempDir
    Path root;

    private Path source, jar;

    static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("apbj")) && Files.isRegularFile(p.resolve("scripts/jdk.sh"))) return p;
        }
        throw new IllegalStateException("no ./apbj above " + Path.of("").toAbsolutePath());
    }

    @BeforeEach
    void aBuiltTree() throws IOException {
        Path repo = repoRoot();
        Files.createDirectories(root.resolve("scripts"));
        Files.copy(repo.resolve("apbj"), root.resolve("apbj"));
        Files.copy(repo.resolve("scripts/jdk.sh"), root.resolve("scripts/jdk.sh"));
        Files.writeString(root.resolve("pom.xml"), "<project/>");
        Files.createDirectories(root.resolve("weights"));
        Files.writeString(root.resolve("weights/pom.xml"), "<project/>");
        source = root.resolve("weights/src/main/java/org/apbj/weights/A.java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, "class A {}");
        Files.createDirectories(root.resolve("examples/target/classes"));
        Files.createDirectories(root.resolve("tests/src/test/java"));
        jar = root.resolve("repo/lib.jar");
        Files.createDirectories(jar.getParent());
        Files.writeString(jar, "jar");
        Files.createDirectories(root.resolve("build"));
        Files.writeString(root.resolve("build/classpath.txt"), root.resolve("weights/target/classes") + ":" + jar);
        Files.createDirectories(root.resolve("weights/target/classes"));
        // everything made 100 s ago, the last build 50 s ago
        Instant now = Instant.now();
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.setLastModifiedTime(p, FileTime.from(now.minusSeconds(100)));
        }
        Files.writeString(root.resolve("build/build.stamp"), "");
        Files.setLastModifiedTime(root.resolve("build/build.stamp"), FileTime.from(now.minusSeconds(50)));
    }

    private String stale() throws Exception {
        Process p = new ProcessBuilder("bash", "-c", "source ./apbj && if build_is_stale; then echo stale; else echo fresh; fi")
                .directory(root.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void aBuiltTreeStartsWithoutMaven() throws Exception {
        assertEquals("fresh", stale());
        Files.writeString(root.resolve("tests/src/test/java/T.java"), "class T {}"); // tests are not in the app
        assertEquals("fresh", stale());
    }

    @Test
    void anEditedSourceRebuilds() throws Exception {
        Files.writeString(source, "class A { int x; }");
        assertEquals("stale", stale());
    }

    @Test
    void aNewOrDeletedSourceRebuilds() throws Exception {
        Files.delete(source);
        assertEquals("stale", stale(), "a deletion changes the folder's time");
    }

    @Test
    void anEditedPomOrLauncherRebuilds() throws Exception {
        Files.writeString(root.resolve("weights/pom.xml"), "<project><!-- new dependency --></project>");
        assertEquals("stale", stale());
        Files.setLastModifiedTime(root.resolve("weights/pom.xml"), FileTime.from(Instant.now().minusSeconds(100)));
        assertEquals("fresh", stale());
        Files.setLastModifiedTime(root.resolve("apbj"), FileTime.from(Instant.now()));
        assertEquals("stale", stale());
    }

    @Test
    void aMissingClasspathEntryOrNoStampRebuilds() throws Exception {
        Files.delete(jar);
        assertEquals("stale", stale());
        Files.writeString(jar, "jar");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(100)));
        Files.setLastModifiedTime(jar.getParent(), FileTime.from(Instant.now().minusSeconds(100)));
        assertEquals("fresh", stale());
        Files.delete(root.resolve("build/build.stamp"));
        assertEquals("stale", stale());
    }

    @Test
    void theJdkIsFoundFromItsReleaseFile() throws Exception {
        Path jdk = root.resolve("jvm/fake-25");
        Files.createDirectories(jdk.resolve("bin"));
        for (String tool : List.of("java", "javac")) {
            Path t = Files.writeString(jdk.resolve("bin/" + tool), "#!/bin/sh\nexit 1\n");
            t.toFile().setExecutable(true);
        }
        Files.writeString(jdk.resolve("release"), "IMPLEMENTOR=\"x\"\nJAVA_VERSION=\"25.0.1\"\n");
        Process p = new ProcessBuilder("bash", "-c", "source scripts/jdk.sh && JAVA_HOME=" + jdk + " && find_jdk && echo $JAVA_HOME")
                .directory(root.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(jdk.toString(), out);
        Files.writeString(jdk.resolve("release"), "JAVA_VERSION=\"21.0.2\"\n");
        Process old = new ProcessBuilder("bash", "-c", "source scripts/jdk.sh && JAVA_HOME=" + jdk + " && PATH=/bin && jdk_is_25 $JAVA_HOME")
                .directory(root.toFile()).start();
        assertTrue(old.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, old.exitValue(), "JDK 21 is refused");
    }
    /** A crashed test JVM fails no test: the summary must still say what happened, with its crash report. */
    @Test
    void theSummaryNamesACrashedTestJvm() throws Exception {
        Files.writeString(root.resolve("build/test.log"), String.join("\n",
                "[INFO] Tests run: 407, Failures: 0, Errors: 0, Skipped: 0",
                "[ERROR] The forked VM terminated without properly saying goodbye. VM crash or System.exit called?",
                "[ERROR] Command was /bin/sh -c java -jar booter.jar",
                "[ERROR] Process Exit Code: 139",
                "[INFO] BUILD FAILURE", ""));
        Files.writeString(root.resolve("weights/hs_err_pid42.log"), String.join("\n",
                "# A fatal error has been detected by the Java Runtime Environment:",
                "#  SIGSEGV (0xb) at pc=0x1, pid=42, tid=43",
                "# Problematic frame:",
                "# C  [libfoo.so+0x10]  bar+0x4", ""));
        Process p = new ProcessBuilder("bash", "-c", "source ./apbj && summary build/test.log")
                .directory(root.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("forked VM terminated") && out.contains("Process Exit Code: 139"), out);
        assertTrue(out.contains("hs_err_pid42.log") && out.contains("SIGSEGV") && out.contains("libfoo.so"), out);
    }
}

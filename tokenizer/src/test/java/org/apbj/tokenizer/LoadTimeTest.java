package org.apbj.tokenizer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Loading the 9 MB Llama-3 tokenizer.json (128K vocabulary, 280K merges) stays well under two
 * seconds. Measured as this thread's CPU time on the second load (classes loaded, JIT warm), so
 * that other work on a shared machine does not make the test flaky.
 */
class LoadTimeTest {
    @Test
    void llama3LoadsInUnderTwoSecondsOfCpu() {
        Path dir = TestFiles.sharedTokenizer("llama3");
        Tokenizer.load(dir);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long start = threads.getCurrentThreadCpuTime();
        Tokenizer tokenizer = Tokenizer.load(dir);
        double seconds = (threads.getCurrentThreadCpuTime() - start) / 1e9;
        assertTrue(tokenizer.vocabSize() == 128_256, tokenizer.toString());
        assertTrue(seconds < 2.0, "loading took " + seconds + " s of CPU time");
    }
}

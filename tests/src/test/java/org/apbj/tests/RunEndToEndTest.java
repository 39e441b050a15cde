package org.apbj.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apbj.examples.cli.RepoRoot;
import org.apbj.parallel.launch.MpjHome;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ./apbj run: one request through mpjrun (MPJ Express multicore, 2 ranks). */
class RunEndToEndTest {

    @Test
    void answersAPassKeyThroughMpjrun(@TempDir Path dir) throws Exception {
        boolean mpj;
        try {
            MpjHome.locate();
            mpj = true;
        } catch (RuntimeException e) {
            mpj = false;
        }
        Assumptions.assumeTrue(mpj, "MPJ Express home not configured (./apbj sets MPJ_HOME and -Dapbj.mpj.home)");
        StringBuilder haystack = new StringBuilder("There is an important info hidden inside a lot of irrelevant text."
                + " Find it and memorize it. I will quiz you about the important information there.\n");
        for (int i = 0; i < 30; i++) {
            haystack.append(" The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.");
            if (i == 11) haystack.append(" The pass key is 62817. Remember it. 62817 is the pass key.");
        }
        Path prompt = dir.resolve("context.txt");
        Files.writeString(prompt, haystack);
        Path json = dir.resolve("run.json");
        Cli r = Cli.run("run", "--model", RepoRoot.tinyModel().toString(), "--method", "apb", "--ranks", "2",
                "--prompt-file", prompt.toString(), "--query", "\nWhat is the pass key?", "--answer-prefix", "The pass key is",
                "--max-new-tokens", "6", "--device", Cli.device(), "--out", json.toString());
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().contains("62817"), r.toString());
        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertEquals(2, j.get("ranks").asInt());
        assertEquals(2, j.get("timing").get("prefillPerRankMs").size());
    }
}

package org.apbj.examples.cli;

import java.nio.file.Path;
import org.apbj.tokenizer.TokenizeCommand;

/** Runs {@code tokenize}: a thin wrapper over the tokenizer module's TokenizeCommand (stdin to stdout). */
final class TokenizeRunner {
    private final TokenizeCliCommand cmd;

    TokenizeRunner(TokenizeCliCommand cmd) { this.cmd = cmd; }

    int run() throws Exception {
        Path dir = cmd.tokenizer != null ? cmd.tokenizer : RepoRoot.tinyModel();
        TokenizeCommand.run(dir, cmd.decode, cmd.noSpecial, cmd.addBos, System.in, System.out);
        return 0;
    }
}

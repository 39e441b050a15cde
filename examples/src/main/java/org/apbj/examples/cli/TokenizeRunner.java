package org.apbj.examples.cli;

/** Runs `tokenize`. */
final class TokenizeRunner {
    private final TokenizeCliCommand cmd;

    TokenizeRunner(TokenizeCliCommand cmd) { this.cmd = cmd; }

    int run() {
        throw new NotAvailableException("tokenize", "the tokenizer module's TokenizeCommand, not yet in this build");
    }
}

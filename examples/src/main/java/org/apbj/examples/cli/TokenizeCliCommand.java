package org.apbj.examples.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apbj.tokenizer.TokenizeCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tokenize}: the tokenizer module's TokenizeCommand, stdin to stdout. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Text on stdin -> token ids on stdout (or ids -> text with --decode).")
public final class TokenizeCliCommand implements Callable<Integer> {

    @Option(names = "--tokenizer", paramLabel = "DIR", description = "folder with tokenizer.json (default: models/tiny-niah)")
    Path tokenizer;

    @Option(names = "--decode", description = "read ids (whitespace separated) and print the text")
    boolean decode;

    @Option(names = "--no-special", description = "treat special-token text as plain text")
    boolean noSpecial;

    @Option(names = "--add-bos", description = "prepend the BOS token")
    boolean addBos;

    @Override
    public Integer call() throws Exception {
        TokenizeCommand.run(tokenizer != null ? tokenizer : RepoRoot.tinyModel(), decode, noSpecial, addBos, System.in, System.out);
        return 0;
    }
}

package org.apbj.examples.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Checks of flag values that picocli's types do not express, as usage errors naming the flag. */
final class Flags {
    private Flags() {}

    static void atLeast(CommandSpec spec, String flag, long value, long min) {
        if (value < min) throw new ParameterException(spec.commandLine(), flag + "=" + value + " must be at least " + min);
    }
}

package org.apbj.examples;

import java.io.PrintWriter;
import org.apbj.examples.cli.BenchCommand;
import org.apbj.examples.cli.DemoCommand;
import org.apbj.examples.cli.EvalCommand;
import org.apbj.examples.cli.KernelsCommand;
import org.apbj.examples.api.NotAvailableException;
import org.apbj.examples.cli.RunCommand;
import org.apbj.examples.cli.SynthModelCommand;
import org.apbj.examples.cli.TokenizeCliCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of ./apbj's engine commands: {@code ./apbj <command> [options]}. */
@Command(name = "apbj", mixinStandardHelpOptions = true, version = "apbj 0.1.0",
        description = "Long-context inference with APB (and dense, ring, star baselines) in pure Java.",
        subcommands = {DemoCommand.class, RunCommand.class, BenchCommand.class, EvalCommand.class,
                KernelsCommand.class, SynthModelCommand.class, TokenizeCliCommand.class})
public final class Main implements Runnable {

    /** Exit status of a command that needs a part of the engine this build lacks. */
    public static final int EXIT_NOT_AVAILABLE = 3;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command (see --help)");
    }

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    static boolean isUserError(Throwable t) {
        return t instanceof IllegalArgumentException || t instanceof org.apbj.tokenizer.TokenizerFormatException
                || t instanceof org.apbj.weights.WeightsFormatException
                || t instanceof org.apbj.kernels.runtime.DeviceUnavailableException;
    }

    /** Runs one command with the given output streams; returns its exit status. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out).setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            // Bad input and missing parts get their message only; anything else is a bug: full trace.
            String name = line.getCommandName();
            if (ex instanceof NotAvailableException) {
                line.getErr().println("apbj " + name + ": " + ex.getMessage());
                return EXIT_NOT_AVAILABLE;
            }
            // Bad input, unreadable files and missing devices are the user's to fix: their message
            // only, also when a rank hit them and aborted the job (then they are a cause).
            for (Throwable c = ex; c != null; c = c.getCause() == c ? null : c.getCause()) {
                if (isUserError(c)) {
                    line.getErr().println("apbj " + name + ": " + c.getMessage());
                    return 1;
                }
            }
            if (ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
                // NoSuchFileException and friends carry only the path: name the kind of failure too.
                Throwable io = ex instanceof java.io.UncheckedIOException u ? u.getCause() : ex;
                line.getErr().println("apbj " + name + ": " + io.getClass().getSimpleName() + ": " + io.getMessage());
                return 1;
            }
            ex.printStackTrace(line.getErr());
            return 1;
        });
        int status = cl.execute(args);
        out.flush();
        err.flush();
        return status;
    }
}

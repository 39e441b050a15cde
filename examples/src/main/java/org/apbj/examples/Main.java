package org.apbj.examples;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import org.apbj.examples.api.NotAvailableException;
import org.apbj.examples.cli.BenchCommand;
import org.apbj.examples.cli.DemoCommand;
import org.apbj.examples.cli.EvalCommand;
import org.apbj.examples.cli.KernelsCommand;
import org.apbj.examples.cli.RunCommand;
import org.apbj.examples.cli.SynthModelCommand;
import org.apbj.examples.cli.TokenizeCliCommand;
import org.apbj.parallel.comm.Failures;
import org.apbj.parallel.comm.RankFailedException;
import org.apbj.tokenizer.TokenizerFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of ./apbj's engine commands: {@code ./apbj <command> [options]}.
 *
 * <p>Every failure is one line on stderr, {@code apbj COMMAND: problem and fix}, and a non-zero
 * status: {@value #EXIT_BAD_INPUT} for bad input (flags, files, model, device: the user's to
 * fix), {@value #EXIT_FAILED} when the run itself failed (a rank's error, a killed rank JVM, a
 * timeout, a bug), {@value #EXIT_NOT_AVAILABLE} for a part of the engine this build lacks.
 * Where a trace or the ranks' output helps, it goes to a log file whose path ends the line.
 */
@Command(name = "apbj", mixinStandardHelpOptions = true, version = "apbj 0.1.0",
        description = "Long-context inference with APB (and dense, ring, star baselines) in pure Java.",
        subcommands = {DemoCommand.class, RunCommand.class, BenchCommand.class, EvalCommand.class,
                KernelsCommand.class, SynthModelCommand.class, TokenizeCliCommand.class})
public final class Main implements Runnable {

    /** Exit status of bad input: flags, files, a model directory, a device. */
    public static final int EXIT_BAD_INPUT = 1;
    /** Exit status of a run that failed: a rank's error, a killed rank, a timeout, a bug. */
    public static final int EXIT_FAILED = 2;
    /** Exit status of a command that needs a part of the engine this build lacks. */
    public static final int EXIT_NOT_AVAILABLE = 3;
    /** Folder of the failure logs: -Dapbj.log.dir, else APBJ_LOG_DIR, else TMPDIR/apbj-logs. */
    public static final String LOG_DIR_PROPERTY = "apbj.log.dir";

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: " + commandNames());
    }

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs one command with the given output streams; returns its exit status. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out).setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, given) -> {
            CommandLine line = ex.getCommandLine();
            String name = prefix(line);
            boolean top = line.getCommandSpec().parent() == null;
            String message = top && ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
                    && !u.getUnmatched().getFirst().startsWith("-")
                    ? "unknown command '" + u.getUnmatched().getFirst() + "': use one of " + commandNames() : oneLine(ex.getMessage());
            line.getErr().println(name + ": " + message + " (see " + (top ? "apbj" : name) + " --help)");
            return EXIT_BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, line, parsed) -> report(ex, prefix(line), line.getErr(), args));
        int status = cl.execute(args);
        out.flush();
        err.flush();
        return status;
    }

    private static String commandNames() {
        return String.join(", ", new CommandLine(new Main()).getSubcommands().keySet());
    }

    private static String prefix(CommandLine line) {
        return line.getCommandSpec().parent() == null ? "apbj" : "apbj " + line.getCommandName();
    }

    /** One line for {@code ex} on {@code err}, the trace and the ranks' output to a log where they help; the exit status. */
    static int report(Exception ex, String name, PrintWriter err, String[] args) {
        if (ex instanceof NotAvailableException) {
            err.println(name + ": " + oneLine(ex.getMessage()));
            return EXIT_NOT_AVAILABLE;
        }
        if (ex instanceof RankFailedException r) {
            err.println(name + ": " + oneLine(r.getMessage()) + logged(name, args, ex, r.details()));
            return r.isUserError() ? EXIT_BAD_INPUT : EXIT_FAILED;
        }
        // Bad input, unreadable files and missing devices are the user's to fix: their message only.
        Throwable user = userError(ex);
        if (user != null) {
            err.println(name + ": " + (user instanceof TokenizerFormatException ? oneLine(user.getMessage()) : Failures.describe(user)));
            return EXIT_BAD_INPUT;
        }
        err.println(name + ": internal error: " + Failures.describe(ex) + logged(name, args, ex, null));
        return EXIT_FAILED;
    }

    private static Throwable userError(Throwable ex) {
        for (Throwable c = ex; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof TokenizerFormatException) return c;
        }
        return Failures.userError(ex);
    }

    private static String oneLine(String s) {
        return String.valueOf(s).strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** " (full trace: FILE)" after writing the trace and {@code details} there; "" if no log can be written. */
    private static String logged(String name, String[] args, Throwable ex, String details) {
        StringWriter trace = new StringWriter();
        ex.printStackTrace(new PrintWriter(trace));
        String text = "apbj " + String.join(" ", args) + "\n\n" + trace
                + (details == null ? "" : "\n--- the ranks' output ---\n" + details);
        try {
            Path dir = logDir();
            Files.createDirectories(dir);
            String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            Path log = dir.resolve(name.replace(' ', '-') + "-" + stamp + "-" + ProcessHandle.current().pid() + ".log");
            for (int i = 1; Files.exists(log); i++) log = log.resolveSibling(log.getFileName() + "." + i);
            Files.writeString(log, text, StandardCharsets.UTF_8);
            return " (full trace: " + log + ")";
        } catch (IOException | RuntimeException e) {
            return " (no log written: " + e.getMessage() + ")";
        }
    }

    static Path logDir() {
        String p = System.getProperty(LOG_DIR_PROPERTY);
        if (p == null || p.isBlank()) p = System.getenv("APBJ_LOG_DIR");
        if (p != null && !p.isBlank()) return Path.of(p);
        return Path.of(System.getProperty("java.io.tmpdir"), "apbj-logs");
    }

}

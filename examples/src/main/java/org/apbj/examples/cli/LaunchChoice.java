package org.apbj.examples.cli;

import java.io.PrintWriter;
import java.util.Optional;
import org.apbj.examples.api.Apbj;
import org.apbj.examples.api.Options;

/**
 * How the commands start ranks: through mpjrun (MPJ Express multicore, the parallel module's
 * launcher) unless --in-process is given or MPJ Express is not set up here, in which case the
 * ranks are threads of this JVM and a line on stderr says so.
 */
final class LaunchChoice {
    private LaunchChoice() {}

    static Options.Launch resolve(boolean inProcess, PrintWriter err) {
        if (inProcess) return Options.Launch.IN_PROCESS;
        Optional<String> why = Apbj.mpjrunUnavailableReason();
        if (why.isEmpty()) return Options.Launch.MPJRUN;
        err.println("apbj: ranks run as threads of this JVM, not through mpjrun: " + why.get());
        return Options.Launch.IN_PROCESS;
    }
}

package org.apbj.examples.cli;

import java.nio.file.Path;
import java.util.List;
import org.apbj.kernels.jit.KernelSources;
import org.apbj.kernels.jit.Target;
import org.apbj.kernels.lib.KernelLibrary;

/** Runs {@code kernels}: a thin wrapper over the jit's emit on every library kernel specialisation. */
final class KernelsRunner {
    private final KernelsCommand cmd;

    KernelsRunner(KernelsCommand cmd) { this.cmd = cmd; }

    int run() {
        Target target = switch (cmd.emit) {
            case OPENCL -> Target.OPENCL;
            case PTX -> {
                if (!cmd.arch.matches("sm_\\d{2,3}")) {
                    throw new IllegalArgumentException("--arch " + cmd.arch + " is not a PTX architecture such as sm_80 or sm_90");
                }
                yield new Target(Target.Kind.PTX, cmd.arch);
            }
        };
        List<Path> files = KernelSources.emit(KernelLibrary.specialisations(), target, cmd.out);
        var out = cmd.spec.commandLine().getOut();
        for (Path f : files) out.println(f);
        out.printf("%d files for %s in %s (%d library kernels)%n", files.size(), target, cmd.out, KernelLibrary.all().size());
        return 0;
    }
}

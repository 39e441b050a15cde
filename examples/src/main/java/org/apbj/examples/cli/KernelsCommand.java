package org.apbj.examples.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apbj.kernels.jit.KernelSources;
import org.apbj.kernels.jit.Target;
import org.apbj.kernels.lib.KernelLibrary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kernels}: the jit's emit on every library kernel specialisation. */
@Command(name = "kernels", mixinStandardHelpOptions = true,
        description = "Compiles every kernel of the library and writes its PTX or OpenCL C, one file per kernel.")
public final class KernelsCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    public enum Emit { PTX, OPENCL }

    @Option(names = "--emit", required = true, paramLabel = "KIND", description = "ptx or opencl")
    Emit emit;

    @Option(names = "--arch", defaultValue = "sm_90", description = "PTX target architecture (default: ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Override
    public Integer call() {
        Target target = switch (emit) {
            case OPENCL -> Target.OPENCL;
            case PTX -> {
                if (!arch.matches("sm_\\d{2,3}")) {
                    throw new IllegalArgumentException("--arch " + arch + " is not a PTX architecture such as sm_80 or sm_90");
                }
                yield new Target(Target.Kind.PTX, arch);
            }
        };
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + " is a file: name a folder (it is created if missing)");
        }
        List<Path> files = KernelSources.emit(KernelLibrary.specialisations(), target, out);
        var stdout = spec.commandLine().getOut();
        for (Path f : files) stdout.println(f);
        stdout.printf("%d files for %s in %s (%d library kernels)%n", files.size(), target, out, KernelLibrary.all().size());
        return 0;
    }
}

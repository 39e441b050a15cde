package org.apbj.examples.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

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
    public Integer call() throws Exception {
        return new KernelsRunner(this).run();
    }
}

package org.apbj.examples.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import org.apbj.examples.api.Apbj;
import org.apbj.examples.api.Options;
import org.apbj.parallel.strategy.Method;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Mixin: how and where the ranks run ({@code --ranks}, {@code --device}, {@code --in-process},
 * {@code --comm-timeout}, {@code --allow-long-context}), turned into the engine's {@link Options}.
 */
public final class EngineOptions {

    @Spec(Spec.Target.MIXEE) CommandSpec spec;

    int ranks = 4;
    String device = "auto";
    long commTimeoutSeconds = 1800;
    private Options.Launch launch;   // decided (and said) once per command

    @Option(names = "--in-process", description = "run the ranks as threads of this JVM instead of through mpjrun")
    boolean inProcess;

    @Option(names = "--allow-long-context",
            description = "run prompts longer than the model's max_position_embeddings (refused otherwise: past it the model has not been trained)")
    boolean allowLongContext;

    @Option(names = "--ranks", paramLabel = "N", defaultValue = "4",
            description = "ranks (one per GPU) for the distributed methods; dense always runs on one (default: ${DEFAULT-VALUE})")
    void ranks(int n) {
        if (n < 1) throw new ParameterException(spec.commandLine(), "--ranks=" + n + " must be at least 1");
        ranks = n;
    }

    @Option(names = "--device", paramLabel = "KIND", defaultValue = "auto",
            description = "auto, cuda[:N], opencl[:P[:D]] or java[:THREADS[:MEMORY]] (default: ${DEFAULT-VALUE}: CUDA, else OpenCL, else Java)")
    void device(String d) {
        if (d.isBlank()) throw new ParameterException(spec.commandLine(), "--device is empty: use auto, cuda[:N], opencl[:P[:D]] or java[:THREADS]");
        device = d.strip();
    }

    @Option(names = "--comm-timeout", paramLabel = "SECONDS", defaultValue = "1800",
            description = "how long a rank may wait for the others before the job is ended (default: ${DEFAULT-VALUE})")
    void commTimeout(long seconds) {
        if (seconds < 1) throw new ParameterException(spec.commandLine(), "--comm-timeout=" + seconds + " must be at least 1 second");
        commTimeoutSeconds = seconds;
    }

    /**
     * The engine's options for these flags and {@code model}'s heads, for method {@code m} (dense
     * on one rank). Ranks run through mpjrun unless --in-process is given or MPJ Express is not
     * set up here, in which case they are threads of this JVM and a line on {@code err} says so.
     */
    Options options(Method m, ModelOptions model, PrintWriter err) {
        Options o = Options.of(m).ranks(ranks).device(device).launch(launch(err)).timeout(Duration.ofSeconds(commTimeoutSeconds))
                .allowLongContext(allowLongContext).forMethod(m);
        return model.heads != null ? o.heads(model.heads) : o;
    }

    private Options.Launch launch(PrintWriter err) {
        if (launch == null) {
            Optional<String> why = inProcess ? Optional.empty() : Apbj.mpjrunUnavailableReason();
            if (why.isPresent()) err.println("apbj: ranks run as threads of this JVM, not through mpjrun: " + why.get());
            launch = inProcess || why.isPresent() ? Options.Launch.IN_PROCESS : Options.Launch.MPJRUN;
        }
        return launch;
    }
}

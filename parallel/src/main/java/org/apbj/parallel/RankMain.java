package org.apbj.parallel;

import java.util.List;
import org.apbj.parallel.comm.ExitCodes;
import org.apbj.parallel.comm.Failures;
import org.apbj.parallel.comm.MpjCommunicator;
import org.apbj.parallel.comm.RankFailure;
import org.apbj.parallel.launch.JobWatch;
import org.apbj.parallel.rank.ConfigCheck;
import org.apbj.parallel.rank.RankArgs;
import org.apbj.parallel.rank.RankJob;
import org.apbj.parallel.rank.RunReport;

/**
 * The program each MPJ Express rank runs ({@code mpjrun -np N -dev multicore -cp CP
 * org.apbj.parallel.RankMain --model=... --method=apb ...}; options in {@link RankArgs}).
 * With the multicore device the ranks are threads of one JVM, so nothing here is static
 * mutable state. Failures end the whole job with a non-zero status and the cause on stderr,
 * as a {@link RankFailure} line a launcher reports once, then the trace:
 * {@link ExitCodes#CONFIG_MISMATCH} when ranks disagree on the configuration,
 * {@link ExitCodes#RANK_FAILED} when a rank throws, {@link ExitCodes#COMM_TIMEOUT} when a rank
 * stops answering, {@link ExitCodes#PEER_DIED} when another rank's JVM is gone,
 * {@link ExitCodes#LAUNCHER_GONE} when the launcher is (see {@link JobWatch}).
 */
public final class RankMain {
    private RankMain() {}

    public static void main(String[] args) {
        runRank(args, RankHooks.NONE);
    }

    /** main() with hooks (tests inject faults and inconsistent arguments with them). */
    public static void runRank(String[] args, RankHooks hooks) {
        double jvmStartSeconds = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0;
        MpjCommunicator.Session session;
        try {
            session = MpjCommunicator.init(args);
        } catch (Throwable t) {
            MpjCommunicator.exit(new RankFailure(-1, RankFailure.Cause.ERROR, "MPI initialisation failed: " + Failures.describe(t)), t);
            return;
        }
        MpjCommunicator comm = session.communicator();
        JobWatch watch = JobWatch.start(comm.rank(), comm.size(), f -> MpjCommunicator.exit(f, null));
        try {
            RankArgs parsed = RankArgs.parse(hooks.arguments(comm.rank(), session.appArgs()));
            if (parsed.commTimeout() != null) comm.setTimeout(parsed.commTimeout());
            List<RunReport> reports = RankJob.runAll(comm, parsed, steps -> hooks.layerSteps(comm.rank(), steps), jvmStartSeconds);
            if (comm.rank() == 0) {
                if (parsed.output() != null) RunReport.write(parsed.output(), reports);
                RunReport.ColdStart cold = reports.getFirst().coldStart();
                System.out.printf("apbj: cold start: JVM %s, device %.3f s, model load %.3f s, first compile %.3f s; %d request(s) on one load%n",
                        cold.jvmStartSeconds() == null ? "-" : String.format("%.3f s", cold.jvmStartSeconds()), cold.deviceOpenSeconds(),
                        cold.modelLoadSeconds(), cold.firstCompileSeconds(), cold.requests());
                System.out.printf("apbj: communication between ranks: %s path%n", reports.getFirst().commPath());
                for (RunReport report : reports) {
                    System.out.printf("apbj: %s on %d ranks: prefill of %d tokens %.3f s (%.0f tokens/s; compiling %.3f s of it), generated %s%n",
                            report.method(), report.ranks(), report.contextTokens(), report.prefillSeconds(),
                            report.prefillTokensPerSecond(), report.kernelPreparationSeconds(), java.util.Arrays.toString(report.generated()));
                    if (report.passingLength() != null && report.passingLength() > 0 && report.ranks() > 1) {
                        System.out.printf("apbj: retaining heads (scores, top-k, gather): %.1f%% of the prefill device time of the rank they"
                                + " cost most%n", 100 * report.retainingShare());
                    }
                }
            }
            watch.finishing();
            comm.close();
            watch.close();
        } catch (ConfigCheck.MismatchException e) {
            MpjCommunicator.exit(new RankFailure(comm.rank(), RankFailure.Cause.MISMATCH, e.getMessage()), null);
        } catch (Throwable t) {
            // a peer killed mid-collective breaks this rank's connections first: name the dead peer, not the broken channel
            var dead = watch.peerGone(java.time.Duration.ofSeconds(1));
            if (dead.isPresent()) MpjCommunicator.exit(dead.get(), null);
            else comm.abort(Failures.describe(t), t);
        }
    }
}

package org.apbj.parallel.rank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.apbj.kernels.runtime.Devices;
import org.apbj.parallel.RankMain;
import org.apbj.parallel.comm.InProcessRanks;
import org.apbj.parallel.launch.MpjLauncher;
import org.apbj.weights.SafetensorsFile;
import org.apbj.weights.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On CUDA (./apbj test-gpu): APB over 2 MPJ Express ranks (multicore device: ranks are threads,
 * each with its own class loader and CUDA context on GPU r mod count) equals the in-process run
 * bit for bit, on the golden 1024-token tiny-niah prompt; prints the per-rank timing. A rank
 * process killed mid-collective on the IPC and on the host path ends the job within 30 s.
 */
@Tag("gpu")
class CudaRankMainTest {

    @TempDir Path dir;

    @Test
    void apbOnTwoMpjRanksWithGpusEqualsInProcess() {
        assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
        Path model = null;
        for (Path d = Path.of("").toAbsolutePath(); d != null && model == null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve("models/tiny-niah"))) model = d.resolve("models/tiny-niah");
        }
        int[] ids;
        try (SafetensorsFile f = SafetensorsFile.open(model.resolve("golden/dense_1024.safetensors"))) {
            ids = f.tensors().stream().filter(t -> t.name().equals("input_ids")).findFirst().map(Tensor::toIntArray).orElseThrow();
        }
        String ctx = String.join(",", Arrays.stream(Arrays.copyOf(ids, 983)).mapToObj(Integer::toString).toList());
        String q = String.join(",", Arrays.stream(Arrays.copyOfRange(ids, 983, ids.length)).mapToObj(Integer::toString).toList());
        List<String> args = List.of("--model=" + model, "--method=apb", "--context=" + ctx, "--query=" + q, "--qpos=2",
                "--max-tokens=8", "--device=cuda", "--comm-timeout=120", "--output=" + dir.resolve("mpj.json"));
        RankArgs parsed = RankArgs.parse(args.toArray(String[]::new));
        RunReport inProcess = InProcessRanks.run(2, Duration.ofSeconds(120), comm -> RankJob.run(comm, parsed)).get(0);

        var job = new MpjLauncher.Job(2, RankMain.class.getName(), args, MpjLauncher.currentClasspath(), List.of("-Xss8m"), dir,
                dir.resolve("job.log"));
        MpjLauncher launcher = new MpjLauncher();
        System.out.println("command: " + String.join(" ", launcher.command(job)));
        MpjLauncher.Result r = launcher.run(job, Duration.ofSeconds(240));
        System.out.println(r.output());
        assertTrue(r.succeeded(), () -> "MPJ job failed (exit " + r.exitCode() + "):\n" + r.output());
        RunReport viaMpj = RunReport.read(dir.resolve("mpj.json"));
        assertArrayEquals(inProcess.generated(), viaMpj.generated());
        assertEquals(inProcess.firstLogitsSha256(), viaMpj.firstLogitsSha256());
        for (RunReport.RankTiming t : viaMpj.perRank()) {
            System.out.println("rank " + t.rank() + " on " + t.device() + ": prefill " + t.prefillSeconds() + " s, " + t.totalsMs().get("prefill"));
            assertTrue(t.device().startsWith("cuda:"), t.device());
        }
    }

    @Test
    void aRankKilledMidCollectiveOnTheIpcPathEndsTheJobWithinThirtySeconds() throws Exception {
        assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
        KilledRankJob.run(dir, "cuda", "ipc");
    }

    @Test
    void aRankKilledMidCollectiveOnTheHostPathWithCudaEndsTheJobWithinThirtySeconds() throws Exception {
        assumeTrue(Devices.cudaDeviceCount() > 0, "no CUDA device");
        KilledRankJob.run(dir, "cuda", "host");
    }
}

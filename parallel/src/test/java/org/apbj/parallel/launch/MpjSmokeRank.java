package org.apbj.parallel.launch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apbj.parallel.comm.MpjCommunicator;

/**
 * A rank of the MPJ smoke test: allGather, broadcast and ring shift of values that depend on
 * the rank, each rank writing what it received to {@code <dir>/rank-<r>.txt}.
 * Args (after MPJ's): output dir, elements per rank.
 */
public final class MpjSmokeRank {
    public static void main(String[] args) {
        try {
            var session = MpjCommunicator.init(args);
            try (var comm = session.communicator()) {
                Path dir = Path.of(session.appArgs()[0]);
                int count = Integer.parseInt(session.appArgs()[1]);
                int r = comm.rank();
                float[] send = new float[count];
                for (int i = 0; i < count; i++) send[i] = r * 1000 + i + 0.5f;
                float[] gathered = new float[count * comm.size()];
                comm.allGather(send, gathered);
                int[] token = {r == comm.size() - 1 ? 4242 : -1};
                comm.broadcast(token, comm.size() - 1);
                short[] ringOut = new short[count];
                short[] ringIn = new short[count];
                Arrays.fill(ringOut, (short) (r + 1));
                comm.ringShift(ringOut, 0, ringIn, 0, count);
                comm.barrier();
                Files.writeString(dir.resolve("rank-" + r + ".txt"), "size=" + comm.size() + "\n"
                        + "gathered=" + Arrays.toString(gathered) + "\n"
                        + "broadcast=" + token[0] + "\n"
                        + "ring=" + Arrays.toString(ringIn) + "\n");
            }
        } catch (Throwable t) {
            // MulticoreStarter swallows exceptions and exits 0: fail the whole job visibly.
            t.printStackTrace();
            System.exit(2);
        }
    }
}

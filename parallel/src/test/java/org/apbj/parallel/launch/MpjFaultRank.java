package org.apbj.parallel.launch;

import org.apbj.parallel.comm.MpjCommunicator;

/** Rank 1 misbehaves (args: "throw" or "hang") in the middle of a sequence of allGathers. */
public final class MpjFaultRank {
    public static void main(String[] args) throws Exception {
        var session = MpjCommunicator.init(args);
        var comm = session.communicator();
        String mode = session.appArgs()[0];
        float[] mine = new float[4];
        float[] all = new float[4 * comm.size()];
        for (int step = 0; step < 3; step++) {
            if (comm.rank() == 1 && step == 1) {
                if (mode.equals("throw")) {
                    try {
                        throw new IllegalStateException("injected failure in layer " + step);
                    } catch (IllegalStateException e) {
                        throw comm.abort("layer " + step + " failed: " + e.getMessage(), e);
                    }
                }
                Thread.sleep(600_000);   // "hang": the others' watchdogs must end the job
            }
            comm.allGather(mine, all);
        }
        comm.close();
    }
}

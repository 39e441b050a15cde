package org.apbj.kernels.lib;

/** GemmTma's and GemmTmaPingPong's register splits, for the PTX tests in another package. */
public final class GemmTmaTesting {
    private GemmTmaTesting() {}

    public static int launchRegisters() { return GemmTma.LAUNCH_REGISTERS; }
    public static int producerRegisters() { return GemmTma.PRODUCER_REGISTERS; }
    public static int consumerRegisters() { return GemmTma.CONSUMER_REGISTERS; }
    public static int pingPongLaunchRegisters() { return GemmTmaPingPong.LAUNCH_REGISTERS; }
    public static int pingPongProducerRegisters() { return GemmTmaPingPong.PRODUCER_REGISTERS; }
    public static int pingPongConsumerRegisters() { return GemmTmaPingPong.CONSUMER_REGISTERS; }
    public static int pingPongStages(int tileColumns) { return GemmTmaPingPong.stages(tileColumns); }
}

package org.apbj.examples;

/** Entry point of ./apbj's engine commands (replaced by the picocli CLI of the examples module). */
public final class Main {
    public static void main(String[] args) {
        String cmd = args.length > 0 ? args[0] : "demo";
        System.out.println("apbj " + cmd + ": will run a needle-in-a-haystack prompt on the tiny model with"
                + " APB (4 ranks) and dense attention, and print both predictions and prefill times.");
    }
}

package org.apbj.tests;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.apbj.examples.Main;

/** Runs one ./apbj engine command in this JVM and captures what it prints. */
record Cli(int status, String out, String err) {

    /** The device the end-to-end tests run on: -Dapbj.test.device, default the Java device. */
    static String device() { return System.getProperty("apbj.test.device", "java"); }

    static Cli run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Cli(status, out.toString(), err.toString());
    }

    @Override
    public String toString() { return "exit " + status + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err; }
}

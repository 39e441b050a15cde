package org.apbj.examples.api;

/**
 * A command needs a part of the engine that this build does not have yet (or that this machine
 * lacks). Never replaced by a fake result: the command fails with this message.
 */
public final class NotAvailableException extends RuntimeException {
    public NotAvailableException(String what, String needs) {
        super("not available: " + what + " needs " + needs);
    }
}

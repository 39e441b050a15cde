package org.apbj.kernels.runtime;

/** A backend cannot be used on this machine; the message says what is missing and what to install. */
public class DeviceUnavailableException extends RuntimeException {
    public DeviceUnavailableException(String message) { super(message); }
    public DeviceUnavailableException(String message, Throwable cause) { super(message, cause); }
}

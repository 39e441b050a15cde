package org.apbj.parallel.comm;

/** A collective failed on some rank: a timeout, an aborted job, or a transport error. */
public class CommunicationException extends RuntimeException {
    public CommunicationException(String message) { super(message); }
    public CommunicationException(String message, Throwable cause) { super(message, cause); }
}

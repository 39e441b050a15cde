package org.apbj.examples.api;

import org.apbj.parallel.rank.RunReport;

/**
 * What one rank job spent before its requests, in milliseconds, slowest rank: every call of
 * {@link Apbj#generateAll} / {@link Apbj#generateTokens} (and each {@link Apbj#generate}) is one
 * job, and every result of it carries the same cold start.
 *
 * @param jvmStartMs     JVM start to the rank program (mpjrun jobs); null for in-process ranks,
 *                       whose JVM was already running
 * @param deviceOpenMs   opening the device
 * @param modelLoadMs    weights to the device, scratch allocated: once per rank per job
 * @param firstCompileMs kernel compiles and module loads during the job's first request (part
 *                       of that request's prefill time)
 * @param requests       requests the job ran on that one load
 */
public record ColdStart(Double jvmStartMs, double deviceOpenMs, double modelLoadMs, double firstCompileMs, int requests) {

    static ColdStart of(RunReport.ColdStart c) {
        return new ColdStart(c.jvmStartSeconds() == null ? null : c.jvmStartSeconds() * 1000, c.deviceOpenSeconds() * 1000,
                c.modelLoadSeconds() * 1000, c.firstCompileSeconds() * 1000, c.requests());
    }
}

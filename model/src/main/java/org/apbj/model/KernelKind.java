package org.apbj.model;

/** What a kernel launch is counted as in a {@link KernelTimes} breakdown. */
public enum KernelKind { GEMM, ATTENTION, OTHER }

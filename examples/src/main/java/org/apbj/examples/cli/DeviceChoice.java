package org.apbj.examples.cli;

/** Which device the ranks run on: the best present (CUDA, else OpenCL, else Java), or a named one. */
public enum DeviceChoice { AUTO, CUDA, OPENCL, JAVA }

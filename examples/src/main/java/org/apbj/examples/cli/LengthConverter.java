package org.apbj.examples.cli;

import picocli.CommandLine.ITypeConverter;

/** picocli converter for one token length ("4096", "16k"). */
public final class LengthConverter implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) { return Lengths.parse(value); }
}

package org.apbj.examples.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** picocli converter for one token length ("4096", "16k"). */
public final class LengthConverter implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
        try {
            return Lengths.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}

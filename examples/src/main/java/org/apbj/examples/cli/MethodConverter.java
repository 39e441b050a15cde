package org.apbj.examples.cli;

import org.apbj.parallel.strategy.Method;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** picocli converter: "apb" -> Method.APB. */
public final class MethodConverter implements ITypeConverter<Method> {
    @Override
    public Method convert(String value) {
        try {
            return Method.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}

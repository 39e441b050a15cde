package org.apbj.examples.cli;

import org.apbj.parallel.strategy.Method;
import picocli.CommandLine.ITypeConverter;

/** picocli converter: "apb" -> Method.APB. */
public final class MethodConverter implements ITypeConverter<Method> {
    @Override
    public Method convert(String value) { return Method.parse(value); }
}

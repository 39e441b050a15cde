package org.apbj.weights;

/**
 * A model file (safetensors, index, config.json, retaining heads) that is malformed or does not
 * match the model. The message names the file, the tensor or field, and what was expected versus
 * what was found.
 */
public class WeightsFormatException extends RuntimeException {
    public WeightsFormatException(String message) {
        super(message);
    }

    public WeightsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

package org.apbj.tokenizer;

/**
 * A tokenizer file that cannot be read or uses a feature this implementation does not have.
 * The message names the file, the offending part and what to do about it.
 */
public final class TokenizerFormatException extends RuntimeException {
    public TokenizerFormatException(String message) {
        super(message);
    }

    public TokenizerFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

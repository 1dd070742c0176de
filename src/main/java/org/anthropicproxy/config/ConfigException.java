package org.anthropicproxy.config;

/** A configuration problem the user must fix; the message names the key and the file. Exit code 2. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message, null, false, false);
    }
}

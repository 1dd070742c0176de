package org.anthropicproxy.config;

/** Values given on the command line; {@code null} means "not given", so the file or the default applies. */
public record CliOverrides(
        String host,
        Integer port,
        String provider,
        String logFile,
        String logLevel,
        String quotaFile,
        boolean allowUnauthenticated) {

    public CliOverrides(String host, Integer port, String provider, String logFile, String logLevel, String quotaFile) {
        this(host, port, provider, logFile, logLevel, quotaFile, false);
    }

    public static CliOverrides none() {
        return new CliOverrides(null, null, null, null, null, null, false);
    }
}

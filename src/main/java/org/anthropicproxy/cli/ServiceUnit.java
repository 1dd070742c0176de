package org.anthropicproxy.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The systemd user unit that runs the proxy. Values are escaped for systemd: {@code %} is a specifier there and
 * {@code $} expands variables in {@code ExecStart}, so both are doubled; arguments with anything but plain path
 * characters are double-quoted with C-style escapes.
 *
 * @param command    the program and its arguments
 * @param workingDir where relative paths (log file, quota state) land
 * @param javaHome   exported as {@code JAVA_HOME} so start.sh picks the JDK the installer ran on; null for none
 * @param envFile    an optional {@code KEY=value} file for the variables the config references
 */
record ServiceUnit(List<String> command, Path workingDir, Path javaHome, Path envFile) {

    static final String NAME = "anthropic-proxy";
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_@+=:,./-]+");

    String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Written by `anthropic-proxy service install`; `anthropic-proxy service uninstall` removes it.\n");
        sb.append("[Unit]\n");
        sb.append("Description=anthropic-proxy (Anthropic Messages API gateway)\n");
        sb.append("After=network-online.target\n");
        sb.append("\n[Service]\n");
        sb.append("Type=simple\n");
        sb.append("WorkingDirectory=").append(specifiers(workingDir.toString())).append('\n');
        if (javaHome != null) {
            sb.append("Environment=")
                    .append(quote("JAVA_HOME=" + javaHome, false))
                    .append('\n');
        }
        if (envFile != null) {
            sb.append("EnvironmentFile=-")
                    .append(specifiers(envFile.toString()))
                    .append('\n');
        }
        sb.append("ExecStart=");
        for (int i = 0; i < command.size(); i++) {
            sb.append(i == 0 ? "" : " ").append(quote(command.get(i)));
        }
        sb.append('\n');
        sb.append("Restart=on-failure\n");
        sb.append("RestartSec=5\n");
        sb.append("\n[Install]\n");
        sb.append("WantedBy=default.target\n");
        return sb.toString();
    }

    /** One word of a systemd command line. */
    static String quote(String word) {
        return quote(word, true);
    }

    /** {@code $} expands variables only in command lines, not in {@code Environment=}. */
    private static String quote(String word, boolean commandLine) {
        if (!word.isEmpty() && PLAIN.matcher(word).matches()) {
            return word;
        }
        StringBuilder sb = new StringBuilder("\"");
        for (char c : word.toCharArray()) {
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '%' -> sb.append("%%");
                case '$' -> sb.append(commandLine ? "$$" : "$");
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    private static String specifiers(String value) {
        return value.replace("%", "%%");
    }
}

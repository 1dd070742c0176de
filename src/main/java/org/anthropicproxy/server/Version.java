package org.anthropicproxy.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Version and build time, filtered into {@code version.properties} by the build. */
public final class Version {

    public static final String VERSION;
    public static final String BUILD_TIME;

    static {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("/version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException ignored) {
            // a jar without the file reports "dev"
        }
        VERSION = p.getProperty("version", "dev");
        BUILD_TIME = p.getProperty("build.time", "unknown");
    }

    private Version() {}
}

package org.anthropicproxy.usage;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Locale;

/** Opens the store {@code usage.store} names: {@code sqlite:PATH}, {@code redis://…}, {@code rediss://…} or {@code none}. */
public final class UsageStores {

    private UsageStores() {}

    /**
     * Null when the spec is "none"; IllegalArgumentException naming the spec when it is none of the forms. A path
     * starting with {@code ~/} is under {@code home}.
     */
    public static UsageStore open(String spec, ZoneId zone, Duration retention, Path home) {
        String s = spec == null ? "" : spec.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.equals("none")) {
            return null;
        }
        if (lower.startsWith("redis://") || lower.startsWith("rediss://")) {
            return new RedisUsageStore(s, zone, retention);
        }
        if (lower.startsWith("sqlite:") && s.length() > "sqlite:".length()) {
            String path = s.substring("sqlite:".length());
            if (path.equals("~") || path.startsWith("~/")) {
                path = home + path.substring(1);
            }
            return new SqliteUsageStore(Path.of(path), zone);
        }
        throw new IllegalArgumentException("'" + spec + "' is not sqlite:PATH, redis://HOST:PORT or none");
    }
}

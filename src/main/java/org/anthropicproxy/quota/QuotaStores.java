package org.anthropicproxy.quota;

import java.nio.file.Path;
import java.util.Locale;

/** Opens the store a config names. */
public final class QuotaStores {
    private QuotaStores() {}

    /**
     * {@code redis://host:port[/db]} or {@code rediss://...} opens a {@link RedisQuotaStore} with the default key
     * prefix; anything else is a file path ({@code ~/} expanded) for a {@link FileQuotaStore}.
     */
    public static QuotaStore open(String spec) {
        return open(spec, org.anthropicproxy.files.UserDirs.current().home());
    }

    /** {@link #open(String)} with {@code ~} meaning {@code home}. */
    public static QuotaStore open(String spec, Path home) {
        if (spec == null || spec.isBlank())
            throw new IllegalArgumentException("empty quota store: give a file path or a redis:// URI");
        String s = spec.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("redis://") || lower.startsWith("rediss://")) {
            return new RedisQuotaStore(s, RedisQuotaStore.DEFAULT_PREFIX);
        }
        if (s.equals("~") || s.startsWith("~/")) s = home + s.substring(1);
        return new FileQuotaStore(Path.of(s));
    }
}

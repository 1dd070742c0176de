package org.anthropicproxy.credentials;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.anthropicproxy.config.Durations;
import org.anthropicproxy.files.UserDirs;
import org.anthropicproxy.net.ProxyRules;

/** Builds the credential source for one provider from its settings, the environment and the home directory. */
public final class CredentialSources {
    static final Duration DEFAULT_REFRESH_BUFFER = Duration.ofMinutes(5);
    static final Duration DEFAULT_WATCH_INTERVAL = Duration.ofSeconds(5);
    static final String CLAUDE_INTERNAL_CONFIG = "~/.claude-internal/config.json";
    static final String GIT_CREDENTIALS = "~/.git-credentials";
    static final String CODEBUDDY_AUTH_SUBDIR = "CodeBuddyExtension/Data/Public/auth";
    /** CLI / IDE plugin name first, then the name the original tool used (an IOA build, probably). */
    static final List<String> CODEBUDDY_PREFERRED_FILES =
            List.of("Tencent-Cloud.coding-copilot.info", "Tencent-Cloud.copilot.info");

    private CredentialSources() {}

    /**
     * Builds the source for one provider.
     *
     * @param env   environment variables (tests pass a map)
     * @param home  the user's home directory
     * @param clock decides expiry and backoff
     * @throws IllegalArgumentException when an environment override is malformed
     */
    public static CredentialSource create(
            CredentialSettings settings, Map<String, String> env, Path home, Clock clock) {
        return create(settings, env, home, clock, null, ProxyRules.DIRECT);
    }

    /**
     * {@link #create(CredentialSettings, Map, Path, Clock)} whose token refreshes trust {@code tls} (null: the JDK's)
     * and go through the forward proxy {@code proxies} names.
     */
    public static CredentialSource create(
            CredentialSettings settings,
            Map<String, String> env,
            Path home,
            Clock clock,
            SSLContext tls,
            ProxyRules proxies) {
        return switch (settings.type()) {
            case CredentialSettings.NONE -> new NoCredentialSource();
            case CredentialSettings.STATIC -> staticSource(settings, env);
            case CredentialSettings.NATIVE -> nativeSource(settings, env, home, clock, new RefreshHttp(tls, proxies));
            case CredentialSettings.CODEBUDDY ->
                codeBuddySource(settings, env, home, clock, new RefreshHttp(tls, proxies));
            default -> throw new IllegalArgumentException("unknown auth type '" + settings.type() + "'");
        };
    }

    private static CredentialSource staticSource(CredentialSettings s, Map<String, String> env) {
        if (s.token() != null) {
            return StaticCredentialSource.of(s.token(), "config auth.token");
        }
        String value = env.get(s.tokenEnv());
        String source = "env " + s.tokenEnv();
        if (value == null || value.isBlank()) {
            return StaticCredentialSource.unavailable(
                    source,
                    "the environment variable " + s.tokenEnv()
                            + " named by auth.token_env is not set; export it with the API key");
        }
        return StaticCredentialSource.of(value.trim(), source);
    }

    /**
     * The original tool's order: {@code CODEBUDDY_OAUTH_TOKEN}, the IOA line in {@code ~/.git-credentials}, then
     * {@code ~/.claude-internal/config.json} (the only one that refreshes and is watched).
     */
    private static CredentialSource nativeSource(
            CredentialSettings s, Map<String, String> env, Path home, Clock clock, RefreshHttp tls) {
        List<String> looked = new ArrayList<>();
        String envToken = env.get("CODEBUDDY_OAUTH_TOKEN");
        if (envToken != null && !envToken.isBlank()) {
            return StaticCredentialSource.of(envToken.trim(), "env CODEBUDDY_OAUTH_TOKEN");
        }
        looked.add("env CODEBUDDY_OAUTH_TOKEN (not set)");

        Path gitCredentials = HomePaths.expand(GIT_CREDENTIALS, home);
        Optional<String> gitToken = GitCredentials.oauth2Token(gitCredentials, s.gitCredentialsHost());
        String gitShown = HomePaths.display(gitCredentials, home);
        if (gitToken.isPresent()) {
            return StaticCredentialSource.of(
                    gitToken.get(),
                    "file " + gitShown + " (" + GitCredentials.USER + "@" + s.gitCredentialsHost() + ")");
        }
        looked.add(gitShown + " (no " + GitCredentials.USER + " entry for " + s.gitCredentialsHost() + ")");

        String configured = first(s.file(), env.get("CLAUDE_INTERNAL_CONFIG"), CLAUDE_INTERNAL_CONFIG);
        Path config = HomePaths.expand(configured, home);
        URI refreshUrl = URI.create(
                first(s.refreshUrl(), env.get("OAUTH_REFRESH_URL"), ClaudeInternalConfigFormat.DEFAULT_REFRESH_URL));
        String clientId = first(s.clientId(), env.get("OAUTH_CLIENT_ID"), ClaudeInternalConfigFormat.DEFAULT_CLIENT_ID);
        return new RefreshingFileSource(
                "native",
                new ClaudeInternalConfigFormat(refreshUrl, clientId),
                TokenFileLocator.fixed(config, home),
                looked,
                "file " + HomePaths.display(config, home),
                home,
                clock,
                refreshBuffer(s, env),
                watchInterval(s, env),
                tls);
    }

    private static CredentialSource codeBuddySource(
            CredentialSettings s, Map<String, String> env, Path home, Clock clock, RefreshHttp tls) {
        String file = first(s.file(), env.get("CODEBUDDY_AUTH_FILE"), null);
        TokenFileLocator locator;
        String missing;
        if (file != null) {
            Path p = HomePaths.expand(file, home);
            locator = TokenFileLocator.fixed(p, home);
            missing = "file " + HomePaths.display(p, home);
        } else {
            Path dir = codeBuddyDir(s, env, home);
            locator = TokenFileLocator.codeBuddyDir(dir, CODEBUDDY_PREFERRED_FILES, home);
            missing = "dir " + HomePaths.display(dir, home);
        }
        URI refreshUrl = s.refreshUrl() == null ? null : URI.create(s.refreshUrl());
        return new RefreshingFileSource(
                "codebuddy",
                new CodeBuddyAuthFileFormat(refreshUrl),
                locator,
                List.of(),
                missing,
                home,
                clock,
                refreshBuffer(s, env),
                watchInterval(s, env),
                tls);
    }

    static Path codeBuddyDir(CredentialSettings s, Map<String, String> env, Path home) {
        String dir = first(s.dir(), env.get("CODEBUDDY_AUTH_DIR"), null);
        if (dir != null) {
            return HomePaths.expand(dir, home);
        }
        return UserDirs.under(home, env).dataHome().resolve(CODEBUDDY_AUTH_SUBDIR);
    }

    private static Duration refreshBuffer(CredentialSettings s, Map<String, String> env) {
        if (s.refreshBuffer() != null) {
            return s.refreshBuffer();
        }
        String v = env.get("KEY_REFRESH_BUFFER_MS");
        return v == null || v.isBlank()
                ? DEFAULT_REFRESH_BUFFER
                : Durations.parseEnv("KEY_REFRESH_BUFFER_MS", v, ChronoUnit.MILLIS);
    }

    private static Duration watchInterval(CredentialSettings s, Map<String, String> env) {
        if (s.watchInterval() != null) {
            return s.watchInterval();
        }
        String v = env.get("FILE_WATCHER_INTERVAL");
        return v == null || v.isBlank()
                ? DEFAULT_WATCH_INTERVAL
                : Durations.parseEnv("FILE_WATCHER_INTERVAL", v, ChronoUnit.SECONDS);
    }

    private static String first(String configured, String fromEnv, String fallback) {
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.trim();
        }
        return fallback;
    }
}

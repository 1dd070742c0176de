package org.anthropicproxy.quota;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.anthropicproxy.config.Durations;
import org.anthropicproxy.quota.Classification.AuthFailed;
import org.anthropicproxy.quota.Classification.ClientError;
import org.anthropicproxy.quota.Classification.QuotaExhausted;
import org.anthropicproxy.quota.Classification.RateLimited;
import org.anthropicproxy.quota.Classification.Unavailable;

/**
 * Decides what an upstream failure means for the failover chain. Never throws, whatever the input.
 *
 * <p>Order of decision: 401 → auth; a quota marker (any status but 401) → quota exhausted; 402 → quota exhausted
 * (billing); 403 → auth; 429 → rate limited, or quota exhausted when the named wait exceeds
 * {@code maxRateLimitCooldown} or {@code x-should-retry: false} is sent; 408, 5xx, 529 → unavailable; other 4xx →
 * client error. When the status is not an error status (an SSE {@code error} event after a 200), Anthropic's
 * {@code error.type} stands in for it.
 *
 * <p>Reset times are taken from {@code retry-after-ms}, {@code retry-after} (seconds or HTTP date),
 * {@code anthropic-ratelimit-*-reset} (RFC 3339 or unix), {@code x-ratelimit-reset-*} (durations), and from the body:
 * date-times ("reset at 2026-09-24 05:17:08 UTC+8"; no zone means the clock's zone), unix times in reset fields or
 * after {@code |} ("usage limit reached|1760000000"), and "try again in 1m30s". Only future times count. The body is
 * read by {@link FailureBody}, the headers by {@link RetryHeaders}.
 */
public final class FailureClassifier {
    private static final int MAX_REASON = 300;
    private static final Duration MIN_WAIT = Duration.ofSeconds(1);

    /** Temporary-limit words, including those of the Python anthropic_server.py. Only consulted when the status says nothing. */
    private static final List<String> RATE_MARKERS = List.of(
            "rate limit",
            "rate_limit",
            "ratelimit",
            "too many requests",
            "request limit",
            "frequency limit",
            "频率限制",
            "请求过于频繁");

    private static final Pattern SPACES = Pattern.compile("\\s+");

    private final ClassifierSettings settings;
    private final Clock clock;
    private final List<String> textMarkers;
    private final Set<String> codeMarkers;

    @SuppressWarnings("JavaTimeDefaultTimeZone") // reset times in bodies carry no zone: they are the user's local time
    public FailureClassifier(ClassifierSettings settings, Clock clock) {
        this.settings = settings == null ? ClassifierSettings.defaults() : settings;
        this.clock = clock == null ? Clock.systemDefaultZone() : clock; // body times without a zone are local times
        List<String> text = new ArrayList<>();
        Set<String> codes = new LinkedHashSet<>();
        for (String m : this.settings.quotaMarkers()) {
            if (m == null || m.isBlank()) {
                continue;
            }
            String lower = m.strip().toLowerCase(Locale.ROOT);
            if (lower.startsWith("code:")) {
                codes.add(lower.substring(5).strip());
            } else {
                text.add(lower);
            }
        }
        this.textMarkers = List.copyOf(text);
        this.codeMarkers = Set.copyOf(codes);
    }

    /** Upstream unreachable or timed out before any byte: unavailable for the default cooldown. */
    public Classification connectFailure(String message) {
        String m = message == null || message.isBlank() ? "no detail" : truncate(collapse(message));
        return new Unavailable(settings.defaultCooldown(), "upstream unreachable: " + m);
    }

    public Classification classify(UpstreamFailure f) {
        int status = f == null ? 0 : f.status();
        try {
            return classifyUnchecked(f == null ? new UpstreamFailure(0, Map.of(), "") : f);
        } catch (RuntimeException | StackOverflowError e) {
            // A bug or a pathological body must not break failover: fall back to the status alone.
            return byStatusOnly(
                    status,
                    "HTTP " + status + " (unclassifiable body: " + e.getClass().getSimpleName() + ")");
        }
    }

    private Classification classifyUnchecked(UpstreamFailure f) {
        Instant now = clock.instant();
        FailureBody body = FailureBody.read(f.body());
        RetryHeaders headers = new RetryHeaders(f.headers());
        int status = effectiveStatus(f.status(), body);
        String reason = reason(f.status(), body);

        if (status == 401) {
            return new AuthFailed(reason);
        }

        Optional<Duration> retryAfter = headers.retryAfter(now);
        List<Instant> relative = body.relativeWaits().stream().map(now::plus).toList();
        List<Instant> bodyTimes = body.resetTimes(clock.getZone());
        List<Instant> headerTimes = headers.resetTimes(now);
        Optional<Instant> namedReset = earliestFuture(now, bodyTimes, headerTimes, relative);

        if (hasQuotaMarker(body)) {
            // For a hard quota only a time that speaks about the quota counts: the body's, else the latest rate-limit
            // header reset (the per-minute ones end first), else a retry-after too long to be a mere rate limit. A
            // short
            // retry-after from a gateway would otherwise bring an exhausted provider back every minute.
            Optional<Instant> resetAt = earliestFuture(now, bodyTimes, relative)
                    .or(() -> latestFuture(now, headerTimes))
                    .or(() -> retryAfter
                            .filter(d -> d.compareTo(settings.maxRateLimitCooldown()) > 0)
                            .map(now::plus));
            return new QuotaExhausted(resetAt, "quota exhausted: " + reason);
        }
        if (status == 402) {
            return new QuotaExhausted(namedReset, "billing: " + reason);
        }
        if (status == 403) {
            return new AuthFailed(reason);
        }
        if (status == 429) {
            if (headers.shouldNotRetry()) {
                return new QuotaExhausted(namedReset, "quota exhausted (no retry): " + reason);
            }
            Duration wait = retryAfter
                    .or(() -> namedReset.map(r -> Duration.between(now, r)))
                    .orElse(settings.defaultCooldown());
            if (wait.compareTo(settings.maxRateLimitCooldown()) > 0) {
                return new QuotaExhausted(
                        Optional.of(namedReset.orElse(now.plus(wait))),
                        "rate limited for " + Durations.dayHourMinute(wait) + ": " + reason);
            }
            return new RateLimited(atLeastMin(wait), reason);
        }
        if (status == 408 || status >= 500 && status < 600) {
            Duration cooldown = retryAfter.map(this::clampCooldown).orElse(settings.defaultCooldown());
            return new Unavailable(cooldown, reason);
        }
        if (status >= 400 && status < 500) {
            return new ClientError(reason);
        }
        return new Unavailable(settings.defaultCooldown(), reason);
    }

    private Classification byStatusOnly(int status, String reason) {
        if (status == 401 || status == 403) {
            return new AuthFailed(reason);
        }
        if (status == 402) {
            return new QuotaExhausted(Optional.empty(), reason);
        }
        if (status == 429) {
            return new RateLimited(settings.defaultCooldown(), reason);
        }
        if (status >= 400 && status < 500 && status != 408) {
            return new ClientError(reason);
        }
        return new Unavailable(settings.defaultCooldown(), reason);
    }

    private int effectiveStatus(int status, FailureBody body) {
        if (status >= 400 && status < 600) {
            return status;
        }
        String type = body.errorType == null ? "" : body.errorType;
        return switch (type) {
            case "rate_limit_error", "rate_limit_exceeded" -> 429;
            case "overloaded_error" -> 529;
            case "api_error", "server_error" -> 500;
            case "timeout_error" -> 504;
            case "authentication_error" -> 401;
            case "permission_error" -> 403;
            case "billing_error" -> 402;
            case "not_found_error" -> 404;
            case "request_too_large" -> 413;
            case "invalid_request_error" -> 400;
            default -> containsAny(body.haystack, RATE_MARKERS) ? 429 : 0;
        };
    }

    private boolean hasQuotaMarker(FailureBody body) {
        for (String code : body.codes) {
            if (codeMarkers.contains(code)) {
                return true;
            }
        }
        return containsAny(body.haystack, textMarkers);
    }

    private static boolean containsAny(String haystack, List<String> needles) {
        for (String n : needles) {
            if (haystack.contains(n)) {
                return true;
            }
        }
        return false;
    }

    private Duration clampCooldown(Duration d) {
        return atLeastMin(d.compareTo(settings.maxRateLimitCooldown()) > 0 ? settings.maxRateLimitCooldown() : d);
    }

    private static Duration atLeastMin(Duration d) {
        return d.compareTo(MIN_WAIT) < 0 ? MIN_WAIT : d;
    }

    @SafeVarargs
    private static Optional<Instant> earliestFuture(Instant now, List<Instant>... lists) {
        Instant best = null;
        Instant latest = now.plus(Durations.MAX_PLAUSIBLE);
        for (List<Instant> list : lists) {
            for (Instant i : list) {
                if (!i.isAfter(now)) {
                    continue;
                }
                if (i.isAfter(latest)) {
                    i = latest;
                }
                if (best == null || i.isBefore(best)) {
                    best = i;
                }
            }
        }
        return Optional.ofNullable(best);
    }

    private static Optional<Instant> latestFuture(Instant now, List<Instant> times) {
        Instant latest = now.plus(Durations.MAX_PLAUSIBLE);
        return times.stream()
                .filter(i -> i.isAfter(now))
                .map(i -> i.isAfter(latest) ? latest : i)
                .max(Instant::compareTo);
    }

    private static String reason(int status, FailureBody body) {
        StringBuilder sb = new StringBuilder("HTTP ").append(status);
        if (body.errorType != null) {
            sb.append(' ').append(body.errorType);
        }
        if (body.code != null && !body.code.equals(body.errorType)) {
            sb.append(" (code ").append(body.code).append(')');
        }
        String message = body.message != null ? body.message : body.fallbackText();
        if (!message.isEmpty()) {
            sb.append(": ").append(message);
        }
        return truncate(collapse(sb.toString()));
    }

    private static String collapse(String s) {
        return SPACES.matcher(s).replaceAll(" ").strip();
    }

    private static String truncate(String s) {
        return s.length() <= MAX_REASON ? s : s.substring(0, MAX_REASON) + "…";
    }
}

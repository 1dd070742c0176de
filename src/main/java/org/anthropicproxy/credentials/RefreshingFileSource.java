package org.anthropicproxy.credentials;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An OAuth credential kept in a file that a CLI owns: read at start, re-read when the file changes (the user logged
 * in again), refreshed ahead of expiry on demand and in the background, and written back so the CLI keeps working.
 *
 * <p>One lock serialises file adoption and refreshes, which makes refreshing single-flight: threads that queue
 * behind a refresh find a fresh token (or a backoff window) when they get the lock and return without calling the
 * endpoint again.
 */
final class RefreshingFileSource implements CredentialSource {
    private static final Logger log = LoggerFactory.getLogger(RefreshingFileSource.class);

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(60);
    static final Duration MAX_JITTER = Duration.ofSeconds(30);
    private static final long MIN_SCHEDULE_DELAY_MS = 1000;

    /** The credential in memory and the file it came from. */
    private record Loaded(Path path, StoredToken token, ObjectNode document, boolean rejected) {
        Loaded asRejected() {
            return new Loaded(path, token, document, true);
        }
    }

    private final TokenFileFormat format;
    private final TokenFileLocator locator;
    private final List<String> lookedAtBefore;
    private final String sourceWhenMissing;
    private final Path home;
    private final Clock clock;
    private final Duration buffer;
    private final Duration jitter;
    private final RefreshClient refresher;
    private final ScheduledExecutorService scheduler;
    private final ReentrantLock lock = new ReentrantLock();
    private final Set<Path> warnedModes = ConcurrentHashMap.newKeySet();

    private volatile Loaded loaded;
    private volatile TokenFiles.Stamp lastSeen;
    private volatile String fileProblem;
    private volatile List<String> lastLookedAt = List.of();
    private volatile Instant lastRefreshAt;
    private volatile String lastRefreshOutcome;
    private volatile boolean refreshTokenDead;
    private volatile boolean closed;
    private int failures;
    private Instant nextAttemptAt;
    private ScheduledFuture<?> refreshTask;

    /**
     * @param lookedAtBefore    sources tried before this file (e.g. env variables), for "no credential" messages
     * @param sourceWhenMissing what {@link #status()} names while no file is found
     */
    @SuppressWarnings(
            "FutureReturnValueIgnored") // the watch runs until close() stops the scheduler; watchTick logs its own
    // failures
    RefreshingFileSource(
            String name,
            TokenFileFormat format,
            TokenFileLocator locator,
            List<String> lookedAtBefore,
            String sourceWhenMissing,
            Path home,
            Clock clock,
            Duration buffer,
            Duration watchInterval,
            RefreshHttp outbound) {
        this.format = format;
        this.locator = locator;
        this.lookedAtBefore = List.copyOf(lookedAtBefore);
        this.sourceWhenMissing = sourceWhenMissing;
        this.home = home;
        this.clock = clock;
        this.buffer = buffer;
        Duration halfBuffer = buffer.dividedBy(2);
        this.jitter = halfBuffer.compareTo(MAX_JITTER) < 0 ? halfBuffer : MAX_JITTER;
        this.refresher = new RefreshClient(format, clock, outbound);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofVirtual().name("credentials-" + name + "-", 0).factory());
        lock.lock();
        try {
            reloadIfChanged();
            if (loaded == null) {
                log.info("no {} credential yet ({}); watching for a login", name, problemSummary());
            }
            scheduleRefresh();
        } finally {
            lock.unlock();
        }
        long every = Math.max(1, watchInterval.toMillis());
        scheduler.scheduleWithFixedDelay(this::watchTick, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public Credential current() throws CredentialUnavailableException {
        Loaded l = loaded;
        if (l != null && !l.rejected() && !due(l.token(), buffer)) {
            return l.token().toCredential();
        }
        return obtain(null, buffer);
    }

    @Override
    public boolean currentAtHand() {
        Loaded l = loaded;
        return l != null && !l.rejected() && !due(l.token(), buffer);
    }

    @Override
    public Credential refreshAfterRejection(Credential rejected) throws CredentialUnavailableException {
        return obtain(rejected, buffer);
    }

    @Override
    public CredentialStatus status() {
        Loaded l = loaded;
        String source = l != null ? "file " + HomePaths.display(l.path(), home) : sourceWhenMissing;
        return new CredentialStatus(
                source, l == null ? null : l.token().expiresAt(), lastRefreshAt, lastRefreshOutcome, usable(l));
    }

    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
        refresher.close();
    }

    // ---- obtaining (single-flight) ----

    private Credential obtain(Credential rejected, Duration refreshBuffer) throws CredentialUnavailableException {
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CredentialUnavailableException("interrupted while waiting for the credential refresh");
        }
        try {
            if (closed) {
                throw new CredentialUnavailableException("the credential source is closed");
            }
            Loaded l = loaded;
            if (satisfies(l, rejected, refreshBuffer)) {
                return l.token().toCredential();
            }
            // The CLI may have logged in or refreshed on its own since the last watch tick.
            reloadIfChanged();
            l = loaded;
            if (satisfies(l, rejected, refreshBuffer)) {
                return l.token().toCredential();
            }
            if (l == null) {
                throw unavailable(problemSummary());
            }
            if (rejected != null && !l.rejected() && l.token().accessToken().equals(rejected.secret())) {
                l = l.asRejected();
                loaded = l;
                log.info("the upstream rejected the credential from {}; refreshing it", shown(l.path()));
            }
            if (l.token().refreshToken() == null || refreshTokenDead) {
                if (usable(l)) {
                    return l.token().toCredential();
                }
                throw unavailable(
                        refreshTokenDead
                                ? "the refresh token was rejected (" + lastRefreshOutcome + ")"
                                : shown(l.path()) + " holds no refresh token and its token is "
                                        + (l.rejected() ? "rejected" : "expired"));
            }
            Instant now = clock.instant();
            if (nextAttemptAt != null && now.isBefore(nextAttemptAt)) {
                if (usable(l)) {
                    return l.token().toCredential();
                }
                throw unavailable("the last refresh " + lastRefreshOutcome + "; next attempt in "
                        + seconds(Duration.between(now, nextAttemptAt)));
            }
            return refreshNow(l);
        } finally {
            lock.unlock();
        }
    }

    private boolean satisfies(Loaded l, Credential rejected, Duration refreshBuffer) {
        if (l == null || l.rejected()) {
            return false;
        }
        if (rejected == null) {
            return !due(l.token(), refreshBuffer);
        }
        return !l.token().accessToken().equals(rejected.secret()) && !expired(l.token());
    }

    private Credential refreshNow(Loaded l) throws CredentialUnavailableException {
        lastRefreshAt = clock.instant();
        RefreshedToken response;
        try {
            response = refresher.refresh(l.token());
        } catch (RefreshClient.Failure e) {
            return failed(l, e.getMessage(), e.rejected());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CredentialUnavailableException(
                    "interrupted while refreshing the credential from " + shown(l.path()));
        }
        Instant now = clock.instant();
        StoredToken refreshed = l.token().refreshedWith(response);
        ObjectNode document = latestDocument(l);
        format.apply(document, refreshed, response, now);
        Loaded next = new Loaded(l.path(), refreshed, document, false);
        loaded = next;
        failures = 0;
        nextAttemptAt = null;
        save(next);
        lastRefreshOutcome = "ok";
        log.info(
                "refreshed the credential from {}; it now expires at {}",
                shown(l.path()),
                refreshed.expiresAt() == null ? "never" : refreshed.expiresAt());
        scheduleRefresh();
        return refreshed.toCredential();
    }

    private Credential failed(Loaded l, String reason, boolean refreshTokenRejected)
            throws CredentialUnavailableException {
        failures++;
        Duration backoff = Duration.ofSeconds(1L << Math.min(failures, 6));
        if (backoff.compareTo(MAX_BACKOFF) > 0) {
            backoff = MAX_BACKOFF;
        }
        nextAttemptAt = clock.instant().plus(backoff);
        lastRefreshOutcome = "failed: " + reason;
        if (refreshTokenRejected) {
            refreshTokenDead = true;
            log.warn(
                    "refreshing the credential from {} failed: {}; log in again: {}",
                    shown(l.path()),
                    reason,
                    format.loginHint());
        } else {
            log.warn(
                    "refreshing the credential from {} failed: {}; next attempt in {}",
                    shown(l.path()),
                    reason,
                    seconds(backoff));
        }
        scheduleRefresh();
        if (usable(l)) {
            return l.token().toCredential();
        }
        throw unavailable(
                "refresh failed: " + reason + (refreshTokenRejected ? "" : "; next attempt in " + seconds(backoff)));
    }

    /** The file as it is now (the CLI may have added fields), so writing back loses nothing. */
    private ObjectNode latestDocument(Loaded l) {
        try {
            return TokenFileJson.readObject(Files.readAllBytes(l.path()), "content");
        } catch (IOException | BadTokenFileException e) {
            return l.document().deepCopy();
        }
    }

    private void save(Loaded l) {
        try {
            TokenFiles.writeAtomically(l.path(), TokenFileJson.write(l.document()));
            lastSeen = TokenFiles.stamp(l.path());
        } catch (IOException | RuntimeException e) {
            log.warn(
                    "refreshed the credential but could not write it back to {} ({}); the CLI keeps its old token",
                    shown(l.path()),
                    e.getClass().getSimpleName());
        }
    }

    // ---- watching the file ----

    private void watchTick() {
        if (closed || !lock.tryLock()) {
            return; // a refresh is in flight; the next tick looks again
        }
        try {
            reloadIfChanged();
        } catch (RuntimeException e) {
            log.warn("checking the credential file failed: {}", e.getClass().getName());
        } finally {
            lock.unlock();
        }
    }

    /** Reads the located file when it is new or changed, and adopts its token when it is better. Lock held. */
    private void reloadIfChanged() {
        TokenFileLocator.Location where = locator.locate();
        lastLookedAt = where.lookedAt();
        TokenFiles.Stamp stamp = where.chosen() == null ? null : TokenFiles.stamp(where.chosen());
        if (stamp == null) {
            if (lastSeen != null) {
                log.info("the credential file {} is gone; keeping the credential in memory", shown(lastSeen.path()));
            }
            lastSeen = null;
            fileProblem = null;
            return;
        }
        if (stamp.equals(lastSeen)) {
            return;
        }
        lastSeen = stamp;
        Path path = stamp.path();
        warnIfReadableByOthers(path);
        ObjectNode document;
        StoredToken token;
        try {
            document = TokenFileJson.readObject(Files.readAllBytes(path), "content");
            token = format.parse(document);
        } catch (IOException e) {
            fileProblem = shown(path) + " could not be read (" + e.getClass().getSimpleName() + ")";
            log.warn("{}", fileProblem);
            return;
        } catch (BadTokenFileException e) {
            fileProblem = shown(path) + " " + e.getMessage();
            log.warn("ignoring the credential file: {}", fileProblem);
            return;
        }
        fileProblem = null;
        adoptIfBetter(path, token, document);
    }

    /**
     * The original tool's rule: a file token replaces the one in memory when that one is unusable or the file's
     * expires later; a token that never expires is kept. A different file (another account) always wins.
     */
    private void adoptIfBetter(Path path, StoredToken token, ObjectNode document) {
        Loaded cur = loaded;
        if (cur != null && cur.path().equals(path) && cur.token().accessToken().equals(token.accessToken())) {
            // Our own write, or the CLI touched other fields: keep the state, remember the newer document.
            loaded = new Loaded(path, cur.token(), document, cur.rejected());
            return;
        }
        boolean take;
        if (cur == null || !cur.path().equals(path) || !usable(cur) || refreshTokenDead) {
            take = true;
        } else if (cur.token().expiresAt() == null) {
            take = false;
        } else {
            take = token.expiresAt() == null
                    || token.expiresAt().isAfter(cur.token().expiresAt());
        }
        if (!take) {
            log.info("{} changed but holds an older token; keeping the one in memory", shown(path));
            return;
        }
        loaded = new Loaded(path, token, document, false);
        failures = 0;
        nextAttemptAt = null;
        refreshTokenDead = false;
        log.info(
                "using the credential from {} (expires at {})",
                shown(path),
                token.expiresAt() == null ? "never" : token.expiresAt());
        scheduleRefresh();
    }

    private void warnIfReadableByOthers(Path path) {
        Set<PosixFilePermission> perms = TokenFiles.widerThanOwnerOnly(path);
        if (perms != null && warnedModes.add(path)) {
            log.warn(
                    "credential file {} is readable by others (mode {}); restrict it: chmod 600 {}",
                    shown(path),
                    PosixFilePermissions.toString(perms),
                    shown(path));
        }
    }

    // ---- background refresh ----

    /** Plans the next background refresh: ahead of expiry with jitter, or after the backoff. Lock held. */
    private void scheduleRefresh() {
        if (closed) {
            return;
        }
        if (refreshTask != null) {
            refreshTask.cancel(false);
            refreshTask = null;
        }
        Loaded l = loaded;
        if (l == null
                || l.token().refreshToken() == null
                || refreshTokenDead
                || (l.token().expiresAt() == null && !l.rejected())) {
            return;
        }
        Instant when;
        if (nextAttemptAt != null) {
            when = nextAttemptAt;
        } else if (l.token().expiresAt() == null) {
            return;
        } else {
            long j = jitter.toMillis();
            long offset = j == 0 ? 0 : ThreadLocalRandom.current().nextLong(-j, j + 1);
            when = l.token().expiresAt().minus(buffer).plusMillis(offset);
        }
        long delay = Math.max(
                MIN_SCHEDULE_DELAY_MS, Duration.between(clock.instant(), when).toMillis());
        try {
            refreshTask = scheduler.schedule(this::backgroundRefresh, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // close() raced with us
        }
    }

    private void backgroundRefresh() {
        if (closed) {
            return;
        }
        try {
            // The schedule may run up to the jitter early; that still counts as due.
            obtain(null, buffer.plus(jitter));
        } catch (CredentialUnavailableException e) {
            // already logged by failed(); the schedule was renewed there
        } catch (RuntimeException e) {
            log.warn("background credential refresh failed: {}", e.getClass().getName());
        }
    }

    // ---- helpers ----

    private boolean due(StoredToken t, Duration refreshBuffer) {
        return t.expiresAt() != null && !clock.instant().isBefore(t.expiresAt().minus(refreshBuffer));
    }

    private boolean expired(StoredToken t) {
        return t.expiresAt() != null && !clock.instant().isBefore(t.expiresAt());
    }

    private boolean usable(Loaded l) {
        return l != null && !l.rejected() && !expired(l.token());
    }

    private String shown(Path p) {
        return HomePaths.display(p, home);
    }

    private String problemSummary() {
        return fileProblem != null ? fileProblem : "no credential file found";
    }

    private CredentialUnavailableException unavailable(String reason) {
        List<String> looked = new ArrayList<>(lookedAtBefore);
        looked.addAll(lastLookedAt);
        return new CredentialUnavailableException("no usable credential: " + reason + ". Looked at, in order: "
                + String.join("; ", looked) + ". To fix: " + format.loginHint() + ".");
    }

    private static String seconds(Duration d) {
        return Math.max(1, (d.toMillis() + 999) / 1000) + "s";
    }
}

package org.anthropicproxy.usage;

import java.time.LocalDate;
import java.util.List;

/**
 * Where usage history lives. Written only by the {@link UsageRecorder}'s single writer thread, one batch per commit;
 * read by the API, the page and the {@code usage} command. Every method may throw {@link UsageStoreException}.
 */
public interface UsageStore extends AutoCloseable {

    /** Adds the requests and their daily aggregates, all or nothing. */
    void append(List<UsageRecord> batch);

    /** Daily aggregates of the days from {@code from} to {@code to}, both included. */
    List<DailyRow> daily(LocalDate from, LocalDate to);

    /** The latest requests, newest first. */
    List<UsageRecord> recent(int limit);

    /** Drops requests and aggregates of days before {@code firstKept}. */
    void deleteBefore(LocalDate firstKept);

    /** For messages: the file or the URI without its password. */
    String describe();

    @Override
    void close();
}

package org.anthropicproxy.server;

import org.anthropicproxy.provider.Usage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One line per request, grep-friendly key=value pairs; never a header value or body. */
public final class AccessLog {

    private static final Logger LOG = LoggerFactory.getLogger("access");

    /**
     * What one request did; also handed to {@link AdminRoutes#onServed} listeners (metrics, usage history).
     * {@code keyId} is {@link ClientAuth#keyId}'s short hash of the client key, null without keys.
     */
    public record Entry(
            String requestId,
            String method,
            String path,
            String clientModel,
            String provider,
            String upstreamModel,
            int status,
            boolean stream,
            long ttfbMicros,
            long totalMicros,
            Usage usage,
            int failovers,
            String note,
            String keyId) {}

    @SuppressWarnings(
            "ReferenceEquality") // Usage.NONE is the "no usage reported" sentinel; a reported all-zero usage is logged
    void log(Entry e) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        StringBuilder sb = new StringBuilder(200);
        sb.append(e.method()).append(' ').append(e.path());
        if (e.clientModel() != null) {
            sb.append(" model=")
                    .append(e.clientModel())
                    .append(" -> ")
                    .append(e.provider() == null ? "-" : e.provider())
                    .append('/')
                    .append(e.upstreamModel() == null ? "-" : e.upstreamModel());
        }
        sb.append(" status=")
                .append(e.status())
                .append(" stream=")
                .append(e.stream())
                .append(" ttfb_ms=")
                .append(ms(e.ttfbMicros()))
                .append(" total_ms=")
                .append(ms(e.totalMicros()));
        Usage u = e.usage();
        if (u != null && u != Usage.NONE) {
            sb.append(" in=")
                    .append(u.inputTokens())
                    .append(" out=")
                    .append(u.outputTokens())
                    .append(" cache_read=")
                    .append(u.cacheReadTokens())
                    .append(" cache_write=")
                    .append(u.cacheWriteTokens());
        }
        if (e.failovers() > 0) {
            sb.append(" failovers=").append(e.failovers());
        }
        if (e.note() != null) {
            sb.append(" note=\"").append(e.note().replace('"', '\'')).append('"');
        }
        sb.append(" req=").append(e.requestId());
        LOG.info(sb.toString());
    }

    /** Milliseconds with one decimal, rounded half up; without String.format, which costs more than the line. */
    static String ms(long micros) {
        if (micros < 0) {
            return "-";
        }
        long tenths = (micros + 50) / 100;
        return (tenths / 10) + "." + (tenths % 10);
    }
}

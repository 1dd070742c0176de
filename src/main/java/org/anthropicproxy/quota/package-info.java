/**
 * Quota and availability for the failover chain.
 *
 * <p>{@link org.anthropicproxy.quota.FailureClassifier} turns an upstream failure into a
 * {@link org.anthropicproxy.quota.Classification}; {@link org.anthropicproxy.quota.QuotaService} records it in a
 * {@link org.anthropicproxy.quota.QuotaStore} (a JSON file compatible with the Python anthropic_server.py's {@code quota_state.json}, or Redis
 * when several instances share state) and answers whether a provider may be tried. Hard exhaustion lasts until the
 * time the upstream named or the provider's {@link org.anthropicproxy.quota.ResetSchedule} (weekly, Monday 00:00 local,
 * by default); rate limits are short cooldowns, never weekly marks. Outages are not recorded here beyond the last error:
 * each instance ejects failing providers from its own traffic ({@code provider.HealthTracker}). All time comes from an
 * injected clock.
 */
package org.anthropicproxy.quota;

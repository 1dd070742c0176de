package org.anthropicproxy.config;

import java.util.List;

/** A provider chain used instead of the global route for requested models matching {@code match} (a glob). */
public record ModelRoute(String match, List<String> chain) {}

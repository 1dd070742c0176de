package org.anthropicproxy.provider;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Remembers a few computed values by key, for inputs that repeat on every request (paths, model names). Once full it
 * stops remembering and computes, so a client sending ever-new keys costs the computation, never memory.
 */
public final class BoundedMemo<K, V> {

    private final ConcurrentHashMap<K, V> values = new ConcurrentHashMap<>();
    private final int capacity;

    public BoundedMemo(int capacity) {
        this.capacity = capacity;
    }

    public V computeIfAbsent(K key, Function<K, V> compute) {
        V v = values.get(key);
        if (v != null) {
            return v;
        }
        v = compute.apply(key);
        if (values.size() < capacity) {
            values.putIfAbsent(key, v);
        }
        return v;
    }

    int size() {
        return values.size();
    }
}

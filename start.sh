#!/usr/bin/env bash
# Starts anthropic-proxy: builds the jar when it is missing or older than the sources, finds a JDK >= 21,
# and runs the proxy with the arguments given (./start.sh --port 9000 --provider native).
set -euo pipefail
# `./start.sh claude` runs Claude Code in the directory it was called from, not in this one
export ANTHROPIC_PROXY_CALLER_DIR="${ANTHROPIC_PROXY_CALLER_DIR:-$PWD}"
cd "$(dirname "$0")"
JAR=target/anthropic-proxy.jar

java_major() { # prints the major version of the java binary $1, or nothing
  "$1" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'
}

find_java() {
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
  for d in /usr/lib/jvm/*; do [ -x "$d/bin/java" ] && candidates+=("$d/bin/java"); done
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  local best="" best_v=0 v
  for j in "${candidates[@]}"; do
    v=$(java_major "$j" 2>/dev/null || true)
    if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$best_v" ]; then best="$j"; best_v="$v"; fi
  done
  [ -n "$best" ] && echo "$best"
}

JAVA=$(find_java || true)
if [ -z "$JAVA" ]; then
  echo "anthropic-proxy needs Java 21 or newer: install one (e.g. 'apt-get install openjdk-21-jdk' or Temurin from https://adoptium.net) or set JAVA_HOME." >&2
  exit 1
fi
export JAVA_HOME="$(dirname "$(dirname "$JAVA")")"

# Measured flags (see README "Performance", bench/README.md): small serial GC heap, compact headers on JDK 24+,
# class-data sharing with an application archive made at the first clean exit (re-made when the jar changes):
# first request served 1.0 s after start instead of 1.5 s, 24 MB less RSS. The heap starts small with a fixed young
# generation: the default initial heap (1/64 of the machine's memory) let the old generation fill every page with
# garbage before its first collection, and a larger young generation is only more pages touched per cycle.
# Transparent huge pages where the kernel offers them: 10-15 % less CPU per request at 200 req/s on average
# (presumably TLB misses saved when every request finds the caches cold), no more RSS. The C heap trimmed every 5 s
# (JDK 22+): what the JVM's own code (the JIT above all) allocated and freed otherwise stays resident, 30-40 MB in
# usual runs and up to 90 MB in some (bench/README.md item 13).
JVM_OPTS=(-XX:+UseSerialGC -Xms64m -Xmn48m -Xmx512m -XX:TieredStopAtLevel=4 -Xshare:auto -XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=target/anthropic-proxy.jsa -Xlog:cds*=off)
for flag in -XX:+UseCompactObjectHeaders -XX:TrimNativeHeapInterval=5000; do
  if "$JAVA" "$flag" -version >/dev/null 2>&1; then JVM_OPTS+=("$flag"); fi
done
if grep -qE '\[(always|madvise)\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
  JVM_OPTS+=(-XX:+UseTransparentHugePages)
fi
# for the load benchmark, which starts the proxy with these flags
if [ "${1:-}" = "--print-jvm-opts" ]; then
  echo "${JVM_OPTS[*]}"
  exit 0
fi

if [ ! -f "$JAR" ] || [ -n "$(find src pom.xml -newer "$JAR" -print -quit 2>/dev/null)" ]; then
  echo "building $JAR ..." >&2
  ./mvnw -q -B -DskipTests package >&2
fi

# A class-data archive made for an older jar no longer maps ("shared class paths mismatch"), and the JVM then does
# not always write a new one at exit: remove it so the next clean exit does.
if [ -f target/anthropic-proxy.jsa ] && [ target/anthropic-proxy.jar -nt target/anthropic-proxy.jsa ]; then
  rm -f target/anthropic-proxy.jsa
fi

exec "$JAVA" "${JVM_OPTS[@]}" ${ANTHROPIC_PROXY_JAVA_OPTS:-} -jar "$JAR" "$@"

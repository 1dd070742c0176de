#!/usr/bin/env bash
# Load benchmark: the same load straight at an upstream simulator and through the proxy (a separate process started
# with start.sh's JVM flags), side by side. One table on stdout, JSON in bench/results/<timestamp>.json.
#   bench/load.sh            # full run, about 12 minutes
#   bench/load.sh --quick    # about 3 minutes, fewer samples and a short warm-up: a smoke test, not a verdict
# Extra proxy JVM flags for experiments: ANTHROPIC_PROXY_JAVA_OPTS="-XX:TieredStopAtLevel=1" bench/load.sh
# Pass-through options for the tool: --only startup,latency,reference,throughput,slow,streams
set -euo pipefail
cd "$(dirname "$0")/.."

java_major() { # prints the major version of the java binary $1, or nothing (as start.sh)
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
  echo "the benchmark needs Java 21 or newer (set JAVA_HOME)" >&2
  exit 1
fi
export JAVA_HOME="$(dirname "$(dirname "$JAVA")")"

# The proxy's JVM flags, as start.sh chooses them for this JDK and machine, so the benchmark measures what users run.
PROXY_OPTS="$(./start.sh --print-jvm-opts) ${ANTHROPIC_PROXY_JAVA_OPTS:-}"

# Build only when something changed: a rebuilt jar also invalidates the class-data archive start.sh uses.
JAR=target/anthropic-proxy.jar
if [ ! -f "$JAR" ] || [ ! -f target/bench.classpath ] || [ ! -f target/classes/org/anthropicproxy/bench/LoadBench.class ] \
   || [ -n "$(find src bench/src pom.xml -newer "$JAR" -print -quit 2>/dev/null)" ]; then
  echo "building the proxy jar and the bench tool ..." >&2
  ./mvnw -q -B -Pbench -Dmaven.test.skip=true package >&2
fi

# A class-data archive made for an older jar no longer maps ("shared class paths mismatch"), and the JVM then does
# not always write a new one at exit: remove it so the next clean exit does.
if [ -f target/anthropic-proxy.jsa ] && [ target/anthropic-proxy.jar -nt target/anthropic-proxy.jsa ]; then
  rm -f target/anthropic-proxy.jsa
fi

# The load tool's own JVM: a young generation big enough that it rarely collects during a phase.
exec "$JAVA" -XX:+UseSerialGC -Xms1g -Xmx1g -Xmn600m -cp "target/classes:$(cat target/bench.classpath)" \
  org.anthropicproxy.bench.LoadBench --proxy-java "$JAVA" --proxy-opts "$PROXY_OPTS" --jar target/anthropic-proxy.jar "$@"

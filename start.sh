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

# The JVM flags: one list for every way the proxy is started (src/main/resources/jvm.options says why each).
JVM_OPTS=()
while read -r kind flag; do
  case "$kind" in
    ''|'#'*) continue ;;
    if-accepted) "$JAVA" "$flag" -version >/dev/null 2>&1 || continue ;;
    if-thp) grep -qE '\[(always|madvise)\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || continue ;;
    *) flag="$kind" ;;
  esac
  JVM_OPTS+=("${flag//\{archive\}/target}")
done < src/main/resources/jvm.options
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

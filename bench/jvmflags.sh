#!/usr/bin/env bash
# Start-up and memory of the proxy under candidate JVM flag sets (each added to start.sh's JVM_OPTS).
# Prints one line per set; the details are in bench/results/. About 40 s per set.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f target/anthropic-proxy.jsa
SETS=(
  ""
  "-XX:TieredStopAtLevel=1"
  "-XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=target/anthropic-proxy.jsa"
  "-Xmx256m"
  "-XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30"
  "-Xss256k -XX:ReservedCodeCacheSize=64m"
)
for s in "${SETS[@]}"; do
  out=$(ANTHROPIC_PROXY_JAVA_OPTS="$s" bench/load.sh --only startup,streams 2>/dev/null)
  starts=$(echo "$out" | grep -o 'first request served after [0-9]* ms' | grep -o '[0-9]*' | tr '\n' ' ')
  rss=$(echo "$out" | grep -o 'RSS [0-9]* MB (before' | grep -o '[0-9]*' | tr '\n' ' ')
  hwm=$(echo "$out" | grep 'VmHWM' | awk -F'|' '{print $4}' | tr -d ' ')
  echo "flags: [${s:-start.sh as is}]  start-up ms: ${starts} RSS with 1000 streams pt/tr MB: ${rss} peak MB: ${hwm}"
done

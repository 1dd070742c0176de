# Sourced by ./mvnw before Maven starts: the build needs a JDK >= 21 (release 21; the tests run on it too), while
# the default `java` of many machines is older. When JAVA_HOME, or else the `java` on the PATH, is older than 21,
# the newest JDK >= 21 installed in the usual places becomes JAVA_HOME, with one line saying so; with none, one line
# says what to install. POSIX sh: mvnw runs under `set -euf`, so globbing is switched on only where it is needed.

__apx_major() { # the major version of the java binary $1, or nothing
  "$1" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}' | sed 's/[^0-9].*//'
}

__apx_select_jdk() {
  __apx_current=""
  if [ -n "${JAVA_HOME-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    __apx_current="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    __apx_current="$(command -v java)"
  fi
  __apx_v=""
  [ -z "$__apx_current" ] || __apx_v="$(__apx_major "$__apx_current" 2>/dev/null || :)"
  if [ -n "$__apx_v" ] && [ "$__apx_v" -ge 21 ]; then
    return 0
  fi
  __apx_best="" __apx_best_v=0
  set +f
  for __apx_d in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "${HOME-}"/.sdkman/candidates/java/* \
      "${HOME-}"/.jdks/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -x "$__apx_d/bin/java" ] && [ -x "$__apx_d/bin/javac" ] || continue
    __apx_dv="$(__apx_major "$__apx_d/bin/java" 2>/dev/null || :)"
    if [ -n "$__apx_dv" ] && [ "$__apx_dv" -ge 21 ] && [ "$__apx_dv" -gt "$__apx_best_v" ]; then
      __apx_best="$__apx_d" __apx_best_v="$__apx_dv"
    fi
  done
  set -f
  if [ -z "$__apx_best" ]; then
    __apx_found="no Java"
    [ -z "$__apx_v" ] || __apx_found="only Java $__apx_v"
    echo "mvnw: anthropic-proxy builds with a JDK 21 or newer, and found $__apx_found: install one (e.g. 'apt-get install openjdk-21-jdk' or Temurin from https://adoptium.net) or set JAVA_HOME to it." >&2
    exit 1
  fi
  echo "mvnw: ${__apx_v:+Java $__apx_v is the default; }building with the JDK $__apx_best_v in $__apx_best" >&2
  JAVA_HOME="$__apx_best"
  export JAVA_HOME
}

__apx_select_jdk

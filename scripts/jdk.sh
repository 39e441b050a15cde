# Sourced by ./apbj and scripts/gpu-bundle.sh: finds a JDK 25 (JAVA_HOME first, then
# /usr/lib/jvm/*25*), exports JAVA_HOME and puts its bin first on PATH; returns 1 if none.
# The version comes from the JDK's release file (no JVM start); `java -version` where it has none.

jdk_is_25() {
  local d=$1 line
  [[ -x $d/bin/java && -x $d/bin/javac ]] || return 1
  if [[ -f $d/release ]]; then
    while IFS= read -r line; do
      [[ $line == JAVA_VERSION=* ]] || continue
      [[ $line =~ ^JAVA_VERSION=\"(2[5-9]|[3-9][0-9])([.\"]) ]]
      return
    done <"$d/release"
    return 1
  fi
  "$d/bin/java" -version 2>&1 | grep -Eq 'version "(2[5-9]|[3-9][0-9])'
}

find_jdk() {
  local candidates=() d
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME")
  for d in /usr/lib/jvm/*25*; do [[ -d "$d" ]] && candidates+=("$d"); done
  for d in "${candidates[@]}"; do
    if jdk_is_25 "$d"; then
      export JAVA_HOME="$d"; export PATH="$JAVA_HOME/bin:$PATH"; return 0
    fi
  done
  echo "${0##*/}: no JDK 25 found (JAVA_HOME='${JAVA_HOME:-}' and /usr/lib/jvm/*25*): install one, e.g. 'apt-get install openjdk-25-jdk' or Temurin 25, or set JAVA_HOME to it" >&2
  return 1
}

#!/usr/bin/env bash
# Runs on the GPU machine from the repository root, after scripts/gpu-bundle.sh here:
#   .device/run-gpu.sh tests            JUnit tests tagged "gpu"
#   .device/run-gpu.sh main CLASS ARGS  any main class (benchmarks)
# Results go to $OUT when set (else ./gpu-out).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# unpacked once per runtime: a bundle with another runtime (jre.recipe) unpacks its own
if [[ ! -x /tmp/jre/bin/java || "$(cat /tmp/jre/apbj.recipe 2>/dev/null)" != "$(cat "$here/jre.recipe" 2>/dev/null)" ]]; then
  rm -rf /tmp/jre; tar xzf "$here/jre.tgz" -C /tmp; cp "$here/jre.recipe" /tmp/jre/apbj.recipe 2>/dev/null || true
fi
JAVA=/tmp/jre/bin/java; export PATH=/tmp/jre/bin:$PATH  # MPJ starts child JVMs as the java on PATH
export MPJ_HOME="$here/mpjhome"; mkdir -p "$MPJ_HOME"; ln -sfn "$here/mpj" "$MPJ_HOME/lib"; ln -sfn "$here/mpjconf" "$MPJ_HOME/conf"
out=${OUT:-gpu-out}; mkdir -p "$out"
cp=$(ls "$here"/lib/*.jar | grep -v junit-console | tr '\n' ':')
mode=${1:-tests}; shift || true
case $mode in
  tests)
    $JAVA --enable-native-access=ALL-UNNAMED -Xss8m -jar "$here/lib/junit-console.jar" execute \
      --class-path "$cp" --scan-class-path --include-tag gpu --details=tree --disable-banner \
      --reports-dir "$out/junit" "$@" ;;
  main)
    $JAVA --enable-native-access=ALL-UNNAMED -Xss8m -cp "$cp" "$@" ;;
  *) echo "usage: run-gpu.sh tests|main CLASS [ARGS]" >&2; exit 2 ;;
esac

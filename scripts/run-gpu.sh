#!/usr/bin/env bash
# Runs on the GPU machine from the repository root, after scripts/gpu-bundle.sh here:
#   .device/run-gpu.sh tests            JUnit tests tagged "gpu"
#   .device/run-gpu.sh main CLASS ARGS  any main class (benchmarks)
# Results go to $OUT when set (else ./gpu-out).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[[ -x /tmp/jre/bin/java ]] || tar xzf "$here/jre.tgz" -C /tmp
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

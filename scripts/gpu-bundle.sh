#!/usr/bin/env bash
# Packs what a GPU machine without Java or Maven needs to run apbj's tests and benchmarks:
#   .device/jre.tgz      a jlink'd Java 25 runtime (built once; java.desktop for the bench charts)
#   .device/lib/         every module's classes + test classes as jars, third-party jars,
#                        the JUnit console launcher
#   .device/mpj/         MPJ Express jars with log4j-1.2 (an MPJ_HOME/lib), .device/mpjconf its conf
#   .device/run-gpu.sh   the script to run there (see its header)
# Usage (repository root): scripts/gpu-bundle.sh   -> then carry .device to the GPU machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd); cd "$root"
exclude=$(git rev-parse --git-path info/exclude); mkdir -p "$(dirname "$exclude")"
grep -qx '/.device/' "$exclude" 2>/dev/null || echo '/.device/' >> "$exclude"
./apbj build >/dev/null
mvn -B -q -o -DskipTests test-compile >/dev/null
out=.device; mkdir -p "$out"
if [[ ! -f $out/jre.tgz ]]; then
  tmp=$(mktemp -d)
  "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.unsupported,java.logging,java.management,java.xml,java.naming,java.desktop,jdk.zipfs \
    --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$tmp/jre"
  tar czf $out/jre.tgz -C "$tmp" jre; rm -rf "$tmp"
fi
rm -rf $out/lib $out/mpj $out/mpjconf; mkdir -p $out/lib $out/mpj
for m in tornado-kernels weights tokenizer model parallel examples tests; do
  [[ -d $m/target/classes ]] && (cd $m/target/classes && jar cf "$root/$out/lib/$m.jar" .)
  [[ -d $m/target/test-classes ]] && (cd $m/target/test-classes && jar cf "$root/$out/lib/$m-tests.jar" .)
done
tr ':' '\n' < build/classpath.txt | grep '\.jar$' | grep -v -e '/org/apbj/' -e '/target/' -e '/junit-' | while read -r j; do cp -L "$j" $out/lib/; done
repo=${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}
console=$repo/org/junit/platform/junit-platform-console-standalone/1.11.4/junit-platform-console-standalone-1.11.4.jar
[[ -f $console ]] || mvn -B -q dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:1.11.4
cp "$console" $out/lib/junit-console.jar
for j in build/mpj/lib/*.jar; do [[ $j =~ -[0-9.]+\.jar$ && ! $j =~ log4j ]] || cp -L "$j" $out/mpj/; done
cp -rL build/mpj/conf $out/mpjconf
cp scripts/run-gpu.sh $out/run-gpu.sh
du -sh $out | awk '{print "bundle: "$1}'

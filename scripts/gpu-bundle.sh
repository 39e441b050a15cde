#!/usr/bin/env bash
# Packs what a GPU machine without Java or Maven needs to run apbj's tests and benchmarks:
#   .device/jre.tgz      a jlink'd Java 25 runtime (rebuilt when its JDK, modules or options change);
#                        java.desktop for the bench and eval charts, whose font (DejaVu Sans)
#                        is inside examples.jar, so a PNG comes back from a machine without fonts
#   .device/lib/         every module's classes + test classes as jars, third-party jars,
#                        the JUnit console launcher
#   .device/mpj/         MPJ Express jars with log4j-1.2 (an MPJ_HOME/lib), .device/mpjconf its conf
#   .device/run-gpu.sh   the script to run there (see its header)
# Usage (repository root): scripts/gpu-bundle.sh   -> then carry .device to the GPU machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd); cd "$root"
source scripts/jdk.sh   # JAVA_HOME, else /usr/lib/jvm/*25*, as ./apbj finds it
find_jdk || exit 1
exclude=$(git rev-parse --git-path info/exclude); mkdir -p "$(dirname "$exclude")"
grep -qx '/.device/' "$exclude" 2>/dev/null || echo '/.device/' >> "$exclude"
./apbj build >/dev/null
mvn -B -q -o -DskipTests test-compile >/dev/null
out=.device; mkdir -p "$out"
# jdk.management: com.sun.management (the Java device's memory figures). Modules stored
# uncompressed (zip-0) and the whole runtime gzipped: 32 MB instead of 39 MB with zip-9 inside.
modules=java.base,jdk.unsupported,java.logging,java.management,jdk.management,java.xml,java.naming,java.desktop,jdk.zipfs
jlink_opts=(--strip-debug --no-man-pages --no-header-files --compress=zip-0)
recipe="$("$JAVA_HOME/bin/java" -version 2>&1 | head -1) $modules ${jlink_opts[*]}"
if [[ ! -f $out/jre.tgz || "$(cat $out/jre.recipe 2>/dev/null)" != "$recipe" ]]; then
  tmp=$(mktemp -d)
  "$JAVA_HOME/bin/jlink" --add-modules "$modules" "${jlink_opts[@]}" --output "$tmp/jre"
  tar cf - -C "$tmp" jre | gzip -9 > $out/jre.tgz; rm -rf "$tmp"
  echo "$recipe" > $out/jre.recipe
fi
rm -f $out/jre.modules
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

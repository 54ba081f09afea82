#!/usr/bin/env bash
# filesync index benchmark: heap of the Index for FILES small files and the time of a full rescan.
#
# Creates FILES (1,000,000) small files, 1000 per directory, under BENCH_DIR (a temp dir under
# /tmp unless given; an existing tree there is reused), then in one JVM with -Xmx512m:
#   1. a first full scan (stat + chunk + SHA-256 of every file) into an empty Index;
#   2. the heap in use after GC, minus the heap before (the index alone);
#   3. a second full scan of the unchanged tree (stat only, nothing hashed).
# Output: a human report and one line starting with "BENCH_JSON ".
# Environment: FILES, BENCH_DIR (kept), KEEP_DIR=1 (keep a temp dir), SKIP_BUILD=1, JAVA_OPTS.
# Builds with `mvn -o -q -pl filesync -am test-compile` (never `mvn install`).
set -euo pipefail
cd "$(dirname "$0")/.."
source dev/find-jdk.sh
FILES="${FILES:-1000000}"
if [ -z "${BENCH_DIR:-}" ]; then
  BENCH_DIR="$(mktemp -d /tmp/filesync-index.XXXXXX)"
  [ "${KEEP_DIR:-}" = 1 ] || trap 'rm -rf "$BENCH_DIR"' EXIT
fi
if [ "${SKIP_BUILD:-}" != 1 ]; then
  JAVA_HOME="$TANDEM_JDK" mvn -o -q -pl filesync -am test-compile >/dev/null
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$TANDEM_JDK/bin/java" -Xmx512m ${JAVA_OPTS:-} \
  -cp filesync/target/classes:filesync/target/test-classes tandem.filesync.IndexBench "$BENCH_DIR" "$FILES"

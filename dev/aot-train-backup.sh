#!/usr/bin/env bash
# dev/aot-train-backup.sh JAR CACHE: writes the AOT cache of the backup commands (JDK 25+,
# -XX:AOTCacheOutput) by running tandem.cli.BackupTraining from JAR in a temp dir: a first backup of
# 20 MiB in 400 files (text that compresses, random bytes that do not), a backup with nothing
# changed, a restore and a verify reading all data, in one JVM, which writes CACHE as it exits.
# Uses the data commands' JVM options, which `./tandem backup ...` runs with (TANDEM_DATA_JVM in
# dev/jvm-opts.sh), so the cache matches the JVM that loads it. About 10 s once per build.
# Why: with the cache a backup that finds nothing changed took ~0.5 s less CPU than with the class
# data sharing archive (bench/RESULTS.md, backups run 4).
set -euo pipefail
jar=$1 cache=$2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -n "${TANDEM_JDK:-}" ] || source "$here/find-jdk.sh"
source "$here/jvm-opts.sh"
tmp="$(mktemp -d /tmp/tandem-aot-backup.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/data"
for d in 0 1 2 3; do
  mkdir -p "$tmp/data/d$d"
  for i in $(seq 1 100); do
    seq $((i * 37)) $((i * 37 + 1500)) >"$tmp/data/d$d/f$i.txt" # compressible, ~8 KiB
  done
done
head -c 12M /dev/urandom >"$tmp/data/big.bin"
ln -s d0 "$tmp/data/link"
head -c 24 /dev/urandom | base64 >"$tmp/pw"
chmod 600 "$tmp/pw"
cat >"$tmp/tandem.yaml" <<YAML
cluster: train
node: { name: n1, listen: 127.0.0.1:7400, api: 127.0.0.1:8400, data-dir: $tmp/node }
groups:
  files:
    nodes: { n1: primary }
    resources:
      - files: { path: $tmp/data }
backups:
  train:
    schedule: daily
    groups: [files]
    repository: $tmp/repo
    password-file: $tmp/pw
    keep: { last: 3 }
YAML
"$TANDEM_JDK/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow "${TANDEM_DATA_JVM[@]}" \
  "-XX:AOTCacheOutput=$cache" -Xlog:aot=off -Xlog:cds=off -cp "$jar" tandem.cli.BackupTraining "$tmp/tandem.yaml" "$tmp/restored" \
  >"$tmp/train.log" 2>&1 || { echo "aot-train-backup: training failed; log:" >&2; tail -20 "$tmp/train.log" >&2; rm -f "$cache"; exit 1; }
[ -f "$cache" ] || { echo "aot-train-backup: the JVM wrote no $cache; log:" >&2; tail -20 "$tmp/train.log" >&2; exit 1; }

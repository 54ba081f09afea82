#!/usr/bin/env bash
# WAL archiving benchmark (issue 5, pitr: on): SEGMENTS (16) real WAL segments of a PostgreSQL under
# an INSERT load, archived by the archive_command tandem sets up (WalArchive: copy into the spool
# beside the data directory, fsync, rename, fsync the directory), then pushed into a repository:
#   tandem batch    one `tandem wal push` of the whole spool (what the agent does every 5 s)
#   tandem each     one `tandem wal push` per segment (a push as soon as each segment is archived)
#   restic batch    one `restic backup` of the whole spool
#   restic each     one `restic backup` per segment (restic as the archive_command)
# The first archived file makes each repository, untimed; the others are timed.
# Each row: wall seconds, CPU seconds (user + system, GNU time) and the repository's size after it.
# PostgreSQL: the newest /usr/lib/postgresql/*/bin, run as user postgres (the script runs as root).
# Environment: SEGMENTS, SKIP_BUILD=1, KEEP_DIR=1. Output: a table and one line "BENCH_JSON {...}".
set -euo pipefail
SEGMENTS="${SEGMENTS:-16}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/dev/find-jdk.sh"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$repo" && JAVA_HOME="$TANDEM_JDK" mvn -q -B -o -DskipTests package >&2)
fi
tandem="$repo/tandem"
pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
tmp="$(mktemp -d /tmp/tandem-bench-wal.XXXXXX)"
chmod 755 "$tmp"
data="$tmp/pg"
spool="$data.tandem/wal-spool" # WalArchive.spool(data)
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
pg() { runuser -u postgres -- "$@"; }
cleanup() {
  pg "$pgbin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  [ "${KEEP_DIR:-0}" = 1 ] || rm -rf "$tmp"
}
trap cleanup EXIT
port=$((25000 + RANDOM % 5000))

mkdir -p "$spool"
# The archive script tandem writes for pitr: on (tandem.db.postgres.WalArchive.scriptText), with this spool.
cat >"$data.tandem/archive-wal" <<SH
#!/bin/sh
set -eu
spool=$spool
if [ -f "\$spool/\$2" ]; then exec cmp -s "\$1" "\$spool/\$2"; fi
tmp="\$spool/.partial-\$2"
cp "\$1" "\$tmp"
sync "\$tmp"
mv "\$tmp" "\$spool/\$2"
sync "\$spool"
SH
chmod 755 "$data.tandem/archive-wal"
chown -R postgres: "$tmp"
pg "$pgbin/initdb" -D "$data" -A trust -U postgres >/dev/null
cat >>"$data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmp'
shared_buffers = 64MB
max_wal_size = 1GB
archive_mode = on
archive_command = '$data.tandem/archive-wal %p %f'
CONF
pg "$pgbin/pg_ctl" -D "$data" -l "$tmp/pg.log" -w start >/dev/null
psql() { pg "$pgbin/psql" -h "$tmp" -p "$port" -U postgres -d postgres -qAtX "$@"; }
psql -c "CREATE TABLE orders (id bigserial PRIMARY KEY, note text)"
log "writing $SEGMENTS WAL segments"
for _ in $(seq 1 "$SEGMENTS"); do
  psql -c "INSERT INTO orders (note) SELECT md5(random()::text) || md5(random()::text) FROM generate_series(1, 120000)" \
    -c "SELECT pg_switch_wal()" >/dev/null
done
for _ in $(seq 1 600); do # until PostgreSQL has archived them all (its archiver retries on its own)
  [ "$(find "$spool" -maxdepth 1 -type f ! -name '.*' | wc -l)" -ge "$SEGMENTS" ] && break
  sleep 0.2
done
pg "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
mkdir -p "$tmp/segs"
find "$spool" -maxdepth 1 -type f ! -name '.*' -exec mv {} "$tmp/segs/" \;
# The first file makes each repository (not timed); the others are timed.
first="$(ls "$tmp/segs" | head -1)"
mkdir -p "$tmp/first"; mv "$tmp/segs/$first" "$tmp/first/"
n=$(ls "$tmp/segs" | wc -l)
bytes=$(du -sb "$tmp/segs" | cut -f1)
log "$((n + 1)) WAL files archived; $n of them ($((bytes / 1048576)) MiB) timed"

pw="$tmp/pw"; head -c 24 /dev/urandom | base64 >"$pw"; chmod 600 "$pw"
export RESTIC_PASSWORD_FILE="$pw"
results="$tmp/results.tsv"; : >"$results"
# timed NAME REPO_DIR -- command...: runs it, adds wall and CPU seconds to NAME's totals.
timed() {
  local name=$1 rdir=$2; shift 3
  local t0 t1; t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$tmp/time" "$@" >"$tmp/last.log" 2>&1 || { log "$name FAILED: $(tail -3 "$tmp/last.log")"; exit 1; }
  t1=$(date +%s.%N)
  printf '%s\t%s\t%s\t%s\n' "$name" "$(awk -v a="$t1" -v b="$t0" 'BEGIN{printf "%.3f", a-b}')" \
    "$(tail -1 "$tmp/time" | awk '{printf "%.2f", $1 + $2}')" "$(du -sb "$rdir" | cut -f1)" >>"$results"
}
tandem_cfg() { # repository
  cat >"$tmp/tandem.yaml" <<YAML
cluster: bench
node: { name: n1, listen: 127.0.0.1:7400, api: 127.0.0.1:8400, data-dir: $tmp/node }
groups:
  db:
    nodes: { n1: primary }
    resources:
      - postgres: { data: $data, port: $port }
backups:
  nightly:
    schedule: daily
    groups: [db]
    repository: $1
    password-file: $pw
    keep: { last: 3 }
    pitr: on
YAML
}
# Not timed: the launcher's start-up cache for this build, and each repository made empty first.
tandem_cfg "$tmp/warm-repo"; "$tandem" backup list -c "$tmp/tandem.yaml" >/dev/null 2>&1 || true
for mode in batch each; do
  rdir="$tmp/repo-tandem-$mode"; tandem_cfg "$rdir"
  "$tandem" backup list -c "$tmp/tandem.yaml" >/dev/null 2>&1 || true # `backup list` makes no repository
  cp "$tmp/first/$first" "$spool/" # the repository is made by the first push, not timed
  "$tandem" wal push -c "$tmp/tandem.yaml" >/dev/null
  if [ "$mode" = batch ]; then
    cp "$tmp/segs/"* "$spool/"
    timed "tandem batch" "$rdir" -- "$tandem" wal push -c "$tmp/tandem.yaml"
  else
    for f in "$tmp/segs/"*; do
      cp "$f" "$spool/"
      timed "tandem each" "$rdir" -- "$tandem" wal push -c "$tmp/tandem.yaml"
    done
  fi
  [ -z "$(ls "$spool")" ] || { log "tandem $mode left files in the spool"; exit 1; }
  log "tandem $mode: done"
done
for mode in batch each; do
  rdir="$tmp/repo-restic-$mode"; restic init -q -r "$rdir" --repository-version 2 >/dev/null
  rm -rf "$tmp/rs"; mkdir -p "$tmp/rs"
  cp "$tmp/first/$first" "$tmp/rs/"; restic -q -r "$rdir" backup --compression auto "$tmp/rs" >/dev/null
  if [ "$mode" = batch ]; then
    cp "$tmp/segs/"* "$tmp/rs/"
    timed "restic batch" "$rdir" -- restic -q -r "$rdir" backup --compression auto "$tmp/rs"
  else
    for f in "$tmp/segs/"*; do
      timed "restic each" "$rdir" -- restic -q -r "$rdir" backup --compression auto "$f"
    done
  fi
  log "restic $mode: done"
done

python3 - "$results" "$n" "$bytes" <<'PY'
import json, sys, datetime, collections
agg = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, s, cpu, size = line.rstrip("\n").split("\t")
    a = agg.setdefault(name, {"runs": 0, "s": 0.0, "cpu_s": 0.0})
    a["runs"] += 1; a["s"] += float(s); a["cpu_s"] += float(cpu); a["repo_mib"] = int(size) / 1048576
files, data_bytes = int(sys.argv[2]), int(sys.argv[3])
print("%-14s %5s %9s %9s %13s %9s" % ("", "runs", "wall s", "CPU s", "s per segment", "repo MiB"))
for name, a in agg.items():
    a["s"] = round(a["s"], 2); a["cpu_s"] = round(a["cpu_s"], 2)
    print("%-14s %5d %9.2f %9.2f %13.3f %9.1f" % (name, a["runs"], a["s"], a["cpu_s"], a["s"] / files, a["repo_mib"]))
print("BENCH_JSON " + json.dumps({"bench": "wal", "date": datetime.datetime.utcnow().isoformat() + "Z", "segments": files,
      "wal_bytes": data_bytes, "results": agg}))
PY

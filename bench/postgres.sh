#!/usr/bin/env bash
# PostgreSQL failover of tandem against Patroni + etcd, on 127.0.0.1, in one run (issue 4).
#
# tandem: two data nodes (n1, n2) with a `postgres` resource each and a witness (n3), set up with
# `tandem init`/`invite`/`join`/`run` as a user would, with tandem's defaults.
# Patroni: two Patroni nodes (p1, p2) and one etcd (the DCS, the counterpart of tandem's witness),
# first with Patroni's defaults (ttl 30, loop_wait 10, retry_timeout 10), then "tuned" to the
# smallest values its documentation allows (ttl 20, loop_wait 1, retry_timeout 3; the rule is
# loop_wait + 2 * retry_timeout <= ttl), changed through its REST API (PATCH /config).
#
# Failover, RUNS times per configuration: pgbench (PGBENCH_CLIENTS clients, PGBENCH_RATE tps in
# total, each transaction an INSERT of (run, client, n) with n counting that client's
# transactions) and a writer loop (one psql per INSERT of a numbered row, recording each
# acknowledged id) write to the primary; after LOAD_S s of load, t0 = date +%s.%N just before
# `kill -9` of the primary's agent (tandem agent / Patroni process) and of its postmaster; the
# writer is pointed at the other node at once; the gap is the time of its first acknowledged
# commit there minus t0. Lost = acknowledged before t0 by the killed primary (pgbench's
# per-transaction log, the writer's list) but missing on the new primary. The killed node is
# restarted and must stream from the new primary before the next kill.
# Throughput: pgbench (PGBENCH_CLIENTS clients, unthrottled, TPS_S s) with both nodes up, async
# and synchronous (tandem `synchronous: on` in a second cluster; Patroni synchronous_mode true).
# Everything runs on this machine, so the figures are comparable with each other only.
#
# Environment: RUNS (5), PHASES ("tandem tandem-sync patroni"), LOAD_S (3), PGBENCH_CLIENTS (4),
# PGBENCH_RATE (200), TPS_S (20), SETTLE_S (5: after all agents answer, before measuring),
# TIMEOUT_S (180), SKIP_BUILD=1, KEEP_DIR=1, PG_BIN.
# When pgbench fails on tandem, `tandem events`/`status` and the logs of every node go to
# <temp dir>/tandem/<mode>/evidence-<time>/ (the temp dir is then kept) and it is measured once more.
# Needs: PostgreSQL 13+ server and pgbench, patroni, etcd (apt-get install -y postgresql patroni
# etcd-server etcd-client python3-psycopg2), setpriv, curl; run as root (the servers run as postgres).
# Output: a human report and one line starting with "BENCH_JSON ".
set -euo pipefail
RUNS="${RUNS:-5}"
PHASES="${PHASES:-tandem tandem-sync patroni}"
LOAD_S="${LOAD_S:-3}"
PGBENCH_CLIENTS="${PGBENCH_CLIENTS:-4}"
PGBENCH_RATE="${PGBENCH_RATE:-200}"
TPS_S="${TPS_S:-20}"
TIMEOUT_S="${TIMEOUT_S:-180}"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$repo/cli/target/tandem.jar"
source "$repo/dev/find-jdk.sh"
java="$TANDEM_JDK/bin/java"
source "$repo/dev/jvm-opts.sh"
jvm_quiet=(--enable-native-access=ALL-UNNAMED)
[ "${TANDEM_JDK_VERSION%%.*}" -ge 24 ] 2>/dev/null && jvm_quiet+=(--sun-misc-unsafe-memory-access=allow)
[ -x "$PG_BIN/postgres" ] && command -v pgbench >/dev/null && command -v psql >/dev/null \
  || { echo "postgres.sh: needs a PostgreSQL server and pgbench (PG_BIN=$PG_BIN)" >&2; exit 2; }
case " $PHASES " in *" patroni "*)
  command -v patroni >/dev/null && command -v etcd >/dev/null \
    || { echo "postgres.sh: needs patroni and etcd (apt-get install -y patroni etcd-server etcd-client python3-psycopg2)" >&2; exit 2; } ;;
esac
command -v setpriv >/dev/null && command -v curl >/dev/null || { echo "postgres.sh: needs setpriv and curl" >&2; exit 2; }

tmp="$(mktemp -d /tmp/tandem-bench-pg.XXXXXX)"
chmod 755 "$tmp" # the servers run as postgres and must reach their data dirs
all_pids=()
writer_pid=""
cleanup() {
  local rc=$? p f
  trap - EXIT INT TERM
  exec 3>&2 2>/dev/null
  [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null || true
  for p in "${all_pids[@]}"; do
    # Only processes this script started that still run (a PID may have been reused).
    if [ -r "/proc/$p/cmdline" ] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -q -- "$tmp"; then kill -9 "$p" 2>/dev/null || true; fi
  done
  # The postmasters (started by the agents and Patroni), tandem's watchdogs: their command lines name the temp dir.
  for f in "$tmp"/*/*/pg/postmaster.pid "$tmp"/*/*/*/pg/postmaster.pid; do
    [ -s "$f" ] && kill -9 "$(head -1 "$f")" 2>/dev/null || true
  done
  for p in $(pgrep -f "$tmp" 2>/dev/null || true); do kill -9 "$p" 2>/dev/null || true; done
  exec 2>&3 3>&-
  if [ "${KEEP_DIR:-0}" = 1 ] || [ "$rc" -ne 0 ] || [ -n "$(ls -d "$tmp"/tandem/*/evidence-* 2>/dev/null)" ]; then echo "postgres.sh: exit $rc; files kept in $tmp" >&2; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
now() { date +%s.%N; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  if [ ! -f "$jar" ] || [ -n "$(find "$repo" -path "$repo/*/src/main/*" -newer "$jar" -print -quit 2>/dev/null)" ]; then
    log "building $jar"
    (cd "$repo" && JAVA_HOME="$TANDEM_JDK" mvn -q -B -o -DskipTests package >&2)
  fi
fi
# A copy: a rebuild of the jar during the run must not change (or break) the agents it restarts.
cp "$jar" "$tmp/tandem.jar"; jar_built="$(date -u -r "$jar" +%FT%TZ)"; jar="$tmp/tandem.jar"
tandem() { "$java" "${jvm_quiet[@]}" "${TANDEM_CLI_JVM[@]}" -jar "$jar" "$@"; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_base() {
  local b i ok
  for _ in $(seq 1 50); do
    b=$((20000 + (RANDOM % 1200) * 10)); ok=1
    for i in 0 1 2 5 6 7 10 11 12 15 16 17 20 21 22; do port_free $((b + i)) || { ok=0; break; }; done
    [ "$ok" = 1 ] && { echo "$b"; return; }
  done
  die "no free port range found"
}

stats() { # values... -> "min p50 max"
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { n = NR; med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    printf "%.3f %.3f %.3f", v[1], med, v[n] }'
}
sum() { local s=0 x; for x in "$@"; do s=$((s + x)); done; echo "$s"; }

# The cluster under test: its nodes, their ports, user and password; set by each phase.
declare -A dbport=() dbpw=() datadir=() agent_pid=()
dbuser=""
dir=""
sql() { # node statement -> rows (unaligned, no header)
  PGPASSWORD="${dbpw[$1]}" PGCONNECT_TIMEOUT=2 psql -X -q -h 127.0.0.1 -p "${dbport[$1]}" -U "$dbuser" -d postgres -At -c "$2" 2>/dev/null
}
is_primary() { [ "$(sql "$1" "SELECT pg_is_in_recovery()")" = f ]; }
streaming() { [ "$(sql "$1" "SELECT status FROM pg_stat_wal_receiver")" = streaming ]; }
sync_state() { sql n1 "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'n2'"; } # n1 primary
wait_until() { # seconds what command
  local deadline=$(($(date +%s) + $1))
  until eval "$3"; do
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out after $1 s waiting for $2 (files in $tmp)"
    sleep 0.05
  done
}
set_target() { # node: where the writer commits; a rename, so the writer never reads a half-written file
  echo "$1" >"$dir/target.tmp" && mv -f "$dir/target.tmp" "$dir/target"
}
writer() { # dir: commits ids 1, 2, ... to the node named in dir/target; "id time node" per acknowledged commit
  local d=$1 i=1 n
  while :; do
    n="$(cat "$d/target")"
    [ -n "$n" ] || continue # never empty since set_target renames, but a reader must not index with ""
    if PGPASSWORD="${dbpw[$n]}" PGCONNECT_TIMEOUT=1 psql -X -q -h 127.0.0.1 -p "${dbport[$n]}" -U "$dbuser" -d postgres \
        -c "INSERT INTO bench_w VALUES ($i)" >/dev/null 2>&1; then
      echo "$i $(now) $n" >>"$d/acked"; i=$((i + 1))
    elif [ "$(sql "$n" "SELECT 1 FROM bench_w WHERE id = $i")" = 1 ]; then
      # committed before the answer was lost: it counts as acknowledged (for losses) once it is seen, tagged "seen": a
      # row the killed primary committed can be seen on the standby at once, and is no commit there (not a gap end)
      echo "$i $(now) $n seen" >>"$d/acked"; i=$((i + 1))
    else
      sleep 0.02
    fi
  done
}
pgbench_script() {
  printf '%s\n' '\set n :n + 1' 'INSERT INTO bench_p (run, client, n) VALUES (:run, :client_id, :n);' >"$dir/insert.sql"
}
create_tables() { # node
  sql "$1" "CREATE TABLE IF NOT EXISTS bench_w (id int PRIMARY KEY);
    CREATE TABLE IF NOT EXISTS bench_p (run int, client int, n int, PRIMARY KEY (run, client, n))" >/dev/null \
    || die "creating the tables on $1 failed"
}
tps() { # node label run -> prints tps; pgbench output in dir/tps-label.out; its rows have run = run (< 0)
  local out="$dir/tps-$2.out"
  if PGPASSWORD="${dbpw[$1]}" pgbench -n -h 127.0.0.1 -p "${dbport[$1]}" -U "$dbuser" -c "$PGBENCH_CLIENTS" -j 2 -T "$TPS_S" \
      -f "$dir/insert.sql" -D n=0 -D "run=$3" postgres >"$out" 2>&1; then
    log "pgbench ($2): $(sed -n 's/^tps = //p' "$out"), load $(cut -d' ' -f1-3 /proc/loadavg)"
    sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$out"
  else
    log "pgbench ($2) failed: $(tail -3 "$out" | tr '\n' ' ')"
    echo null
  fi
}

# One failover per call: kill -9 of the primary's agent (agent_pid) and its postmaster, measure, restart.
# Globals: primary other; appends to gaps, lost_w, lost_p, acked_p. restart_fn NODE restarts a node's agent.
failover_once() { # run-number label restart_fn [early: restart the killed node at once, for strict synchronous mode]
  local i=$1 label=$2 restart=$3 early=${4:-} t0 first pm lw lp ap pgb_pid
  PGPASSWORD="${dbpw[$primary]}" pgbench -n -h 127.0.0.1 -p "${dbport[$primary]}" -U "$dbuser" -c "$PGBENCH_CLIENTS" -j 1 \
    -R "$PGBENCH_RATE" -T 3600 -f "$dir/insert.sql" -D n=0 -D "run=$i" -l --log-prefix="$dir/pgb-$i" postgres \
    >"$dir/pgbench-$i.out" 2>&1 &
  pgb_pid=$!; all_pids+=("$pgb_pid")
  local base; base="$(grep -c " $primary\$" "$dir/acked" || true)"
  wait_until 60 "commits on $primary" "[ \$(grep -c \" $primary\$\" '$dir/acked') -ge $((base + 10)) ]"
  sleep "$LOAD_S"
  pm="$(head -1 "${datadir[$primary]}/postmaster.pid")"
  t0="$(now)"
  kill -9 "${agent_pid[$primary]}" "$pm"
  set_target "$other"
  # Strict synchronous mode: the new primary commits only once a standby confirms, so with two
  # data nodes the first commit after a failover waits for the old primary to come back.
  [ -n "$early" ] && "$restart" "$primary"
  wait_until "$TIMEOUT_S" "a commit on $other" "awk -v t=$t0 'NF == 3 && \$3 == \"$other\" && \$2 > t { f = 1 } END { exit !f }' '$dir/acked'"
  first="$(awk -v t="$t0" 'NF == 3 && $3 == "'"$other"'" && $2 > t { print $2; exit }' "$dir/acked")"
  gaps+=("$(awk -v a="$first" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')")
  # pgbench ends by itself once every client lost its connection; its log is complete only then.
  wait_until 60 "pgbench of run $i to end" "! kill -0 $pgb_pid 2>/dev/null"
  wait "$pgb_pid" 2>/dev/null || true
  awk -v t="$t0" '$3 == "'"$primary"'" && $2 < t { print $1 }' "$dir/acked" | sort >"$dir/acked-before-$i"
  sql "$other" "SELECT id FROM bench_w" | sort >"$dir/present-$i"
  lw="$(comm -23 "$dir/acked-before-$i" "$dir/present-$i" | wc -l)"
  # pgbench -l: one line per acknowledged transaction, "client_id transaction_no ...": client c acknowledged n = 1..count.
  cat "$dir/pgb-$i".* 2>/dev/null | awk '{ c[$1]++ } END { for (k in c) print k, c[k] }' >"$dir/pgb-acked-$i"
  sql "$other" "SELECT client, n FROM bench_p WHERE run = $i" >"$dir/pgb-present-$i"
  ap="$(awk '{ s += $2 } END { print s + 0 }' "$dir/pgb-acked-$i")"
  lp="$(awk -F'[ |]' 'NR == FNR { have[$1 " " $2] = 1; next } { for (n = 1; n <= $2; n++) if (!((($1) " " n) in have)) lost++ } END { print lost + 0 }' \
    "$dir/pgb-present-$i" "$dir/pgb-acked-$i")"
  lost_w+=("$lw"); lost_p+=("$lp"); acked_p+=("$ap")
  log "$label failover $i: $primary -> $other, first commit after ${gaps[-1]} s; lost: writer $lw, pgbench $lp of $ap acknowledged"
  [ -n "$early" ] || "$restart" "$primary"
  wait_until "$TIMEOUT_S" "$primary streams from $other" "streaming $primary"
  local x=$primary; primary=$other; other=$x
}

report_failovers() { # label
  local gmin gmed gmax
  read -r gmin gmed gmax <<<"$(stats "${gaps[@]}")"
  printf '%-16s failovers %d: kill -9 -> first commit min %s s, median %s s, max %s s; lost (under pgbench %s tps): writer %s (%s), pgbench %s of %s acknowledged (%s)\n' \
    "$1" "${#gaps[@]}" "$gmin" "$gmed" "$gmax" "$PGBENCH_RATE" "$(sum "${lost_w[@]}")" "${lost_w[*]}" \
    "$(sum "${lost_p[@]}")" "$(sum "${acked_p[@]}")" "${lost_p[*]}" >>"$tmp/report"
  tail -1 "$tmp/report" >&2
  json+=("{\"system\":\"$1\",\"runs\":${#gaps[@]},\"gap_s\":{\"min\":$gmin,\"p50\":$gmed,\"max\":$gmax,\"all\":[$(IFS=,; echo "${gaps[*]}")]},\"lost_writer\":[$(IFS=,; echo "${lost_w[*]}")],\"lost_pgbench\":[$(IFS=,; echo "${lost_p[*]}")],\"acked_pgbench\":[$(IFS=,; echo "${acked_p[*]}")]}")
}

# ---------------------------------------------------------------- tandem
tandem_setup() { # mode (off|on)
  local mode=$1 base n token extra
  base="$(pick_base)"
  local -A listen=([n1]=$base [n2]=$((base + 10)) [n3]=$((base + 20)))
  local -A api=([n1]=$((base + 2)) [n2]=$((base + 12)) [n3]=$((base + 22)))
  dbport=([n1]=$((base + 5)) [n2]=$((base + 15)))
  datadir=([n1]="$dir/n1/pg" [n2]="$dir/n2/pg")
  for n in n1 n2 n3; do
    mkdir -p "$dir/$n"; chmod 755 "$dir/$n"
    extra=(); [ "$n" = n3 ] && extra=(--witness)
    tandem init --cluster bench --node "$n" --listen "127.0.0.1:${listen[$n]}" --api "127.0.0.1:${api[$n]}" "${extra[@]}" \
      -c "$dir/$n/tandem.yaml" >"$dir/$n/init.out" 2>&1 || die "init $n failed: $(cat "$dir/$n/init.out")"
    if [ "$n" != n3 ]; then
      cat >>"$dir/$n/tandem.yaml" <<YAML

groups:
  db:
    nodes: { n1: primary, n2: active }
    resources:
      - postgres:
          data: ${datadir[$n]}
          port: ${dbport[$n]}
          bin: $PG_BIN
          synchronous: $mode
YAML
    fi
  done
  tandem_start n1
  wait_until 60 "n1 answers" "curl -sf -m 1 http://127.0.0.1:${api[n1]}/health >/dev/null"
  for n in n2 n3; do
    token="$(tandem invite -c "$dir/n1/tandem.yaml" | sed -n 's/^token:[[:space:]]*//p')"
    tandem join "127.0.0.1:${listen[n1]}" --token "$token" -c "$dir/$n/tandem.yaml" >"$dir/$n/join.out" 2>&1 \
      || die "join $n failed: $(cat "$dir/$n/join.out")"
    log "$n joined"
    tandem_start "$n"
  done
  dbuser=tandem_admin
  wait_until "$TIMEOUT_S" "n1's secrets" "[ -s '$dir/n1/data/postgres/db-0.secrets' ]"
  dbpw[n1]="$(sed -n 's/^admin=//p' "$dir/n1/data/postgres/db-0.secrets")"; dbpw[n2]="${dbpw[n1]}"
  wait_until "$TIMEOUT_S" "n1 primary, n2 streaming" "is_primary n1 && streaming n2"
  # A joined node's first start can take a while on a busy machine; measure once all three answer.
  wait_until "$TIMEOUT_S" "n2 and n3 answer" "curl -sf -m 1 http://127.0.0.1:${api[n2]}/health >/dev/null && curl -sf -m 1 http://127.0.0.1:${api[n3]}/health >/dev/null"
  sleep "${SETTLE_S:-5}"
  wait_until "$TIMEOUT_S" "n1 primary, n2 streaming" "is_primary n1 && streaming n2"
  log "tandem (synchronous: $mode): n1 primary, n2 streaming, n2 and n3 answer; n3 joined at $(stat -c %y "$dir/n3/join.out" | cut -c12-23)"
}
tandem_start() { # node
  "$java" "${jvm_quiet[@]}" "${TANDEM_AGENT_JVM[@]}" -jar "$jar" run -c "$dir/$1/tandem.yaml" >>"$dir/$1/agent.log" 2>&1 &
  agent_pid[$1]=$!; all_pids+=("$!"); disown "$!" # killed on purpose: no "Killed" notice
}
tandem_stop_all() {
  local n p f
  for n in n1 n2 n3; do kill -9 "${agent_pid[$n]}" 2>/dev/null || true; done
  for f in "$dir"/n?/pg/postmaster.pid; do [ -s "$f" ] && kill -9 "$(head -1 "$f")" 2>/dev/null || true; done
  for p in $(pgrep -f "$dir/" 2>/dev/null || true); do kill -9 "$p" 2>/dev/null || true; done
}
tandem_evidence() { # why: events and logs of every node into dir/evidence-*
  local e="$dir/evidence-$(date +%H%M%S)" n
  mkdir -p "$e"; echo "$1" >"$e/why"
  for n in n1 n2 n3; do
    tandem events -c "$dir/$n/tandem.yaml" >"$e/events-$n.txt" 2>&1 || true
    tandem status -c "$dir/$n/tandem.yaml" >"$e/status-$n.txt" 2>&1 || true
    cp "$dir/$n/agent.log" "$e/agent-$n.log" 2>/dev/null || true
  done
  for n in n1 n2; do cp "${datadir[$n]}.tandem"/*.log "$e/" 2>/dev/null || cp -r "${datadir[$n]}.tandem" "$e/pg-$n.tandem" 2>/dev/null || true; done
  log "evidence saved in $e"
}

phase_tandem() { # async: throughput, then RUNS failovers
  dir="$tmp/tandem/async"; mkdir -p "$dir"; chmod 755 "$tmp/tandem" "$dir"
  tandem_setup off
  create_tables n1; pgbench_script
  tps_tandem_off="$(tps n1 tandem-off -1)"
  if [ "$tps_tandem_off" = null ]; then
    tandem_evidence "pgbench failed on tandem n1, synchronous: off"
    log "retrying the asynchronous measurement once"
    wait_until "$TIMEOUT_S" "n1 primary, n2 streaming" "is_primary n1 && streaming n2"
    tps_tandem_off="$(tps n1 tandem-off-retry -2)"
  fi
  log "tandem synchronous: off: $tps_tandem_off tps"
  set_target n1; : >"$dir/acked"
  writer "$dir" & writer_pid=$!; all_pids+=("$writer_pid")
  primary=n1 other=n2 gaps=() lost_w=() lost_p=() acked_p=()
  for i in $(seq 1 "$RUNS"); do failover_once "$i" tandem tandem_start; done
  kill "$writer_pid" 2>/dev/null || true; wait "$writer_pid" 2>/dev/null || true; writer_pid=""
  report_failovers tandem
  tandem_stop_all
}
phase_tandem_sync() { # synchronous: on: throughput with both nodes up, then RUNS failovers
  dir="$tmp/tandem/sync"; mkdir -p "$dir"; chmod 755 "$tmp/tandem" "$dir"
  tandem_setup on
  wait_until 60 "n2 synchronous" '[ -n "$(sync_state)" ] && [ "$(sync_state)" != async ]'
  log "tandem synchronous: on: n2 is $(sync_state); synchronous_standby_names = $(sql n1 'SHOW synchronous_standby_names')"
  create_tables n1; pgbench_script
  tps_tandem_on="$(tps n1 tandem-on -1)"
  if [ "$tps_tandem_on" = null ]; then
    tandem_evidence "pgbench failed on tandem n1, synchronous: on"
    log "retrying the synchronous measurement once"
    wait_until "$TIMEOUT_S" "n1 primary, n2 streaming" "is_primary n1 && streaming n2"
    tps_tandem_on="$(tps n1 tandem-on-retry -2)"
  fi
  log "tandem synchronous: on: $tps_tandem_on tps"
  # Failovers with synchronous: on (strict): no acknowledged commit may be lost. The killed node
  # is restarted at once, since the new primary's commits wait for a synchronous standby.
  set_target n1; : >"$dir/acked"
  writer "$dir" & writer_pid=$!; all_pids+=("$writer_pid")
  primary=n1 other=n2 gaps=() lost_w=() lost_p=() acked_p=()
  for i in $(seq 1 "$RUNS"); do failover_once "$i" tandem-sync tandem_start early; done
  kill "$writer_pid" 2>/dev/null || true; wait "$writer_pid" 2>/dev/null || true; writer_pid=""
  report_failovers tandem-sync
  tandem_stop_all
}

# ---------------------------------------------------------------- Patroni + etcd
patroni_setup() {
  local base n
  base="$(pick_base)"
  local etcd_client=$((base + 20)) etcd_peer=$((base + 21))
  local -A rest=([n1]=$((base + 2)) [n2]=$((base + 12)))
  dbport=([n1]=$((base + 5)) [n2]=$((base + 15)))
  datadir=([n1]="$dir/n1/pg" [n2]="$dir/n2/pg")
  patroni_rest="127.0.0.1:${rest[n1]}"
  declare -gA patroni_rest_of=([n1]="127.0.0.1:${rest[n1]}" [n2]="127.0.0.1:${rest[n2]}")
  mkdir -p "$dir/etcd"
  etcd --name e1 --data-dir "$dir/etcd/data" --listen-client-urls "http://127.0.0.1:$etcd_client" \
    --advertise-client-urls "http://127.0.0.1:$etcd_client" --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" --initial-cluster "e1=http://127.0.0.1:$etcd_peer" \
    --initial-cluster-state new >"$dir/etcd/etcd.log" 2>&1 &
  all_pids+=("$!")
  wait_until 60 "etcd answers" "curl -sf -m 1 http://127.0.0.1:$etcd_client/health >/dev/null"
  for n in n1 n2; do
    mkdir -p "$dir/$n"; chown postgres: "$dir/$n"; chmod 755 "$dir/$n"
    cat >"$dir/$n/patroni.yml" <<YAML
scope: bench
namespace: /service/
name: $n
restapi:
  listen: ${patroni_rest_of[$n]}
  connect_address: ${patroni_rest_of[$n]}
etcd3:
  hosts: 127.0.0.1:$etcd_client
bootstrap:
  dcs:
    postgresql:
      use_pg_rewind: true
  initdb: [ { encoding: UTF8 }, data-checksums ]
  pg_hba:
    - host replication replicator 127.0.0.1/32 md5
    - host all all 127.0.0.1/32 md5
postgresql:
  listen: 127.0.0.1:${dbport[$n]}
  connect_address: 127.0.0.1:${dbport[$n]}
  data_dir: ${datadir[$n]}
  bin_dir: $PG_BIN
  pgpass: $dir/$n/pgpass
  authentication:
    replication: { username: replicator, password: rep-pw }
    superuser: { username: postgres, password: su-pw }
  parameters:
    unix_socket_directories: $dir/$n
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
YAML
    chown postgres: "$dir/$n/patroni.yml"
  done
  dbuser=postgres; dbpw=([n1]=su-pw [n2]=su-pw)
  patroni_start n1
  wait_until "$TIMEOUT_S" "n1 primary" "is_primary n1"
  patroni_start n2
  wait_until "$TIMEOUT_S" "n2 streaming" "streaming n2"
  log "Patroni: n1 primary, n2 streaming; $(curl -s "http://$patroni_rest/config")"
}
patroni_start() { # node
  setpriv --reuid=postgres --regid=postgres --init-groups patroni "$dir/$1/patroni.yml" >>"$dir/$1/patroni.log" 2>&1 &
  agent_pid[$1]=$!; all_pids+=("$!"); disown "$!" # killed on purpose: no "Killed" notice
}
patroni_config() { # json: PATCH the dynamic configuration through a live node
  local n
  for n in n1 n2; do
    curl -sf -m 5 -XPATCH -d "$1" "http://${patroni_rest_of[$n]}/config" >/dev/null && return 0
  done
  die "PATCH /config $1 failed"
}
phase_patroni() {
  dir="$tmp/patroni"; mkdir -p "$dir"; chmod 755 "$dir"
  patroni_setup
  create_tables n1; pgbench_script
  tps_patroni_off="$(tps n1 patroni-off -1)"
  log "Patroni synchronous_mode false: $tps_patroni_off tps"
  patroni_config '{"synchronous_mode": true}'
  wait_until 60 "n2 synchronous" '[ "$(sync_state)" = sync ]'
  log "Patroni synchronous_mode true: synchronous_standby_names = $(sql n1 'SHOW synchronous_standby_names')"
  tps_patroni_on="$(tps n1 patroni-on -2)"
  log "Patroni synchronous_mode true: $tps_patroni_on tps"
  patroni_config '{"synchronous_mode": false}'
  wait_until 60 "n2 asynchronous" '[ "$(sync_state)" = async ]'
  set_target n1; : >"$dir/acked"
  writer "$dir" & writer_pid=$!; all_pids+=("$writer_pid")
  primary=n1 other=n2 gaps=() lost_w=() lost_p=() acked_p=()
  for i in $(seq 1 "$RUNS"); do failover_once "$i" "Patroni default" patroni_start; done
  report_failovers patroni-default
  patroni_config '{"ttl": 20, "loop_wait": 1, "retry_timeout": 3}'
  sleep 12 # both nodes read the new values at their next loop (the old loop_wait is 10 s)
  log "Patroni tuned: $(curl -s "http://$patroni_rest/config")"
  gaps=() lost_w=() lost_p=() acked_p=()
  for i in $(seq $((RUNS + 1)) $((2 * RUNS))); do failover_once "$i" "Patroni tuned" patroni_start; done
  kill "$writer_pid" 2>/dev/null || true; wait "$writer_pid" 2>/dev/null || true; writer_pid=""
  report_failovers patroni-tuned
  for n in n1 n2; do kill -9 "${agent_pid[$n]}" 2>/dev/null || true; done
}

started="$(date -u +%FT%TZ)"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
log "tandem $(git -C "$repo" rev-parse --short HEAD), temp dir $tmp, jar built $jar_built, PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }'), load $load_start, $(nproc) cores"
json=()
tps_tandem_off=null tps_tandem_on=null tps_patroni_off=null tps_patroni_on=null
: >"$tmp/report"
for ph in $PHASES; do
  case "$ph" in
    tandem) phase_tandem ;;
    tandem-sync) phase_tandem_sync ;;
    patroni) phase_patroni ;;
    *) die "unknown phase $ph" ;;
  esac
done
cost() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null" || a == 0) print "null"; else printf "%.1f", (1 - b / a) * 100 }'; }
echo
echo "PostgreSQL failover, tandem vs Patroni + etcd ($(nproc) cores, load $load_start -> $(cut -d' ' -f1-3 /proc/loadavg))"
cat "$tmp/report"
printf 'throughput (pgbench, %d clients, %d s, INSERT per transaction): tandem off %s / on %s tps (cost %s %%); Patroni off %s / on %s tps (cost %s %%)\n' \
  "$PGBENCH_CLIENTS" "$TPS_S" "$tps_tandem_off" "$tps_tandem_on" "$(cost "$tps_tandem_off" "$tps_tandem_on")" \
  "$tps_patroni_off" "$tps_patroni_on" "$(cost "$tps_patroni_off" "$tps_patroni_on")"
echo "BENCH_JSON {\"bench\":\"postgres\",\"date\":\"$started\",\"nproc\":$(nproc),\"load_start\":\"$load_start\",\"load_end\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"pgbench_rate\":$PGBENCH_RATE,\"failover\":[$(IFS=,; echo "${json[*]}")],\"tps\":{\"tandem_off\":$tps_tandem_off,\"tandem_on\":$tps_tandem_on,\"tandem_cost_pct\":$(cost "$tps_tandem_off" "$tps_tandem_on"),\"patroni_off\":$tps_patroni_off,\"patroni_on\":$tps_patroni_on,\"patroni_cost_pct\":$(cost "$tps_patroni_off" "$tps_patroni_on")}}"

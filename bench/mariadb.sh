#!/usr/bin/env bash
# MariaDB failover benchmark (issue 7): tandem on 127.0.0.1, then the seeds' recipe (keepalived +
# a promotion script, in network namespaces; bench/lib/mariadb-keepalived.sh says how), measured
# the same way, side by side in one run. PHASES ("tandem keepalived") picks them.
#
# tandem:
# Two data nodes (n1, n2) with a `mariadb` resource each and a witness (n3), set up with
# `tandem init`/`invite`/`join`/`run` as a user would, in a temp dir; once per mode in MODES
# ("off on": async, then semi-sync). A writer loop commits numbered rows (one `mariadb` client per
# INSERT, as an ordinary account that read_only binds) to the node it is told is primary and
# records each acknowledged id. Then RUNS times:
# t0 = date +%s.%N just before `kill -9` of the primary's agent and of its mariadbd; the writer is
# pointed at the other node at once; the gap is the time of its first acknowledged commit there
# minus t0. Rows lost = ids acknowledged by the old primary that the new primary does not have.
# The killed node is restarted and must replicate from the new primary before the next kill.
# ENGINE=mysql runs the tandem phase with `mysql` resources on MySQL (dev/mysql.sh installs it in
# /opt/tandem-mysql; MYSQL_BIN overrides) instead of MariaDB; the keepalived recipe is MariaDB's only.
# Environment: RUNS (5), ENGINE (mariadb), PHASES ("tandem keepalived"; "tandem" with ENGINE=mysql), MODES ("off on"), SEMI_SYNC (5s), SKIP_BUILD=1,
# KEEP_DIR=1, TIMEOUT_S (120); for keepalived KA_NET (10.217.0), KA_PARTITION_S (8; 0 skips the
# partition), KA_HEAL_S (5). The keepalived phase needs root, keepalived, nftables and iproute2.
# Output: a human report, tandem beside keepalived with the ratio, and one line starting with "BENCH_JSON ".
set -euo pipefail
RUNS="${RUNS:-5}"
ENGINE="${ENGINE:-mariadb}"
MYSQL_BIN="${MYSQL_BIN:-/opt/tandem-mysql/bin}"
if [ "$ENGINE" = mysql ]; then PHASES="${PHASES:-tandem}"; else PHASES="${PHASES:-tandem keepalived}"; fi
MODES="${MODES:-off on}"
TIMEOUT_S="${TIMEOUT_S:-120}"
# Semi-sync as configured in the "on" mode. Strict (on) blocks every commit on a promoted node of a
# two-node group until the killed node is back as a replica: 5s falls back to async after 5 s, and says so.
SEMI_SYNC="${SEMI_SYNC:-5s}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$repo/cli/target/tandem.jar"
source "$repo/dev/find-jdk.sh"
java="$TANDEM_JDK/bin/java"
source "$repo/dev/jvm-opts.sh"
jvm_quiet=(--enable-native-access=ALL-UNNAMED)
[ "${TANDEM_JDK_VERSION%%.*}" -ge 24 ] 2>/dev/null && jvm_quiet+=(--sun-misc-unsafe-memory-access=allow)
if [ "$ENGINE" = mysql ]; then
  [ -x "$MYSQL_BIN/mysqld" ] && command -v jq >/dev/null \
    || { echo "mariadb.sh: ENGINE=mysql needs MySQL in $MYSQL_BIN (bash dev/mysql.sh) and jq" >&2; exit 2; }
  # The app's and tandem_admin's first logins over plain TCP need the server's RSA key (caching_sha2_password).
  client=("$MYSQL_BIN/mysql" --no-defaults --ssl-mode=DISABLED --get-server-public-key)
  replica_status="SHOW REPLICA STATUS"; io_col=Replica_IO_Running; sql_col=Replica_SQL_Running
  semi_status=Rpl_semi_sync_source_status
else
  command -v mariadb >/dev/null && [ -x /usr/sbin/mariadbd ] && command -v mariadb-backup >/dev/null && command -v jq >/dev/null \
    || { echo "mariadb.sh: needs mariadb-server, mariadb-backup and jq (apt-get install -y mariadb-server mariadb-backup jq)" >&2; exit 2; }
  client=(mariadb --no-defaults)
  replica_status="SHOW SLAVE STATUS"; io_col=Slave_IO_Running; sql_col=Slave_SQL_Running
  semi_status=Rpl_semi_sync_master_status
fi

tmp="$(mktemp -d /tmp/tandem-bench-mariadb.XXXXXX)"
chmod 755 "$tmp" # mariadbd runs as the mysql user and must reach its data dir
all_pids=()
writer_pid=""
source "$repo/bench/lib/netns.sh"
source "$repo/bench/lib/mariadb-keepalived.sh"
cleanup() {
  local rc=$? p f
  trap - EXIT INT TERM
  exec 3>&2 2>/dev/null
  [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null || true
  [ "$ka_up" = 1 ] && netns_down n1 n2 cl
  for p in "${all_pids[@]}"; do
    if [ -r "/proc/$p/cmdline" ] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -q -- "$tmp"; then kill -9 "$p" 2>/dev/null || true; fi
  done
  # The watchdogs (their command lines name the agent's data dir) and the servers the agents started.
  for p in $(pgrep -f "$tmp" 2>/dev/null || true); do kill -9 "$p" 2>/dev/null || true; done
  for f in "$tmp"/*/n?/mysql.tandem/mariadbd.pid; do
    [ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
  done
  exec 2>&3 3>&-
  if [ "${KEEP_DIR:-0}" = 1 ] || [ "$rc" -ne 0 ]; then echo "mariadb.sh: exit $rc; files kept in $tmp" >&2; else rm -rf "$tmp"; fi
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
tandem() { "$java" "${jvm_quiet[@]}" "${TANDEM_CLI_JVM[@]}" -jar "$jar" "$@"; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_base() {
  local b i ok
  for _ in $(seq 1 50); do
    b=$((20000 + (RANDOM % 1200) * 10)); ok=1
    for i in 0 1 2 5 10 11 12 15 20 21 22; do port_free $((b + i)) || { ok=0; break; }; done
    [ "$ok" = 1 ] && { echo "$b"; return; }
  done
  die "no free port range found"
}

stats() { # values... -> "min p50 max"
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { n = NR; med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    printf "%.3f %.3f %.3f", v[1], med, v[n] }'
}

declare -A agent_pid=() listen=() api=() dbport=()
run_mode() { # mode (off|on) -> appends to results
  local mode=$1 dir="$tmp/$1" base n token
  base="$(pick_base)"
  listen=([n1]=$base [n2]=$((base + 10)) [n3]=$((base + 20)))
  api=([n1]=$((base + 2)) [n2]=$((base + 12)) [n3]=$((base + 22)))
  dbport=([n1]=$((base + 5)) [n2]=$((base + 15)))
  mkdir -p "$dir"; chmod 755 "$dir"
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
      - $ENGINE:
          data: $dir/$n/mysql
          port: ${dbport[$n]}$([ "$ENGINE" = mysql ] && printf '\n          bin: %s' "$MYSQL_BIN")
          semi-sync: $([ "$mode" = on ] && echo "$SEMI_SYNC" || echo off)
          parameters: { innodb-buffer-pool-size: 64M }
YAML
    fi
  done
  start() { "$java" "${jvm_quiet[@]}" "${TANDEM_AGENT_JVM[@]}" -jar "$jar" run -c "$dir/$1/tandem.yaml" >>"$dir/$1/agent.log" 2>&1 &
    agent_pid[$1]=$!; all_pids+=("$!"); }
  start n1
  wait_until 60 "n1 answers" "curl -sf -m 1 http://127.0.0.1:${api[n1]}/health >/dev/null"
  for n in n2 n3; do
    token="$(tandem invite -c "$dir/n1/tandem.yaml" | sed -n 's/^token:[[:space:]]*//p')"
    tandem join "127.0.0.1:${listen[n1]}" --token "$token" -c "$dir/$n/tandem.yaml" >"$dir/$n/join.out" 2>&1 || die "join $n failed"
    start "$n"
  done
  wait_until "$TIMEOUT_S" "n1 primary, n2 replicating" "sql n1 'SELECT 1' >/dev/null && replicating n2"
  # The first kill hit a cluster still forming once (the witness started 1 s after it, refused n2 as
  # "not a member", and no commit followed in 120 s): the three must be voters with a leader first.
  wait_until "$TIMEOUT_S" "three Raft voters and a leader, seen from n3" complete
  # The app's own account: tandem_admin may write past read_only, an app must not.
  sql n1 "CREATE DATABASE IF NOT EXISTS bench; CREATE TABLE IF NOT EXISTS bench.t (id int PRIMARY KEY);
    CREATE USER IF NOT EXISTS 'app'@'127.0.0.1' IDENTIFIED BY 'app-pw'; GRANT SELECT, INSERT ON bench.* TO 'app'@'127.0.0.1'"
  point n1; : >"$dir/acked"
  writer "$dir" & writer_pid=$!
  local primary=n1 other=n2 i t0 first lost gaps=() losts=() pid
  for i in $(seq 1 "$RUNS"); do
    wait_until 30 "commits on $primary" "[ \$(grep -c \" $primary\$\" '$dir/acked') -ge $((i * 20)) ]"
    # Semi-sync: the kill comes once commits wait for the replica again (after a failover the new primary falls back
    # at once, the old one returns as its replica, and tandem turns semi-sync on again at its next check, ~1 s later).
    [ "$mode" = off ] || wait_until "$TIMEOUT_S" "semi-sync on at $primary" \
      "[ \"\$(sql $primary \"SHOW STATUS LIKE '$semi_status'\" | cut -f2)\" = ON ]"
    pid="$(cat "$dir/$primary/mysql.tandem/mariadbd.pid")"
    t0="$(now)"
    kill -9 "${agent_pid[$primary]}" "$pid"
    point "$other"
    wait_until "$TIMEOUT_S" "a commit on $other" "awk -v t=$t0 'NF == 3 && \$3 == \"$other\" && \$2 > t { f = 1 } END { exit !f }' '$dir/acked'"
    first="$(awk -v t="$t0" 'NF == 3 && $3 == "'"$other"'" && $2 > t { print $2; exit }' "$dir/acked")"
    gaps+=("$(awk -v a="$first" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')")
    awk -v t="$t0" '$3 == "'"$primary"'" && $2 < t { print $1 }' "$dir/acked" | sort >"$dir/acked-before"
    sql "$other" "SELECT id FROM bench.t" | sort >"$dir/present"
    lost="$(comm -23 "$dir/acked-before" "$dir/present" | wc -l)"
    losts+=("$lost")
    log "semi-sync $mode, failover $i: $primary -> $other, first commit after ${gaps[-1]} s, acknowledged rows lost: $lost"
    start "$primary"
    wait_until "$TIMEOUT_S" "$primary replicates from $other" "replicating $primary"
    local x=$primary; primary=$other; other=$x
  done
  kill "$writer_pid" 2>/dev/null || true; wait "$writer_pid" 2>/dev/null || true; writer_pid=""
  for n in n1 n2 n3; do kill -9 "${agent_pid[$n]}" 2>/dev/null || true; done
  for f in "$dir"/n?/mysql.tandem/mariadbd.pid; do [ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
  for p in $(pgrep -f "$dir" 2>/dev/null || true); do kill -9 "$p" 2>/dev/null || true; done
  read -r gmin gmed gmax <<<"$(stats "${gaps[@]}")"
  local lsum=0; for l in "${losts[@]}"; do lsum=$((lsum + l)); done
  tandem_p50[$mode]=$gmed
  printf '%-9s failovers %d: kill -9 -> first commit min %s s, median %s s, max %s s; acknowledged rows lost: %s in total (%s)\n' \
    "$([ "$mode" = off ] && echo async || echo semi-sync)" "$RUNS" "$gmin" "$gmed" "$gmax" "$lsum" "${losts[*]}"
  json+=("{\"mode\":\"$([ "$mode" = off ] && echo async || echo semi-sync)\",\"runs\":$RUNS,\"gap_s\":{\"min\":$gmin,\"p50\":$gmed,\"max\":$gmax},\"rows_lost\":[$(IFS=,; echo "${losts[*]}")]}")
}

sql() { # node statement -> rows (tab-separated, no header)
  local n=$1 pw
  pw="$(sed -n 's/^admin=//p' "$dir/$n/data/$ENGINE/db-0.secrets" 2>/dev/null)"
  MYSQL_PWD="$pw" "${client[@]}" -h 127.0.0.1 -P "${dbport[$n]}" -u tandem_admin --connect-timeout=2 -N -B -e "$2" 2>/dev/null
}
replicating() { # both replication threads run (columns by name: MariaDB and MySQL order them differently)
  local pw; pw="$(sed -n 's/^admin=//p' "$dir/$1/data/$ENGINE/db-0.secrets" 2>/dev/null)"
  [ "$(MYSQL_PWD="$pw" "${client[@]}" -h 127.0.0.1 -P "${dbport[$1]}" -u tandem_admin --connect-timeout=2 -E -e "$replica_status" 2>/dev/null \
    | awk -v io="$io_col:" -v sq="$sql_col:" '$1 == io { a = $2 } $1 == sq { b = $2 } END { print a "/" b }')" = "Yes/Yes" ]
}
complete() { # n3's status lists three Raft voters and a leader
  local s; s="$(tandem status --json -c "$dir/n3/tandem.yaml" 2>/dev/null)" || return 1
  [ "$(jq -r '[.nodes[] | select(.voter)] | length' <<<"$s" 2>/dev/null)" = 3 ] && [ -n "$(jq -r '.leader // empty' <<<"$s" 2>/dev/null)" ]
}
wait_until() { # seconds what command
  local deadline=$(($(date +%s) + $1))
  until eval "$3"; do
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out after $1 s waiting for $2 (files in $tmp)"
    sleep 0.05
  done
}
point() { # node: the writer's target, replaced whole (a writer that read it half-written died on an empty array subscript)
  echo "$1" >"$dir/target.tmp" && mv -f "$dir/target.tmp" "$dir/target"
}
writer() { # dir: commits ids 1, 2, ... as the app to the node named in dir/target; "id time node" per acknowledged commit
  local d=$1 i=1 n
  while :; do
    n="$(cat "$d/target")"
    if MYSQL_PWD=app-pw "${client[@]}" -h 127.0.0.1 -P "${dbport[$n]}" -u app --connect-timeout=1 \
        -e "INSERT INTO bench.t VALUES ($i)" 2>/dev/null; then
      echo "$i $(now) $n" >>"$d/acked"; i=$((i + 1))
    elif MYSQL_PWD=app-pw "${client[@]}" -h 127.0.0.1 -P "${dbport[$n]}" -u app --connect-timeout=1 -N -B \
        -e "SELECT 1 FROM bench.t WHERE id = $i" 2>/dev/null | grep -q 1; then
      # committed before the answer was lost: it counts as acknowledged (for losses) once it is seen, tagged "seen": a
      # row the killed primary committed can be seen on the standby at once, and is no commit there (not a gap end)
      echo "$i $(now) $n seen" >>"$d/acked"; i=$((i + 1))
    else
      sleep 0.02
    fi
  done
}

log "temp dir $tmp, jar $jar, load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, phases: $PHASES"
started="$(date -u +%FT%TZ)"
load0="$(cut -d' ' -f1-3 /proc/loadavg)"
json=()
declare -A tandem_p50=()
ka_json=null; ka_line=""; ka_p50=""; ka_part_line=""
for phase in $PHASES; do
  case "$phase" in
    tandem) for m in $MODES; do dir="$tmp/$m"; run_mode "$m"; done ;;
    keepalived) run_keepalived ;;
    *) die "unknown phase '$phase' (tandem, keepalived)" ;;
  esac
done
[ -z "$ka_line" ] || printf '%-9s %s\n%-9s %s\n' keepalived "$ka_line" "" "$ka_part_line"
ratio=null
if [ -n "${tandem_p50[off]:-}" ] && [ -n "$ka_p50" ]; then
  ratio="$(awk -v a="${tandem_p50[off]}" -v b="$ka_p50" 'BEGIN { printf "%.2f", a / b }')"
  printf 'tandem async / keepalived median gap: %sx (%s s vs %s s)\n' "$ratio" "${tandem_p50[off]}" "$ka_p50"
fi
echo "BENCH_JSON {\"bench\":\"mariadb\",\"engine\":\"$ENGINE\",\"date\":\"$started\",\"nproc\":$(nproc),\"load_start\":\"$load0\",\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"phases\":\"$PHASES\",\"modes\":[$(IFS=,; echo "${json[*]}")],\"keepalived\":$ka_json,\"ratio_median_tandem_async_to_keepalived\":$ratio}"

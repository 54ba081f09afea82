#!/usr/bin/env bash
# Failover and idle-footprint benchmark of tandem on 127.0.0.1 (issue 2).
#
# Sets up two data nodes (n1, n2) and a witness (n3) in a temp dir, with one group `web` whose
# `service` resource only appends "start <node> <time> <epoch>" / "stop ..." lines to a shared log.
# Then:
#   1. start-to-ready of each agent (launch of `tandem run` -> /health 200 and a Raft leader in
#      its /api/v1/status);
#   2. after IDLE_S (60 s) idle, RSS (VmRSS) and CPU% over CPU_WINDOW_S (30 s) of every agent and
#      of its fencing watchdog;
#   3. RUNS (20) failovers: t0 = date +%s.%N just before `kill -9` of the primary's agent; the gap
#      is the time of the next "start <other node>" line minus t0. The killed node is restarted
#      (its start-to-ready is recorded too) and must be back in the status before the next kill.
# Every line of the shared log is checked: a "start" of one node while the other has started and
# not stopped is a safety violation (two primaries); the script reports it and exits 3.
#
# Then WITNESS_RESTARTS (3) graceful restarts of the witness (SIGTERM, start again): no failover
# is due, so any stop/start of the service meanwhile is counted as a false positive.
# Environment: RUNS (20), WITNESS_RESTARTS (3), IDLE_S (60), CPU_WINDOW_S (30), PORT_BASE (random free in 20000-39000),
# FAILOVER_TIMEOUT_S (30), READY_TIMEOUT_S (60), SKIP_BUILD=1 (use the jar as is),
# BENCH_OUT=file (append the machine-readable JSON line there), KEEP_DIR=1 (keep the temp dir), TANDEM_JAVA_OPTS
# (extra agent JVM options), LEASE, RENEW, MARGIN (the failover: section; tandem's defaults 2s, 400ms, 300ms when
# LEASE is unset), NMT=1 (print each agent's native memory summary after the idle window; needs
# TANDEM_JAVA_OPTS=-XX:NativeMemoryTracking=summary).
# Output: a human report on stdout and one line starting with "BENCH_JSON " (JSON).
set -euo pipefail
# The lease in seconds (LEASE as tandem.yaml writes it: 2s, 1500ms, 1m).
lease_s="$(awk -v d="${LEASE:-2s}" 'BEGIN { n = d + 0; u = d; sub(/^[0-9.]+/, "", u)
  print (u == "ms" ? n / 1000 : (u == "m" ? n * 60 : n)) }')"

RUNS="${RUNS:-20}"
IDLE_S="${IDLE_S:-60}"
CPU_WINDOW_S="${CPU_WINDOW_S:-30}"
FAILOVER_TIMEOUT_S="${FAILOVER_TIMEOUT_S:-30}"
READY_TIMEOUT_S="${READY_TIMEOUT_S:-60}"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$repo/cli/target/tandem.jar"
# shellcheck source=../dev/find-jdk.sh
source "$repo/dev/find-jdk.sh"
java="$TANDEM_JDK/bin/java"
# The same JVM options as the ./tandem launcher (dev/jvm-opts.sh; it also sets MALLOC_ARENA_MAX).
source "$repo/dev/jvm-opts.sh"
jvm_quiet=(--enable-native-access=ALL-UNNAMED)
[ "${TANDEM_JDK_VERSION%%.*}" -ge 24 ] 2>/dev/null && jvm_quiet+=(--sun-misc-unsafe-memory-access=allow)

# ---------------------------------------------------------------------------------------------
# Processes we started (agents by node, watchdogs they spawned) and the cleanup trap.
declare -A agent_pid=()        # node -> pid of its current `tandem run` JVM
declare -A wd_pid=()           # node -> pid of its current watchdog
watchdog_pids=()               # every watchdog pid seen (they outlive a killed agent on purpose)
all_agent_pids=()              # every agent pid ever started
tmp="$(mktemp -d /tmp/tandem-bench-failover.XXXXXX)"

is_ours() { # pid pattern: true when pid is alive and its command line contains pattern (guards pid reuse)
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  exec 3>&2 2>/dev/null # no "Killed" job notices for the agents killed here
  for p in "${all_agent_pids[@]}"; do
    if is_ours "$p" "$tmp"; then kill -9 "$p" 2>/dev/null || true; fi
  done
  for p in "${watchdog_pids[@]}"; do
    if is_ours "$p" WatchdogMain; then kill -9 "$p" 2>/dev/null || true; fi
  done
  for p in "${all_agent_pids[@]}"; do wait "$p" || true; done
  exec 2>&3 3>&-
  if [ "${KEEP_DIR:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
    [ "$rc" -ne 0 ] && [ -d "$tmp" ] && echo "failover.sh: exit $rc; logs kept in $tmp" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
now() { date +%s.%N; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# ---------------------------------------------------------------------------------------------
# Build (package only; never `mvn install`).
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  if [ ! -f "$jar" ] || [ -n "$(find "$repo" -path "$repo/*/src/main/*" -newer "$jar" -print -quit 2>/dev/null)" ] \
     || [ -n "$(find "$repo" -maxdepth 2 -name pom.xml -newer "$jar" -print -quit)" ]; then
    log "building $jar"
    (cd "$repo" && JAVA_HOME="$TANDEM_JDK" mvn -q -B -o -DskipTests package >&2) \
      || (cd "$repo" && JAVA_HOME="$TANDEM_JDK" mvn -q -B -DskipTests package >&2)
  fi
fi
[ -f "$jar" ] || die "no $jar"
# The agent's AOT cache on JDK 25+, as the launcher uses it (trained here when missing or stale).
read -r -a aot_opts <<<"$(tandem_agent_aot "$jar")"
agent_jvm=("${jvm_quiet[@]}" "${aot_opts[@]}" "${TANDEM_AGENT_JVM[@]}")
# Extra options, as the launcher takes them (e.g. -XX:NativeMemoryTracking=summary with NMT=1 below).
# shellcheck disable=SC2206
[ -n "${TANDEM_JAVA_OPTS:-}" ] && agent_jvm+=(${TANDEM_JAVA_OPTS})

# ---------------------------------------------------------------------------------------------
# Ports: node i uses listen base+10i, raft base+10i+1, api base+10i+2.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_base() {
  local b i ok
  for _ in $(seq 1 50); do
    b=$((20000 + (RANDOM % 1200) * 10)) # below the ephemeral range (32768+)
    ok=1
    for i in 0 1 2 10 11 12 20 21 22; do port_free $((b + i)) || { ok=0; break; }; done
    [ "$ok" = 1 ] && { echo "$b"; return; }
  done
  die "no free port range found"
}
base="${PORT_BASE:-$(pick_base)}"
nodes=(n1 n2 n3)
declare -A listen=([n1]=$((base)) [n2]=$((base + 10)) [n3]=$((base + 20)))
declare -A api=([n1]=$((base + 2)) [n2]=$((base + 12)) [n3]=$((base + 22)))
svc_log="$tmp/service.log"
: >"$svc_log"
cfg() { echo "$tmp/$1/tandem.yaml"; }

tandem() { "$java" "${jvm_quiet[@]}" "${TANDEM_CLI_JVM[@]}" -jar "$jar" "$@"; }

# ---------------------------------------------------------------------------------------------
# /proc readings.
clk_tck="$(getconf CLK_TCK)"
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; } # utime+stime (fields 14, 15)
cpu_secs() { awk -v t="$(cpu_ticks "$1")" -v hz="$clk_tck" 'BEGIN { printf "%.2f", t / hz }'; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# ---------------------------------------------------------------------------------------------
# Status helpers (the REST API; jq parses).
status_json() { curl -s -m 2 "http://127.0.0.1:${api[$1]}/api/v1/status" 2>/dev/null || true; }
health_ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' -m 1 "http://127.0.0.1:${api[$1]}/health" 2>/dev/null)" = 200 ]; }
leader_of() { status_json "$1" | jq -r '.leader // empty' 2>/dev/null || true; }

# Ready: /health answers 200 and the node's status names a Raft leader.
ready() { health_ok "$1" && [ -n "$(leader_of "$1")" ]; }

start_agent() { # node -> sets agent_pid[node]; launches in background, stdout+stderr appended to agent.log
  local n=$1
  "$java" "${agent_jvm[@]}" -jar "$jar" run -c "$(cfg "$n")" >>"$tmp/$n/agent.log" 2>&1 &
  agent_pid[$n]=$!
  all_agent_pids+=("$!")
}

# Waits until node is ready; prints seconds since t_launch. Fails when the agent dies or times out.
wait_ready() { # node t_launch
  local n=$1 t=$2 deadline
  deadline=$(($(date +%s) + READY_TIMEOUT_S))
  while :; do
    kill -0 "${agent_pid[$n]}" 2>/dev/null || die "$n (pid ${agent_pid[$n]}) exited; see $tmp/$n/agent.log"
    if ready "$n"; then
      awk -v a="$(now)" -v b="$t" 'BEGIN { printf "%.3f", a - b }'
      return
    fi
    [ "$(date +%s)" -lt "$deadline" ] || die "$n not ready after ${READY_TIMEOUT_S}s; see $tmp/$n/agent.log"
    sleep 0.05
  done
}

# Finds the watchdog child of an agent (a JVM running WatchdogMain) and remembers its pid.
watchdog_of() { # node -> prints pid or nothing
  local p
  for p in $(pgrep -P "${agent_pid[$1]}" 2>/dev/null || true); do
    if is_ours "$p" WatchdogMain; then echo "$p"; return; fi
  done
}
remember_watchdog() { # node -> sets wd_pid[node] (not in a subshell: it records the pid for the trap)
  local w="" i
  for i in $(seq 1 100); do
    w="$(watchdog_of "$1")"
    [ -n "$w" ] && break
    sleep 0.05
  done
  [ -n "$w" ] || die "no watchdog process under $1's agent (pid ${agent_pid[$1]})"
  watchdog_pids+=("$w")
  wd_pid[$1]="$w"
}

# The group's view from a live node: "primary state-of-n1 state-of-n2 leader".
group_view() { # node
  status_json "$1" | jq -r '[(.groups[] | select(.group=="web") | .primary // "-"),
      ((.groups[] | select(.group=="web") | .members[] | select(.node=="n1") | .state) // "-"),
      ((.groups[] | select(.group=="web") | .members[] | select(.node=="n2") | .state) // "-"),
      (.leader // "-")] | join(" ")' 2>/dev/null || true
}

# Steady: asked on every data node, the same primary runs the group ("running") and the other data
# node has reported ("stopped"), and a leader exists.
wait_steady() { # -> prints the primary
  local deadline v1 v2 p s1 s2 l
  deadline=$(($(date +%s) + READY_TIMEOUT_S))
  while :; do
    v1="$(group_view n1)"; v2="$(group_view n2)"
    if [ -n "$v1" ] && [ "$v1" = "$v2" ]; then
      read -r p s1 s2 l <<<"$v1"
      if [ "$l" != "-" ] && { { [ "$p" = n1 ] && [ "$s1" = running ] && [ "$s2" = stopped ]; } ||
                               { [ "$p" = n2 ] && [ "$s2" = running ] && [ "$s1" = stopped ]; }; }; then
        echo "$p"; return
      fi
    fi
    [ "$(date +%s)" -lt "$deadline" ] || die "cluster not steady after ${READY_TIMEOUT_S}s: n1 sees '$v1', n2 sees '$v2'"
    sleep 0.1
  done
}

# Safety check over the whole service log: never two nodes started at once.
check_log() { # -> prints violations (empty when none)
  awk '{ if ($1 == "start") { for (n in run) if (run[n] && n != $2) print "line " NR ": start " $2 " at " $3 " while " n " runs (started at " since[n] ")";
                              run[$2] = 1; since[$2] = $3 }
         else if ($1 == "stop") run[$2] = 0 }' "$svc_log"
}

stats() { # values... -> "min p50 p90 max mean" (p50 = median, p90 = nearest rank)
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1; s += $1 } END {
    n = NR; med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    r = int(0.9 * n); if (r < 0.9 * n) r++; if (r < 1) r = 1
    printf "%.3f %.3f %.3f %.3f %.3f", v[1], med, v[r], v[n], s / n }'
}

# Service-log lines written while no failover was under way (a demotion nobody asked for).
spurious=()
mark_log() { log_mark="$(wc -l <"$svc_log")"; }
check_spurious() { # phase
  local n; n="$(wc -l <"$svc_log")"
  if [ "$n" -gt "$log_mark" ]; then
    while IFS= read -r l; do spurious+=("$1: $l"); log "unexpected service-log line during $1: $l"; done \
      < <(tail -n +"$((log_mark + 1))" "$svc_log")
  fi
  log_mark="$n"
}

# A watchdog that died without this script killing it (seen on the shared box: another session's
# broad `pkill` of watchdogs) leaves its agent unprotected; the agent does not restart it. Restart
# that agent so the run measures tandem, and count it. A primary gets SIGTERM (hand-over).
interference=()
ensure_watchdogs() { # phase
  local n
  for n in n1 n2; do
    is_ours "${wd_pid[$n]}" WatchdogMain && continue
    local st; st="$(grep -o 'watchdog (pid [0-9]*) is not running; exit code [0-9]*' "$tmp/$n/agent.log" | tail -1 || true)"
    interference+=("$1: watchdog of $n (pid ${wd_pid[$n]}) gone${st:+ ($st)}")
    log "watchdog of $n (pid ${wd_pid[$n]}) is gone before $1${st:+ ($st)}; not killed by this script; restarting $n"
    local p="${agent_pid[$n]}" i
    if [ "$(group_view "$n" | cut -d' ' -f1)" = "$n" ]; then kill -TERM "$p"; else kill -9 "$p"; fi
    for i in $(seq 1 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p"
    { wait "$p" || true; } 2>/dev/null
    start_agent "$n"; wait_ready "$n" "$(now)" >/dev/null; remember_watchdog "$n"
    wait_steady >/dev/null
    mark_log
  done
}

# Restarts a node gracefully (SIGTERM, wait, start, wait until ready).
restart_node() { # node
  local n=$1 p="${agent_pid[$1]}" i
  kill -TERM "$p"
  for i in $(seq 1 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$p" 2>/dev/null && kill -9 "$p"
  { wait "$p" || true; } 2>/dev/null
  start_agent "$n"; wait_ready "$n" "$(now)" >/dev/null; remember_watchdog "$n"
}
# ---------------------------------------------------------------------------------------------
# Setup.
log "temp dir $tmp, ports $base..$((base + 22)), jar $jar, JDK $TANDEM_JDK"
bench_start_utc="$(date -u)"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${nodes[@]}"; do
  mkdir -p "$tmp/$n"
  extra=()
  [ "$n" = n3 ] && extra=(--witness)
  tandem init --cluster bench --node "$n" --listen "127.0.0.1:${listen[$n]}" --api "127.0.0.1:${api[$n]}" \
    "${extra[@]}" -c "$(cfg "$n")" >"$tmp/$n/init.out" 2>&1 || { cat "$tmp/$n/init.out" >&2; die "init $n failed"; }
  printf '\napi: { open-read: true }   # status_json reads /api/v1/status without the token\n' >>"$(cfg "$n")"
  if [ -n "${LEASE:-}" ]; then
    printf 'failover: { lease: %s, renew-interval: %s, promote-margin: %s }\n' "$LEASE" "${RENEW:-400ms}" "${MARGIN:-300ms}" >>"$(cfg "$n")"
  fi
  if [ "$n" != n3 ]; then
    cat >>"$(cfg "$n")" <<EOF

groups:
  web:
    nodes: { n1: primary, n2: passive }
    resources:
      - service:
          start: 'echo "start \$TANDEM_NODE \$(date +%s.%N) \$TANDEM_EPOCH" >> $svc_log'
          stop: 'echo "stop \$TANDEM_NODE \$(date +%s.%N) \$TANDEM_EPOCH" >> $svc_log'
EOF
  fi
done

declare -A first_ready=() first_cpu=()
t="$(now)"; start_agent n1; first_ready[n1]="$(wait_ready n1 "$t")"; first_cpu[n1]="$(cpu_secs "${agent_pid[n1]}")"
remember_watchdog n1
log "n1 ready in ${first_ready[n1]} s, ${first_cpu[n1]} s of CPU (pid ${agent_pid[n1]}, watchdog ${wd_pid[n1]})"
for n in n2 n3; do
  token="$(tandem invite -c "$(cfg n1)" | sed -n 's/^token:[[:space:]]*//p')"
  [ -n "$token" ] || die "no token from tandem invite"
  tandem join "127.0.0.1:${listen[n1]}" --token "$token" -c "$(cfg "$n")" >"$tmp/$n/join.out" 2>&1 \
    || { cat "$tmp/$n/join.out" >&2; die "join $n failed"; }
  t="$(now)"; start_agent "$n"; first_ready[$n]="$(wait_ready "$n" "$t")"
  first_cpu[$n]="$(cpu_secs "${agent_pid[$n]}")"; remember_watchdog "$n"
  log "$n ready in ${first_ready[$n]} s, ${first_cpu[$n]} s of CPU (pid ${agent_pid[$n]}, watchdog ${wd_pid[$n]})"
done
primary="$(wait_steady)"
log "steady: web runs on $primary"
mark_log

# ---------------------------------------------------------------------------------------------
# Idle footprint.
log "idle for ${IDLE_S}s, then CPU over ${CPU_WINDOW_S}s"
sleep "$IDLE_S"
declare -A idle_pids=() tick0=() rss=() cpu=()
procs=()
for n in "${nodes[@]}"; do
  procs+=("$n agent" "$n watchdog")
  idle_pids["$n agent"]="${agent_pid[$n]}"
  idle_pids["$n watchdog"]="${wd_pid[$n]}"
done
idle_load0="$(load1)"
t_a="$(now)"
for k in "${procs[@]}"; do tick0[$k]="$(cpu_ticks "${idle_pids[$k]}" 2>/dev/null || echo gone)"; done
sleep "$CPU_WINDOW_S"
t_b="$(now)"
for k in "${procs[@]}"; do
  p="${idle_pids[$k]}"
  if [ "${tick0[$k]}" = gone ] || [ ! -r "/proc/$p/stat" ]; then cpu[$k]=gone; rss[$k]=gone; continue; fi
  cpu[$k]="$(awk -v a="$(cpu_ticks "$p")" -v b="${tick0[$k]}" -v hz="$clk_tck" -v dt="$(awk -v x="$t_b" -v y="$t_a" 'BEGIN{print x-y}')" \
    'BEGIN { printf "%.2f", 100 * (a - b) / hz / dt }')"
  rss[$k]="$(awk -v k="$(rss_kib "$p")" 'BEGIN { printf "%.1f", k / 1024 }')"
done
idle_load1="$(load1)"
if [ "${NMT:-0}" = 1 ]; then # needs TANDEM_JAVA_OPTS=-XX:NativeMemoryTracking=summary
  for n in "${nodes[@]}"; do
    echo "--- NMT $n (pid ${agent_pid[$n]})"
    "$TANDEM_JDK/bin/jcmd" "${agent_pid[$n]}" VM.native_memory summary 2>&1 | grep -E '^(Total|-  *[A-Z])|committed=' | grep -E 'Total|^-' || true
  done
fi
check_spurious "idle"

# ---------------------------------------------------------------------------------------------
# Failovers.
gaps=(); fences=(); restarts=(); restart_cpu=(); leaders_killed=0; run_rows=()
for run in $(seq 1 "$RUNS"); do
  ensure_watchdogs "run $run"
  primary="$(wait_steady)"
  other=n2; [ "$primary" = n2 ] && other=n1
  check_spurious "the wait before run $run"
  raft_leader="$(leader_of "$other")"
  before="$(wc -l <"$svc_log")"
  victim="${agent_pid[$primary]}"
  victim_wd="${wd_pid[$primary]}"
  ld="$(load1)"
  wd_alive_at_kill=yes; is_ours "$victim_wd" WatchdogMain || wd_alive_at_kill=no
  t0="$(now)"
  kill -9 "$victim"
  { wait "$victim" || true; } 2>/dev/null
  # Wait for the other node's start line.
  start_ts=""
  deadline=$(($(date +%s) + FAILOVER_TIMEOUT_S))
  while [ -z "$start_ts" ]; do
    start_ts="$(tail -n +"$((before + 1))" "$svc_log" | awk -v o="$other" '$1 == "start" && $2 == o { print $3; exit }')"
    [ -n "$start_ts" ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "run $run: no 'start $other' within ${FAILOVER_TIMEOUT_S}s after kill -9 of $primary"
      log "service log tail:"; tail -n 5 "$svc_log" >&2
      log "status from $other: $(status_json "$other")"
      exit 4
    fi
    sleep 0.05
  done
  stop_ts="$(tail -n +"$((before + 1))" "$svc_log" | awk -v o="$primary" '$1 == "stop" && $2 == o { print $3; exit }')"
  gap="$(awk -v a="$start_ts" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')"
  fence="-"
  [ -n "$stop_ts" ] && fence="$(awk -v a="$stop_ts" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')"
  gaps+=("$gap"); fences+=("$fence")
  [ "$raft_leader" = "$primary" ] && leaders_killed=$((leaders_killed + 1))
  bad="$(check_log)"
  if [ -n "$bad" ]; then
    log "SAFETY VIOLATION in run $run (two nodes ran the service):"; echo "$bad" >&2
    log "the killed primary's watchdog (pid $victim_wd) was alive just before the kill: $wd_alive_at_kill"
    log "service log:"; cat "$svc_log" >&2
    exit 3
  fi
  # The killed node's watchdog should fence and exit on its own.
  for _ in $(seq 1 100); do is_ours "$victim_wd" WatchdogMain || break; sleep 0.05; done
  wd_state="exited"; is_ours "$victim_wd" WatchdogMain && wd_state="still running"
  # Restart the killed node and wait until it is back.
  t="$(now)"; start_agent "$primary"
  r="$(wait_ready "$primary" "$t")"; restarts+=("$r"); restart_cpu+=("$(cpu_secs "${agent_pid[$primary]}")")
  remember_watchdog "$primary"
  wait_steady >/dev/null
  mark_log
  row="$(printf '%3d  %-4s -> %-4s  raft-leader %-3s  load %-5s  stop(fence) %6ss  start %6ss  watchdog %-13s  restart-ready %6ss' \
    "$run" "$primary" "$other" "${raft_leader:--}" "$ld" "$fence" "$gap" "$wd_state" "$r")"
  run_rows+=("$row")
  log "$row"
done

# False positives: graceful restarts of the witness (often the Raft leader) must not move or bounce the group.
mark_log
witness_rows=()
for i in $(seq 1 "${WITNESS_RESTARTS:-3}"); do
  ensure_watchdogs "witness restart $i"
  wl="$(leader_of n1)"
  spurious_before=${#spurious[@]}
  restart_node n3
  wait_steady >/dev/null
  sleep "$(awk -v l="$lease_s" 'BEGIN { print l + 1 }')" # a lease and more, so that a late demotion would show in the log
  check_spurious "witness restart $i"
  witness_rows+=("$(printf '  witness restart %d (raft leader before: %s): %d unexpected service-log lines' "$i" "${wl:--}" \
    $((${#spurious[@]} - spurious_before)))")
  log "${witness_rows[-1]}"
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------------------------
# Report.
read -r gmin gp50 gp90 gmax gmean <<<"$(stats "${gaps[@]}")"
read -r rmin rp50 rp90 rmax rmean <<<"$(stats "${restarts[@]}")"
fence_vals=(); for f in "${fences[@]}"; do [ "$f" != "-" ] && fence_vals+=("$f"); done
fstats="- - - - -"; [ "${#fence_vals[@]}" -gt 0 ] && fstats="$(stats "${fence_vals[@]}")"
read -r fmin fp50 fp90 fmax fmean <<<"$fstats"
verdict() { awk -v v="$1" -v lim="$2" 'BEGIN { if (v <= lim) print "PASS"; else printf "MISS by %.3f s\n", v - lim }'; }

echo
echo "== tandem failover benchmark =="
echo "date:    $bench_start_utc"
echo "machine: nproc $(nproc); $(free -h | awk '/^Mem:/ { print "mem " $2 " total, " $3 " used, " $7 " available" }'); $(uname -r)"
echo "jdk:     $("$java" -version 2>&1 | head -1)"
echo "agent:   ${agent_jvm[*]} (MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX)"
echo "failover: lease ${LEASE:-2s}, renew-interval ${RENEW:-400ms}, promote-margin ${MARGIN:-300ms}"
echo "load:    start $load_start; end $load_end (1/5/15 min)"
echo
echo "Start to ready (launch of 'tandem run' -> /health 200 and a Raft leader in /api/v1/status):"
for n in "${nodes[@]}"; do echo "  first start $n: ${first_ready[$n]} s (the agent used ${first_cpu[$n]} s of CPU until then)"; done
echo "  restarts after kill -9 ($RUNS): min $rmin  p50 $rp50  p90 $rp90  max $rmax s"
read -r cmin cp50 cp90 cmax cmean <<<"$(stats "${restart_cpu[@]}")"
echo "  CPU used by a restarting agent until ready: min $cmin  p50 $cp50  max $cmax s (a lower bound of its start-up time on an idle box)"
echo
echo "Idle after ${IDLE_S}s (CPU over ${CPU_WINDOW_S}s; load1 $idle_load0 -> $idle_load1):"
printf '  %-14s %8s %10s %8s\n' process pid "RSS MiB" "CPU %"
for k in "${procs[@]}"; do printf '  %-14s %8s %10s %8s\n' "$k" "${idle_pids[$k]}" "${rss[$k]}" "${cpu[$k]}"; done
echo
echo "Failover runs (kill -9 of the primary's agent -> 'start' on the other node):"
printf '%s\n' "${run_rows[@]}"
echo
echo "failover (s), $RUNS runs: min $gmin  p50 $gp50  p90 $gp90  max $gmax  mean $gmean"
echo "  all: ${gaps[*]}"
echo "old primary's service stopped by its watchdog after (s): min $fmin  p50 $fp50  p90 $fp90  max $fmax (${#fence_vals[@]} of $RUNS)"
echo "  the killed node was also the Raft leader in $leaders_killed of $RUNS runs"
echo "graceful restarts of the witness (no failover due):"
printf '%s\n' "${witness_rows[@]}"
echo "unexpected service stops/starts outside the kills: ${#spurious[@]}"
for l in "${spurious[@]}"; do echo "  $l"; done
echo "watchdogs that died without this script killing them (agent restarted, run not counted as tandem's fault): ${#interference[@]}"
for l in "${interference[@]}"; do echo "  $l"; done
echo "safety: no overlap of two nodes' service in $(grep -c '^start' "$svc_log") starts"
echo
echo "targets: failover median <= 3 s: $(verdict "$gp50" 3); max <= 5 s: $(verdict "$gmax" 5)"
max_rss="$(for n in "${nodes[@]}"; do echo "${rss[$n agent]}"; done | sort -g | tail -1)"
max_cpu="$(for n in "${nodes[@]}"; do echo "${cpu[$n agent]}"; done | sort -g | tail -1)"
max_ready="$(printf '%s\n' "${first_ready[@]}" | sort -g | tail -1)"
echo "         idle agent RSS <= 150 MiB: max $max_rss MiB $(awk -v v="$max_rss" 'BEGIN { print (v <= 150) ? "PASS" : "MISS" }');" \
  "CPU < 1%: max ${max_cpu}% $(awk -v v="$max_cpu" 'BEGIN { print (v < 1) ? "PASS" : "MISS" }');" \
  "start to ready < 2 s: max first start ${max_ready} s $(awk -v v="$max_ready" 'BEGIN { print (v < 2) ? "PASS" : "MISS" }')," \
  "max restart $rmax s $(awk -v v="$rmax" 'BEGIN { print (v < 2) ? "PASS" : "MISS" }')"

json_num_list() { local IFS=,; echo "[$*]"; }
idle_json="$(for k in "${procs[@]}"; do printf '{"process":"%s","rss_mib":%s,"cpu_pct":%s},' "$k" "${rss[$k]}" "${cpu[$k]}"; done)"
json="$(printf '{"bench":"failover","date":"%s","failover":{"lease":"%s","renew_interval":"%s","promote_margin":"%s"},"nproc":%s,"load_start":"%s","load_end":"%s","runs":%s,"failover_s":{"min":%s,"p50":%s,"p90":%s,"max":%s,"mean":%s,"all":%s},"fence_s":{"p50":"%s","max":"%s"},"raft_leader_killed":%s,"spurious_lines":%s,"watchdogs_killed_externally":%s,"ready_first_s":{"n1":%s,"n2":%s,"n3":%s},"ready_restart_s":{"p50":%s,"max":%s,"all":%s},"ready_cpu_s":{"first":[%s,%s,%s],"restart_p50":%s},"idle":[%s]}' \
  "$bench_start_utc" "${LEASE:-2s}" "${RENEW:-400ms}" "${MARGIN:-300ms}" "$(nproc)" "$load_start" "$load_end" "$RUNS" "$gmin" "$gp50" "$gp90" "$gmax" "$gmean" \
  "$(json_num_list "${gaps[@]}")" "$fp50" "$fmax" "$leaders_killed" "${#spurious[@]}" "${#interference[@]}" "${first_ready[n1]}" "${first_ready[n2]}" \
  "${first_ready[n3]}" "$rp50" "$rmax" "$(json_num_list "${restarts[@]}")" "${first_cpu[n1]}" "${first_cpu[n2]}" "${first_cpu[n3]}" "$cp50" "${idle_json%,}")"
echo "BENCH_JSON $json"
[ -n "${BENCH_OUT:-}" ] && echo "$json" >>"$BENCH_OUT"
exit 0

#!/usr/bin/env bash
# Floating-IP benchmark (issue 6): tandem's `vip` resource side by side with keepalived (VRRP,
# advert_int 1, the common two-node config) in network namespaces, in one run.
#
# Network: namespaces tdv<pid>-{hub,n1,n2,n3,cl} on one bridge, 10.216.0.0/24 (n1 .1, n2 .2, the
# tandem witness n3 .3, the client cl .4), VIP 10.216.0.100/24 on eth0. n1 and n2 each run a tiny
# HTTP backend on :8080 that answers its node's name; the client fetches http://VIP:8080/ in a
# loop (curl -m 0.2) and logs the time and who answered.
#
# Each run: kill -9 of the VIP holder's HA daemon (tandem's agent JVM; keepalived's processes) and
# of its backend, as when the server dies; the client-visible gap is the time from the last answer
# of the old node to the first answer of the new one. The killed node is started again and the
# next run waits until the client is served steadily. A sampler polls `ip -n <ns> addr` on n1 and
# n2 throughout and counts moments when both hold the VIP.
# Then a partition: n1 (the holder) is cut off from the other servers (nftables input drops on
# both sides; the client still reaches both) for PARTITION_S, and the sampler says whether both
# held the VIP. tandem must never; keepalived does (both sides become MASTER).
#
# tandem's timing uses the documented failover: keys (LEASE, RENEW, MARGIN; by default tandem's
# own defaults 2s, 400ms, 300ms; LEASE=1s RENEW=250ms MARGIN=200ms moves faster on a quiet machine,
# and flapped on a machine at load 20, where Raft commits took longer than 750 ms).
# Environment: RUNS (3), TOOLS ("tandem keepalived"), LEASE, RENEW, MARGIN, PARTITION_S (8), READY_TIMEOUT_S (300),
# SKIP_BUILD=1, KEEP_DIR=1. Needs root, iproute2, nftables, curl, jq, python3, arping, keepalived.
# Output: a human table, the ratio against keepalived, and one line starting with "BENCH_JSON ".
set -euo pipefail
RUNS="${RUNS:-3}"
TOOLS="${TOOLS:-tandem keepalived}"
LEASE="${LEASE:-2s}"; RENEW="${RENEW:-400ms}"; MARGIN="${MARGIN:-300ms}"
PARTITION_S="${PARTITION_S:-8}"
READY_TIMEOUT_S="${READY_TIMEOUT_S:-300}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/dev/find-jdk.sh"
source "$repo/dev/jvm-opts.sh"
jar="$repo/cli/target/tandem.jar"
java="$TANDEM_JDK/bin/java"
quiet=(--enable-native-access=ALL-UNNAMED)
[ "${TANDEM_JDK_VERSION%%.*}" -ge 24 ] 2>/dev/null && quiet+=(--sun-misc-unsafe-memory-access=allow)

P="tdv$$-"
NET=10.216.0
VIP=$NET.100
declare -A ip=([n1]=$NET.1 [n2]=$NET.2 [n3]=$NET.3 [cl]=$NET.4)
tmp="$(mktemp -d /tmp/tandem-bench-vip.XXXXXX)"
pids=()   # every process started here (killed by pid in the trap)
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
source "$repo/bench/lib/netns.sh"

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  exec 3>&2 2>/dev/null
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  netns_down n1 n2 n3 cl  # and what the agents and keepalived started inside (watchdogs, arping)
  exec 2>&3 3>&-
  if [ "${KEEP_DIR:-0}" = 1 ] || [ "$rc" -ne 0 ]; then echo "vip.sh: exit $rc; files in $tmp" >&2; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" = 0 ] || die "needs root (ip netns)"
for t in $TOOLS; do [ "$t" != keepalived ] || command -v keepalived >/dev/null || die "keepalived missing: apt-get install keepalived"; done
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$repo" && JAVA_HOME="$TANDEM_JDK" mvn -q -B -o -DskipTests package >&2) || (cd "$repo" && JAVA_HOME="$TANDEM_JDK" mvn -q -B -DskipTests package >&2)
fi

# ---- network ----------------------------------------------------------------------------------
netns_up n1 n2 n3 cl

cat >"$tmp/backend.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = sys.argv[1].encode()
        self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("0.0.0.0", 8080), H).serve_forever()
EOF
declare -A backend=()
# Started with `ip netns exec` itself, never through a shell function: `ip` execs the program, so $!
# is the program's pid (a backgrounded function would be a subshell, and killing it kills nothing).
start_backend() { ip netns exec "$P$1" python3 "$tmp/backend.py" "$1" >/dev/null 2>&1 & backend[$1]=$!; pids+=("$!"); }

# The client: one line per fetch, "<ms> <who answered or ->".
clientlog="$tmp/client.log"
inns cl sh -c "while :; do r=\$(curl -s -m 0.2 http://$VIP:8080/ || echo -); echo \"\$(( \$(date +%s%N) / 1000000 )) \${r:--}\"; sleep 0.05; done" >"$clientlog" 2>&1 &
pids+=("$!")

# The sampler: "<ms> <n1 holds 0|1> <n2 holds 0|1>" per sample.
holds() { netns_holds "$1" "$VIP"; }
samples="$tmp/samples.log"
( while :; do a=0; b=0; holds n1 && a=1; holds n2 && b=1; echo "$(now_ms) $a $b"; sleep 0.05; done ) >"$samples" 2>/dev/null &
pids+=("$!")
both_between() { awk -v a="$1" -v b="$2" '$1>=a && $1<=b && $2==1 && $3==1 {n++} END {print n+0}' "$samples"; }
samples_between() { awk -v a="$1" -v b="$2" '$1>=a && $1<=b {n++} END {print n+0}' "$samples"; }

# The client is steady when its last 5 lines are all from one node; prints that node.
steady_holder() {
  local deadline=$(( $(date +%s) + ${1:-$READY_TIMEOUT_S} )) last
  while :; do
    last="$(tail -n 5 "$clientlog" | awk '{print $2}' | sort -u)"
    if [ "$(tail -n 5 "$clientlog" | wc -l)" = 5 ] && [ "$(echo "$last" | wc -l)" = 1 ] && [ "$last" != - ]; then echo "$last"; return; fi
    [ "$(date +%s)" -lt "$deadline" ] || die "the client is not served steadily: $(tail -n 5 "$clientlog" | tr '\n' ' ')"
    sleep 0.2
  done
}
# Gap after a kill at t0 of node old: last answer of old before the first of another node, to that first.
gap_ms() { awk -v t0="$1" -v old="$2" '$2==old && firstnew==0 {lastold=$1} $1>t0 && $2!="-" && $2!=old && firstnew==0 {firstnew=$1} END {if (firstnew==0) print -1; else print firstnew-lastold}' "$clientlog"; }
wait_new() { # t0 old -> waits until another node answered after t0
  local deadline=$(( $(date +%s) + 60 ))
  until awk -v t0="$1" -v old="$2" '$1>t0 && $2!="-" && $2!=old {f=1} END {exit !f}' "$clientlog"; do
    [ "$(date +%s)" -lt "$deadline" ] || die "nobody took over from $2 within 60 s"
    sleep 0.2
  done
}

# Partition n1 from the other servers (both directions, input drops); the client reaches both.
cut_n1() { netns_drop_from n1 "${ip[n2]}" "${ip[n3]}"; netns_drop_from n2 "${ip[n1]}"; netns_drop_from n3 "${ip[n1]}"; }
heal_n1() { netns_heal n1 n2 n3; }

results="$tmp/results.tsv"; : >"$results"

# ---- tandem -----------------------------------------------------------------------------------
declare -A agent=()
tandem_cli() { local n=$1; shift; inns "$n" "$java" "${quiet[@]}" "${TANDEM_CLI_JVM[@]}" -jar "$jar" "$@"; }
start_agent() {
  ip netns exec "$P$1" "$java" "${quiet[@]}" "${TANDEM_AGENT_JVM[@]}" -jar "$jar" run -c "$tmp/t/$1/tandem.yaml" >>"$tmp/t/$1/agent.log" 2>&1 &
  agent[$1]=$!; pids+=("$!")
  local deadline=$(( $(date +%s) + READY_TIMEOUT_S ))
  until [ "$(inns "$1" curl -s -o /dev/null -w '%{http_code}' -m 1 "http://${ip[$1]}:8400/health" 2>/dev/null)" = 200 ]; do
    kill -0 "${agent[$1]}" 2>/dev/null || die "tandem on $1 exited; see $tmp/t/$1/agent.log"
    [ "$(date +%s)" -lt "$deadline" ] || die "tandem on $1 not up after $READY_TIMEOUT_S s"
    sleep 0.2
  done
}
member_state() { inns "$1" curl -s -m 2 "http://${ip[$1]}:8400/api/v1/status" 2>/dev/null \
  | jq -r --arg n "$2" '.groups[] | select(.group=="web") | .members[] | select(.node==$n) | .state' 2>/dev/null || true; }

run_tandem() {
  log "tandem: lease $LEASE, renew-interval $RENEW, promote-margin $MARGIN"
  for n in n1 n2 n3; do
    mkdir -p "$tmp/t/$n"
    local w=(); [ "$n" = n3 ] && w=(--witness)
    tandem_cli "$n" init --cluster vipbench --node "$n" --listen "${ip[$n]}:7400" --api "${ip[$n]}:8400" -c "$tmp/t/$n/tandem.yaml" "${w[@]}" >/dev/null
    printf '\nfailover: { lease: %s, renew-interval: %s, promote-margin: %s }\n' "$LEASE" "$RENEW" "$MARGIN" >>"$tmp/t/$n/tandem.yaml"
    printf '\napi: { open-read: true }   # member_state reads /api/v1/status without the token\n' >>"$tmp/t/$n/tandem.yaml"
    [ "$n" = n3 ] || printf '\ngroups:\n  web:\n    nodes: { n1: primary, n2: passive }\n    resources:\n      - vip: { address: %s/24, interface: eth0 }\n' "$VIP" >>"$tmp/t/$n/tandem.yaml"
  done
  start_agent n1
  for n in n2 n3; do
    local tok; tok="$(tandem_cli n1 invite -c "$tmp/t/n1/tandem.yaml" | awk '/token:/ {print $2; exit}')"
    [ -n "$tok" ] || tok="$(tandem_cli n1 invite -c "$tmp/t/n1/tandem.yaml" | grep -o 'tdm1-[^ ]*' | head -1)"
    tandem_cli "$n" join "${ip[n1]}:7400" --token "$tok" -c "$tmp/t/$n/tandem.yaml" >/dev/null
    start_agent "$n"
  done
  local holder run t0 g other
  for run in $(seq 1 "$RUNS"); do
    holder="$(steady_holder)"
    other=n1; [ "$holder" = n1 ] && other=n2
    local deadline=$(( $(date +%s) + READY_TIMEOUT_S ))
    until [ "$(member_state "$other" "$other")" = stopped ]; do   # the standby is back in the group
      [ "$(date +%s)" -lt "$deadline" ] || die "tandem: $other never reported as standby"
      sleep 0.2
    done
    t0="$(now_ms)"
    kill -9 "${agent[$holder]}" "${backend[$holder]}" 2>/dev/null || true
    wait_new "$t0" "$holder"
    g="$(gap_ms "$t0" "$holder")"
    log "tandem run $run: killed $holder at $t0, gap ${g} ms"
    echo -e "tandem\tgap\t$g" >>"$results"
    start_backend "$holder"
    start_agent "$holder"
  done
  holder="$(steady_holder)"
  partition tandem "$holder"
  for n in n1 n2 n3; do kill -9 "${agent[$n]}" 2>/dev/null || true; done
  for n in n1 n2 n3; do for p in $(ip netns pids "$P$n"); do [ "$p" = "${backend[$n]:-}" ] || kill -9 "$p" 2>/dev/null || true; done; done
  for n in n1 n2; do ip -n "$P$n" addr del "$VIP/24" dev eth0 2>/dev/null || true; done
}

partition() { # tool holder: cut the holder off, sample for PARTITION_S, heal
  local a b both n
  [ "$2" = n1 ] || log "$1: the VIP is on $2 before the partition; cutting n1 off anyway"
  a="$(now_ms)"; cut_n1
  sleep "$PARTITION_S"   # the fault lasts this long on purpose; the sampler runs meanwhile
  b="$(now_ms)"; heal_n1
  both="$(both_between "$a" "$b")"; n="$(samples_between "$a" "$b")"
  log "$1 partition of n1 for ${PARTITION_S}s: both held the VIP in $both of $n samples"
  echo -e "$1\tpartition_both\t$both\t$n" >>"$results"
}

# ---- keepalived -------------------------------------------------------------------------------
declare -A kad=()
start_keepalived() {
  local n=$1 prio=100; [ "$n" = n1 ] && prio=101
  mkdir -p "$tmp/k/$n"
  cat >"$tmp/k/$n/keepalived.conf" <<EOF
global_defs {
  router_id $n
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority $prio
  nopreempt
  advert_int 1
  virtual_ipaddress {
    $VIP/24
  }
}
EOF
  ip netns exec "$P$n" keepalived -n -l -D --vrrp -f "$tmp/k/$n/keepalived.conf" -p "$tmp/k/$n/k.pid" -r "$tmp/k/$n/vrrp.pid" \
    >>"$tmp/k/$n/log" 2>&1 &
  kad[$n]=$!; pids+=("$!")
}
keepalived_pids() { netns_pids_of "$1" keepalived; } # node -> the daemon and its VRRP child
kill_keepalived() { local ps; ps="$(keepalived_pids "$1")"; [ -z "$ps" ] || kill -9 $ps 2>/dev/null || true; }

run_keepalived() {
  log "keepalived $(keepalived --version 2>&1 | head -1 | awk '{print $2}'): VRRP, advert_int 1, n1 priority 101, n2 100, nopreempt"
  start_keepalived n1; start_keepalived n2
  local holder run t0 g ps
  for run in $(seq 1 "$RUNS"); do
    holder="$(steady_holder)"
    sleep 3   # both VRRP instances settle (the backup must have heard adverts); keepalived has no status to wait on
    ps="$(keepalived_pids "$holder")"
    t0="$(now_ms)"
    kill -9 "${backend[$holder]}" $ps 2>/dev/null || true   # one signal call: the server dies
    wait_new "$t0" "$holder"
    g="$(gap_ms "$t0" "$holder")"
    log "keepalived run $run: killed $holder at $t0, gap ${g} ms"
    echo -e "keepalived\tgap\t$g" >>"$results"
    # kill -9 left the VIP on the dead node's interface: a rebooted server comes back without it.
    ip -n "$P$holder" addr del "$VIP/24" dev eth0 2>/dev/null || true
    start_backend "$holder"
    start_keepalived "$holder"
  done
  holder="$(steady_holder)"
  sleep 3
  partition keepalived "$holder"
  kill_keepalived n1; kill_keepalived n2
}

start_backend n1; start_backend n2
for t in $TOOLS; do "run_$t"; done

# ---- report -----------------------------------------------------------------------------------
python3 - "$results" "$RUNS" "$LEASE" "$RENEW" "$MARGIN" <<'EOF'
import json, statistics, sys, datetime
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
out = {"bench": "vip", "date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "runs": int(sys.argv[2]),
       "tandem_failover": {"lease": sys.argv[3], "renew-interval": sys.argv[4], "promote-margin": sys.argv[5]}, "results": {}}
for tool in ("tandem", "keepalived"):
    gaps = [int(r[2]) for r in rows if r[0] == tool and r[1] == "gap"]
    part = [r for r in rows if r[0] == tool and r[1] == "partition_both"]
    if not gaps:
        continue
    res = {"gaps_ms": gaps, "median_ms": statistics.median(gaps), "max_ms": max(gaps)}
    if part:
        res["partition_both_samples"] = int(part[0][2]); res["partition_samples"] = int(part[0][3])
    out["results"][tool] = res
print("%-11s %8s %8s  %s" % ("tool", "median", "max", "both held the VIP during the partition"))
for tool, r in out["results"].items():
    both = ("yes, %d of %d samples" % (r["partition_both_samples"], r["partition_samples"]) if r.get("partition_both_samples")
            else "never (%d samples)" % r.get("partition_samples", 0))
    print("%-11s %6d ms %6d ms  %s" % (tool, r["median_ms"], r["max_ms"], both))
t, k = out["results"].get("tandem"), out["results"].get("keepalived")
if t and k:
    out["ratio_median"] = round(t["median_ms"] / k["median_ms"], 2) if k["median_ms"] else None
    print("tandem / keepalived median gap: %.2fx (%+d ms; target: at most +1000 ms)" % (t["median_ms"] / k["median_ms"], t["median_ms"] - k["median_ms"]))
print("BENCH_JSON " + json.dumps(out))
EOF

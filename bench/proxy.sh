#!/usr/bin/env bash
# Proxy benchmark (issue 6): tandem's proxy resource side by side with HAProxy in TCP mode
# (apt-get install haproxy) and a direct connection (the baseline), on loopback, in one run.
#
# One backend (bench/lib/ProxyBench.java: a sink that counts and an echo). tandem runs as a real
# one-node cluster whose group `web` has `proxy: { listen: ..., to: <backend> }`, so the path is
# the one a client of the primary takes: client -> agent's proxy -> backend. HAProxy 2.6 runs with
# a plain `mode tcp` frontend/backend and its defaults (threads = cores). For each target, in
# ROUNDS interleaved rounds (best round kept):
#   bulk 1:   BULK_MIB MiB through one connection          -> MB/s
#   bulk N:   BULK_MIB MiB through CONNS connections at once -> MB/s
#   rtt:      RTT_COUNT round trips of RTT_SIZE bytes on one connection -> p50, p99 (µs)
# Each target is warmed up first (the JIT of the agent and of the client). Ratios: tandem against
# HAProxy (throughput), and each proxy's added latency over the direct path.
# Environment: BULK_MIB (2048), CONNS (8), RTT_COUNT (20000), RTT_SIZE (64), ROUNDS (3),
# SKIP_BUILD=1 (use cli/target/tandem.jar as it is), KEEP_DIR=1.
set -euo pipefail
BULK_MIB="${BULK_MIB:-2048}"
CONNS="${CONNS:-8}"
RTT_COUNT="${RTT_COUNT:-20000}"
RTT_SIZE="${RTT_SIZE:-64}"
ROUNDS="${ROUNDS:-3}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$repo/cli/target/tandem.jar"
source "$repo/dev/find-jdk.sh"
source "$repo/dev/jvm-opts.sh"
java="$TANDEM_JDK/bin/java"
quiet=(--enable-native-access=ALL-UNNAMED)
[ "${TANDEM_JDK_VERSION%%.*}" -ge 24 ] 2>/dev/null && quiet+=(--sun-misc-unsafe-memory-access=allow)
tmp="$(mktemp -d /tmp/tandem-bench-proxy.XXXXXX)"
pids=()
cleanup() {
  local rc=$? p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  # SIGTERM: the agent stops its own fencing watchdog as it exits.
  if [ "${KEEP_DIR:-0}" = 1 ] || [ "$rc" -ne 0 ]; then echo "logs in $tmp" >&2; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
command -v haproxy >/dev/null || die "haproxy is not installed: apt-get install haproxy"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$repo" && JAVA_HOME="$TANDEM_JDK" mvn -q -B -o -DskipTests package >&2) \
    || (cd "$repo" && JAVA_HOME="$TANDEM_JDK" mvn -q -B -DskipTests package >&2)
fi
[ -f "$jar" ] || die "no $jar"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
base=""
for _ in $(seq 1 50); do
  b=$((20000 + (RANDOM % 1200) * 10)); ok=1
  for i in 0 1 2 3 4 5 6; do port_free $((b + i)) || { ok=0; break; }; done
  [ "$ok" = 1 ] && { base=$b; break; }
done
[ -n "$base" ] || die "no free port range found"
backend=127.0.0.1:$base; hap=127.0.0.1:$((base + 1)); tdm=127.0.0.1:$((base + 2))
listen=127.0.0.1:$((base + 3)); api=127.0.0.1:$((base + 5)); peer=$((base + 6))

bench() { "$java" -XX:+UseSerialGC -Xmx256m "$repo/bench/lib/ProxyBench.java" "$@"; }
bench server "$backend" >"$tmp/backend.log" 2>&1 & pids+=($!)

cat >"$tmp/haproxy.cfg" <<CFG
global
  maxconn 4096
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind $hap
  default_backend be
backend be
  server s1 $backend
CFG
haproxy -f "$tmp/haproxy.cfg" -db >"$tmp/haproxy.log" 2>&1 & pids+=($!)

mkdir -p "$tmp/n1"
"$java" "${quiet[@]}" "${TANDEM_CLI_JVM[@]}" -jar "$jar" init -c "$tmp/n1/tandem.yaml" --cluster bench --node n1 \
  --listen "$listen" --api "$api" --data-dir "$tmp/n1/data" >"$tmp/init.log" 2>&1 || die "tandem init: $(cat "$tmp/init.log")"
cat >>"$tmp/n1/tandem.yaml" <<YAML
groups:
  web:
    nodes: { n1: primary }
    resources:
      - proxy: { listen: $tdm, to: $backend, peer-port: $peer }
YAML
"$java" "${quiet[@]}" "${TANDEM_AGENT_JVM[@]}" -jar "$jar" run -c "$tmp/n1/tandem.yaml" >"$tmp/agent.log" 2>&1 & pids+=($!)
for _ in $(seq 1 600); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$api/primary?group=web" || true)" = 200 ] && break
  sleep 0.1
done
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$api/primary?group=web")" = 200 ] || die "web never ran: $(tail -20 "$tmp/agent.log")"
log "backend $backend, haproxy $hap, tandem $tdm; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"

targets=(direct haproxy tandem)
declare -A at=([direct]=$backend [haproxy]=$hap [tandem]=$tdm)
declare -A b1=() bn=() p50=() p99=()
for t in "${targets[@]}"; do # warm-up
  bench bulk "${at[$t]}" 256 2 >/dev/null; bench rtt "${at[$t]}" 5000 "$RTT_SIZE" >/dev/null
done
best() { awk -v a="$1" -v b="$2" -v m="$3" 'BEGIN{ if (a == "") print b; else if ((m == "max") == (b > a)) print b; else print a }'; }
for r in $(seq 1 "$ROUNDS"); do
  for t in "${targets[@]}"; do
    x=$(bench bulk "${at[$t]}" "$BULK_MIB" 1); b1[$t]=$(best "${b1[$t]:-}" "$x" max)
    y=$(bench bulk "${at[$t]}" "$BULK_MIB" "$CONNS"); bn[$t]=$(best "${bn[$t]:-}" "$y" max)
    read -r q50 q99 < <(bench rtt "${at[$t]}" "$RTT_COUNT" "$RTT_SIZE")
    p50[$t]=$(best "${p50[$t]:-}" "$q50" min); p99[$t]=$(best "${p99[$t]:-}" "$q99" min)
    log "round $r $t: 1 conn $x MB/s, $CONNS conns $y MB/s, rtt p50 $q50 µs p99 $q99 µs"
  done
done

printf '\n%-8s %14s %14s %10s %10s %12s %12s\n' target "1 conn MB/s" "$CONNS conns MB/s" "p50 µs" "p99 µs" "+p50 µs" "+p99 µs"
for t in "${targets[@]}"; do
  awk -v t="$t" -v a="${b1[$t]}" -v b="${bn[$t]}" -v c="${p50[$t]}" -v d="${p99[$t]}" -v c0="${p50[direct]}" -v d0="${p99[direct]}" \
    'BEGIN{printf "%-8s %14.0f %14.0f %10.1f %10.1f %12.1f %12.1f\n", t, a, b, c, d, c - c0, d - d0}'
done
awk -v n="$CONNS" -v a="${b1[tandem]}" -v b="${b1[haproxy]}" -v c="${bn[tandem]}" -v d="${bn[haproxy]}" \
  -v p="${p99[tandem]}" -v p0="${p99[direct]}" -v h="${p99[haproxy]}" 'BEGIN{
  printf "\ntandem / haproxy throughput: 1 conn %.2f, %s conns %.2f (target >= 0.80)\n", a / b, n, c / d
  printf "added p99 latency: tandem %.1f µs, haproxy %.1f µs (target for tandem < 1000 µs)\n", p - p0, h - p0 }'
printf 'BENCH_JSON {"bench":"proxy","bulk_mib":%s,"conns":%s,"rtt_size":%s,"direct":[%s,%s,%s,%s],"haproxy":[%s,%s,%s,%s],"tandem":[%s,%s,%s,%s]}\n' \
  "$BULK_MIB" "$CONNS" "$RTT_SIZE" "${b1[direct]}" "${bn[direct]}" "${p50[direct]}" "${p99[direct]}" \
  "${b1[haproxy]}" "${bn[haproxy]}" "${p50[haproxy]}" "${p99[haproxy]}" "${b1[tandem]}" "${bn[tandem]}" "${p50[tandem]}" "${p99[tandem]}"

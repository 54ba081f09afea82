#!/usr/bin/env bash
# dev/aot-train.sh JAR CACHE: writes the agent's AOT cache (JDK 25+, -XX:AOTCacheOutput) by running
# a throwaway agent from JAR on 127.0.0.1 in a temp dir, then stopping it with SIGTERM: the JVM writes
# CACHE as it exits. Uses the agent's JVM options (dev/jvm-opts.sh); a cache made with other options
# is refused by the JVM at start (and the agent then runs without it).
#
# What it trains: start-up (bootstrap, election, the API asked a few times), then file replication
# both ways, so the cache holds the loaded and linked classes and the method profiles (JEP 515) of the
# scanner, sender, receiver, applier, gRPC over TLS and protobuf, which a fresh agent otherwise spends
# its first initial sync interpreting and compiling: the training agent is primary of group "out" and
# sends 1,500 small files and two of 8 MiB to a second agent (an ordinary JVM, not recorded),
# and replica of group "in", receiving the same from it. Any failure in the replication part is
# reported and the cache is still written from what ran (start-up at least); TANDEM_AOT_SYNC=0 skips
# it. About 20 s on an idle 2-core machine.
set -euo pipefail
jar=$1 cache=$2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -n "${TANDEM_JDK:-}" ] || source "$here/find-jdk.sh"
source "$here/jvm-opts.sh"
java="$TANDEM_JDK/bin/java"
quiet=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
tmp="$(mktemp -d /tmp/tandem-aot-train.XXXXXX)"
pid="" peer=""
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  [ -n "$peer" ] && kill -9 "$peer" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 50); do
  base=$((20000 + (RANDOM % 1200) * 10)) # below the ephemeral range (32768+); base..base+5
  ok=1
  for p in $(seq "$base" $((base + 5))); do port_free "$p" || ok=0; done
  [ "$ok" = 1 ] && break
done
cli() { "$java" "${quiet[@]}" "${TANDEM_CLI_JVM[@]}" -jar "$jar" "$@"; }
token() { cat "$tmp/$1/data/api.token" 2>/dev/null; }
ready() { # node api-port
  [ "$(curl -s -o /dev/null -w '%{http_code}' -m 1 "http://127.0.0.1:$2/health" 2>/dev/null)" = 200 ] &&
    [ -n "$(curl -s -m 2 -H "Authorization: Bearer $(token "$1")" "http://127.0.0.1:$2/api/v1/status" 2>/dev/null |
      sed -n 's/.*"leader":"\([^"]*\)".*/\1/p')" ]
}
wait_ready() { # node api-port pid seconds
  local i
  for i in $(seq 1 $(($4 * 10))); do
    ready "$1" "$2" && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
mkdir -p "$tmp/train" "$tmp/peer"
cli init --cluster aot --node train --listen "127.0.0.1:$base" --api "127.0.0.1:$((base + 2))" \
  -c "$tmp/train/tandem.yaml" >"$tmp/init.log" 2>&1 || { cat "$tmp/init.log" >&2; exit 1; }
sync=${TANDEM_AOT_SYNC:-1}
if [ "$sync" = 1 ]; then
  cli init --cluster aot --node peer --listen "127.0.0.1:$((base + 3))" --api "127.0.0.1:$((base + 5))" \
    -c "$tmp/peer/tandem.yaml" >"$tmp/peer/init.log" 2>&1 &
  peer_init=$!
  for d in train-out train-in peer-out peer-in; do mkdir -p "$tmp/files/$d"; done
  for n in train peer; do
    for i in 0 1 2 3 4 5 6 7 8 9; do # 1,500 files of 8 KiB in 10 directories and two of 8 MiB on each side
      mkdir -p "$tmp/files/$n-out/d$i"
      head -c $((150 * 8192)) /dev/urandom | (cd "$tmp/files/$n-out/d$i" && split -b 8192 -a 3 - f)
    done
    head -c 8M /dev/urandom >"$tmp/files/$n-out/big1"
    head -c 8M /dev/urandom >"$tmp/files/$n-out/big2"
  done
  groups() { # out-dir in-dir
    printf '\ngroups:\n  out:\n    nodes: { train: primary, peer: passive }\n    resources:\n      - files: { path: %s }\n' "$1"
    printf '  in:\n    nodes: { peer: primary, train: passive }\n    resources:\n      - files: { path: %s }\n' "$2"
  }
  groups "$tmp/files/train-out" "$tmp/files/train-in" >>"$tmp/train/tandem.yaml"
fi
"$java" "${quiet[@]}" "${TANDEM_AGENT_JVM[@]}" "-XX:AOTCacheOutput=$cache" -Xlog:aot=off -Xlog:cds=off \
  -jar "$jar" run -c "$tmp/train/tandem.yaml" >"$tmp/train/agent.log" 2>&1 &
pid=$!
wait_ready train $((base + 2)) "$pid" 120 ||
  { echo "aot-train: the training agent did not become ready; log:" >&2; tail -20 "$tmp/train/agent.log" >&2; exit 1; }

# Replication both ways; returns non-zero (reported, not fatal) when a step fails or it does not finish.
replicate() {
  wait "$peer_init" || return 1
  groups "$tmp/files/peer-in" "$tmp/files/peer-out" >>"$tmp/peer/tandem.yaml"
  local t
  t="$(cli invite -c "$tmp/train/tandem.yaml" 2>"$tmp/invite.log" | sed -n 's/^token:[[:space:]]*//p')"
  [ -n "$t" ] || return 1
  cli join "127.0.0.1:$base" --token "$t" -c "$tmp/peer/tandem.yaml" >"$tmp/peer/join.log" 2>&1 || return 1
  "$java" "${quiet[@]}" "${TANDEM_AGENT_JVM[@]}" -jar "$jar" run -c "$tmp/peer/tandem.yaml" >"$tmp/peer/agent.log" 2>&1 &
  peer=$!
  local want i
  want=$(find "$tmp/files/train-out" -type f | wc -l)
  for i in $(seq 1 600); do # both directions complete, or 60 s
    [ "$(find "$tmp/files/peer-in" -type f ! -name '.tandem*' | wc -l)" -ge "$want" ] &&
      [ "$(find "$tmp/files/train-in" -type f ! -name '.tandem*' | wc -l)" -ge "$want" ] && return 0
    kill -0 "$peer" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
if [ "$sync" = 1 ] && ! replicate; then
  echo "aot-train: the file replication part did not finish (logs were in $tmp); the cache is written from what ran" >&2
fi
[ -n "$peer" ] && { kill -9 "$peer" 2>/dev/null || true; wait "$peer" 2>/dev/null || true; peer=""; }
[ "$sync" = 1 ] || sleep 3 # a few lease renewals and housekeeping rounds
api="http://127.0.0.1:$((base + 2))"
for _ in 1 2 3; do curl -s -m 2 -H "Authorization: Bearer $(token train)" "$api/api/v1/status" >/dev/null; curl -s -m 2 "$api/health" >/dev/null; curl -s -m 2 "$api/primary" >/dev/null || true; done
kill -TERM "$pid"
wait "$pid" || true
pid=""
[ -f "$cache" ] || { echo "aot-train: no cache written; log:" >&2; tail -20 "$tmp/train/agent.log" >&2; exit 1; }

#!/usr/bin/env bash
# dev/aot-train.sh JAR CACHE: writes the agent's AOT cache (JDK 25+, -XX:AOTCacheOutput) by running
# a throwaway single-node agent from JAR on 127.0.0.1 in a temp dir until it is ready (it bootstraps,
# elects itself, starts its API), asking its API a few times, then stopping it with SIGTERM: the
# JVM writes CACHE as it exits. Uses the agent's JVM options (dev/jvm-opts.sh); a cache made with
# other options is refused by the JVM at start (and the agent then runs without it).
set -euo pipefail
jar=$1 cache=$2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -n "${TANDEM_JDK:-}" ] || source "$here/find-jdk.sh"
source "$here/jvm-opts.sh"
java="$TANDEM_JDK/bin/java"
tmp="$(mktemp -d /tmp/tandem-aot-train.XXXXXX)"
pid=""
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 50); do
  base=$((20000 + (RANDOM % 1200) * 10)) # below the ephemeral range (32768+)
  port_free "$base" && port_free $((base + 1)) && port_free $((base + 2)) && break
done
"$java" "${TANDEM_CLI_JVM[@]}" -jar "$jar" init --cluster aot --node train --listen "127.0.0.1:$base" \
  --api "127.0.0.1:$((base + 2))" -c "$tmp/tandem.yaml" >"$tmp/init.log" 2>&1 || { cat "$tmp/init.log" >&2; exit 1; }
"$java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow "${TANDEM_AGENT_JVM[@]}" \
  "-XX:AOTCacheOutput=$cache" -Xlog:aot=off -Xlog:cds=off -jar "$jar" run -c "$tmp/tandem.yaml" >"$tmp/agent.log" 2>&1 &
pid=$!
api="http://127.0.0.1:$((base + 2))"
for _ in $(seq 1 1200); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' -m 1 "$api/health" 2>/dev/null)" = 200 ] \
     && [ -n "$(curl -s -m 2 -H "Authorization: Bearer $(cat "$tmp/data/api.token" 2>/dev/null)" "$api/api/v1/status" 2>/dev/null | sed -n 's/.*"leader":"\([^"]*\)".*/\1/p')" ]; then
    ready=1; break
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
[ "${ready:-0}" = 1 ] || { echo "aot-train: the training agent did not become ready; log:" >&2; tail -20 "$tmp/agent.log" >&2; exit 1; }
sleep 3 # a few lease renewals and housekeeping rounds
for _ in 1 2 3; do curl -s -m 2 -H "Authorization: Bearer $(cat "$tmp/data/api.token")" "$api/api/v1/status" >/dev/null; curl -s -m 2 "$api/health" >/dev/null; curl -s -m 2 "$api/primary" >/dev/null || true; done
kill -TERM "$pid"
wait "$pid" || true
pid=""
[ -f "$cache" ] || { echo "aot-train: no cache written; log:" >&2; tail -20 "$tmp/agent.log" >&2; exit 1; }

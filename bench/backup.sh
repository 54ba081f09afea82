#!/usr/bin/env bash
# Backup benchmark (issue 5): tandem's backups side by side with restic and borg (apt-get install
# restic borgbackup) on one generated dataset, in one run.
#
# Dataset (bench/lib/backupdata.py): SIZE_MIB (2048) MiB in FILES (30000) files: small text-like
# files that compress and a few big binary ones; then CHANGE_PCT (1) % of the bytes overwritten
# in place. For each tool: first backup, second backup after the change, full restore of the
# latest snapshot, full verify reading all data (tandem backup verify --read-data 100%, restic
# check --read-data, borg check --verify-data), repository size after each backup, peak RSS of
# each step and its CPU seconds, user + system (GNU time). Each step starts with `sync` and dropped page caches when DROP_CACHES=1.
# Before tandem's first step, one untimed small backup makes the launcher write its start-up cache
# for backup commands (once per build: the AOT cache of dev/aot-train-backup.sh on JDK 25+, else a
# class data sharing archive), which every later tandem command starts with.
# Every tool encrypts; compression: tandem zstd 3, restic --compression auto (repository v2),
# borg lz4 (its default) and zstd,3 as a second variant.
# Each tool's dataset, repository and restore are on an ext4 file system made for that tool
# (bench/lib/freshfs.sh: root and loop devices; FRESH_FS=0 for the temp dir as before), so no tool
# pays for the inodes another tool freed minutes earlier.
# ROUNDS (1) repeats the whole comparison, the tools in the opposite order every other round, and
# reports the median of each step (every round's figures are in the JSON line): the same step of the
# same tool moved by a third between two runs minutes apart on this machine.
# Tool "tandem-agent" (in the default TOOLS): `tandem backup run` handed to a running agent, as it is on a node whose
# agent runs (README, "Backups"). The agent is a single-node cluster started for the run; before the timed steps it
# takes two untimed backups of another set of AGENT_WARM_MIB (256) MiB (a first and a second), as an agent that has
# taken backups before has (0: none, a fresh agent); each timed step starts once the agent is idle (its file replication has indexed the data). Seconds are the
# command's; CPU is the command's plus the agent's during the step; peak RSS the larger of the command's and the
# agent's peak during the step (its peak is reset before). Restore and verify run in the command as for "tandem".
# Environment: TOOLS ("tandem tandem-agent restic borg"), AGENT_WARM_MIB, SIZE_MIB, FILES, CHANGE_PCT, DROP_CACHES (0), ROUNDS (1),
# SKIP_BUILD=1, BENCH_OUT=file (append the JSON line), KEEP_DIR=1, FRESH_FS (1).
# Output: a human table, ratios against restic, and one line starting with "BENCH_JSON ".
set -euo pipefail
TOOLS="${TOOLS:-tandem tandem-agent restic borg}"
SIZE_MIB="${SIZE_MIB:-2048}"
FILES="${FILES:-30000}"
CHANGE_PCT="${CHANGE_PCT:-1}"
DROP_CACHES="${DROP_CACHES:-0}"
ROUNDS="${ROUNDS:-1}"
AGENT_WARM_MIB="${AGENT_WARM_MIB:-256}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$repo/dev/find-jdk.sh"
jar="$repo/cli/target/tandem.jar"
tmp="$(mktemp -d /tmp/tandem-bench-backup.XXXXXX)"
source "$repo/bench/lib/freshfs.sh"
agent_pid=""
cleanup() { [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null; fresh_fs_cleanup; [ "${KEEP_DIR:-0}" = 1 ] || rm -rf "$tmp"; }
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
results="$tmp/results.tsv"; : >"$results"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  (cd "$repo" && JAVA_HOME="$TANDEM_JDK" mvn -q -B -o -DskipTests package >&2) || (cd "$repo" && JAVA_HOME="$TANDEM_JDK" mvn -q -B -DskipTests package >&2)
fi

log "where the tools write: $(fresh_fs_describe)"
bytes=""
pw="$tmp/pw"; head -c 24 /dev/urandom | base64 >"$pw"; chmod 600 "$pw"
export RESTIC_PASSWORD_FILE="$pw" BORG_PASSPHRASE="$(cat "$pw")"

# The launcher users run (it gives `backup` the agent's JVM options); a script, so GNU time can run it.
tandem="$repo/tandem"

prep() { sync; if [ "$DROP_CACHES" = 1 ]; then echo 3 >/proc/sys/vm/drop_caches; fi; }
# step TOOL VARIANT STEP REPO_DIR -- command...: times the command, records seconds, peak RSS, repo size.
step() {
  local tool=$1 variant=$2 name=$3 rdir=$4; shift 5
  prep
  local t0 t1 rss a0=0
  if [ -n "${agent_pid:-}" ]; then agent_idle; echo 5 >"/proc/$agent_pid/clear_refs"; a0=$(agent_cpu); fi
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M %U %S" -o "$tmp/rss" "$@" >"$tmp/$tool-$variant-$name.log" 2>&1 || { log "$tool $variant $name FAILED: $(tail -3 "$tmp/$tool-$variant-$name.log")"; return 1; }
  t1=$(date +%s.%N)
  local cpu
  read -r rss cpu < <(tail -1 "$tmp/rss" | awk '{printf "%s %.2f\n", $1, $2 + $3}')
  if [ -n "${agent_pid:-}" ]; then
    # The agent did the work: add its CPU during the step, and take its peak RSS when larger.
    local a1 hwm; a1=$(agent_cpu)
    cpu=$(awk -v c="$cpu" -v a="$a0" -v b="$a1" 'BEGIN{printf "%.2f", c + (b - a) / 100}')
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$agent_pid/status")
    [ "$hwm" -gt "$rss" ] && rss=$hwm
  fi
  local size; size=$(du -sb "$rdir" | cut -f1)
  local secs; secs=$(awk -v a="$t1" -v b="$t0" 'BEGIN{printf "%.2f", a-b}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$variant" "$name" "$secs" "$rss" "$size" "$cpu" "$round" >>"$results"
  log "$tool ($variant) $name: $secs s ($cpu s of CPU), peak RSS $((rss / 1024)) MiB, repository $((size / 1048576)) MiB"
}

# The agent's CPU so far in clock ticks (utime + stime), and a wait until it used < 10 % of a core for 2 s in a row
# (its file replication indexes the data at start and after a change; an idle agent uses 2-5 %), at most 120 s.
agent_cpu() { awk '{print $14 + $15}' "/proc/$agent_pid/stat"; }
agent_idle() {
  local quiet=0 i a b
  for ((i = 0; i < 240 && quiet < 4; i++)); do
    a=$(agent_cpu); sleep 0.5; b=$(agent_cpu)
    if [ $((b - a)) -le 5 ]; then quiet=$((quiet + 1)); else quiet=0; fi
  done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

run_tool() {
  local tool=$1 variant=$2
  # The dataset (the same seed for every tool), the repository and the restore, on a file system of their own.
  local fs="$tmp/fs-$tool-$variant"
  fresh_fs "$fs" $((SIZE_MIB * 3 + 1024))
  local rdir="$fs/repo" out="$fs/restore"
  data="$fs/data"; mkdir -p "$data"
  log "$tool ($variant): making $SIZE_MIB MiB in $FILES files"
  python3 "$repo/bench/lib/backupdata.py" make "$data" "$SIZE_MIB" "$FILES" 1
  [ -n "$bytes" ] || bytes=$(du -sb "$data" | cut -f1)
  case "$tool" in
    tandem)
      cat >"$tmp/tandem.yaml" <<YAML
cluster: bench
node: { name: n1, listen: 127.0.0.1:7400, api: 127.0.0.1:8400, data-dir: $tmp/tandem-data }
groups:
  web:
    nodes: { n1: primary }
    resources:
      - files: { path: $data }
backups:
  bench:
    schedule: daily
    groups: [web]
    repository: $rdir
    password-file: $pw
    keep: { last: 10 }
YAML
      # Not timed: one small backup into a throwaway repository first, so the launcher's start-up
      # cache for backups (made once per build, by the first backup command after it) exists, as it
      # does for every backup but the first after an install.
      mkdir -p "$tmp/warm"; python3 "$repo/bench/lib/backupdata.py" make "$tmp/warm" 4 100 9
      sed -e "s|path: $data|path: $tmp/warm|" -e "s|repository: $rdir|repository: $tmp/repo-warm|" "$tmp/tandem.yaml" >"$tmp/warm.yaml"
      "$tandem" backup run -c "$tmp/warm.yaml" >"$tmp/warm.log" 2>&1 || { log "warm-up backup failed: $(tail -3 "$tmp/warm.log")"; exit 1; }
      rm -rf "$tmp/warm" "$tmp/repo-warm"
      step tandem "$variant" first "$rdir" -- "$tandem" backup run -c "$tmp/tandem.yaml"
      python3 "$repo/bench/lib/backupdata.py" change "$data" "$CHANGE_PCT" 2
      step tandem "$variant" second "$rdir" -- "$tandem" backup run -c "$tmp/tandem.yaml"
      step tandem "$variant" restore "$rdir" -- "$tandem" backup restore latest --target "$out" -c "$tmp/tandem.yaml"
      step tandem "$variant" verify "$rdir" -- "$tandem" backup verify --read-data 100% -c "$tmp/tandem.yaml"
      out="$out"
      ;;
    tandem-agent)
      local adir="$tmp/agent" warm="$tmp/agent-warm"
      rm -rf "$adir" "$warm"; mkdir -p "$adir" "$warm"
      [ "$AGENT_WARM_MIB" -gt 0 ] && python3 "$repo/bench/lib/backupdata.py" make "$warm" "$AGENT_WARM_MIB" $((AGENT_WARM_MIB * FILES / SIZE_MIB + 1)) 9
      "$tandem" init --cluster bench --node n1 --listen "127.0.0.1:$(free_port)" --api "127.0.0.1:$(free_port)" \
        -c "$adir/tandem.yaml" >"$adir/init.log" 2>&1 || { log "tandem init failed: $(tail -3 "$adir/init.log")"; exit 1; }
      cat >>"$adir/tandem.yaml" <<YAML
groups:
  web:
    nodes: { n1: primary }
    resources:
      - files: { path: $data }
  warm:
    nodes: { n1: primary }
    resources:
      - files: { path: $warm }
backups:
  bench: { schedule: "0 3 1 1 *", groups: [web], repository: $rdir, password-file: $pw, keep: { last: 10 } }
  warm: { schedule: "0 3 1 1 *", groups: [warm], repository: $tmp/repo-agent-warm, password-file: $pw, keep: { last: 10 } }
YAML
      "$tandem" run -c "$adir/tandem.yaml" >"$adir/agent.log" 2>&1 &
      agent_pid=$!
      local api; api=$(awk '/^  api:/ {print $2}' "$adir/tandem.yaml")
      for ((i = 0; i < 120; i++)); do curl -sf "http://$api/health" >/dev/null && break; sleep 0.5; done
      curl -sf "http://$api/health" >/dev/null || { log "the agent did not start: $(tail -5 "$adir/agent.log")"; exit 1; }
      # An agent that has taken backups before: a first and a second backup of another set, untimed.
      for w in 1 2; do
        [ "$AGENT_WARM_MIB" -gt 0 ] || break
        "$tandem" backup run -b warm -c "$adir/tandem.yaml" >"$tmp/warm.log" 2>&1 || { log "warm-up backup failed: $(tail -3 "$tmp/warm.log")"; exit 1; }
        grep -q "taken by this node's agent" "$tmp/warm.log" || { log "the warm-up backup was not the agent's: $(cat "$tmp/warm.log")"; exit 1; }
        python3 "$repo/bench/lib/backupdata.py" change "$warm" "$CHANGE_PCT" 3
      done
      log "agent warmed with 2 backups of $AGENT_WARM_MIB MiB; waiting until it is idle"
      agent_idle; log "agent idle"
      step tandem "$variant" first "$rdir" -- "$tandem" backup run -b bench -c "$adir/tandem.yaml"
      grep -q "taken by this node's agent" "$tmp/tandem-$variant-first.log" || { log "not the agent's run: $(cat "$tmp/tandem-$variant-first.log")"; exit 1; }
      python3 "$repo/bench/lib/backupdata.py" change "$data" "$CHANGE_PCT" 2
      step tandem "$variant" second "$rdir" -- "$tandem" backup run -b bench -c "$adir/tandem.yaml"
      kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true; agent_pid=""
      step tandem "$variant" restore "$rdir" -- "$tandem" backup restore latest -b bench --target "$out" -c "$adir/tandem.yaml"
      step tandem "$variant" verify "$rdir" -- "$tandem" backup verify -b bench --read-data 100% -c "$adir/tandem.yaml"
      rm -rf "$tmp/repo-agent-warm" "$warm"
      ;;
    restic)
      restic init -q -r "$rdir" --repository-version 2 >/dev/null
      step restic "$variant" first "$rdir" -- restic -q -r "$rdir" backup --compression auto "$data"
      python3 "$repo/bench/lib/backupdata.py" change "$data" "$CHANGE_PCT" 2
      step restic "$variant" second "$rdir" -- restic -q -r "$rdir" backup --compression auto "$data"
      step restic "$variant" restore "$rdir" -- restic -q -r "$rdir" restore latest --target "$out"
      step restic "$variant" verify "$rdir" -- restic -q -r "$rdir" check --read-data
      out="$out$data"
      ;;
    borg)
      borg init -e repokey-blake2 "$rdir" >/dev/null 2>&1
      local comp=lz4; [ "$variant" = zstd3 ] && comp=zstd,3
      step borg "$variant" first "$rdir" -- borg create --compression "$comp" "$rdir::one" "$data"
      python3 "$repo/bench/lib/backupdata.py" change "$data" "$CHANGE_PCT" 2
      step borg "$variant" second "$rdir" -- borg create --compression "$comp" "$rdir::two" "$data"
      mkdir -p "$out"
      step borg "$variant" restore "$rdir" -- bash -c "cd '$out' && borg extract '$rdir::two'"
      step borg "$variant" verify "$rdir" -- borg check --verify-data "$rdir"
      out="$out$data"
      ;;
  esac
  if diff -rq "$data" "$out" >/dev/null; then log "$tool ($variant): restore identical"; else log "$tool ($variant): RESTORE DIFFERS"; fi
  fresh_fs_drop "$fs"
  [ "${KEEP_DIR:-0}" = 1 ] || rm -rf "$fs"
}

for ((round = 1; round <= ROUNDS; round++)); do
order="$TOOLS"
# Every other round the other way round, so no tool always runs first (or right after another's clean-up).
[ $((round % 2)) = 0 ] && order="$(echo $TOOLS | tr ' ' '\n' | tac | tr '\n' ' ')"
[ "$ROUNDS" -gt 1 ] && log "round $round of $ROUNDS: $order"
for t in $order; do
  case "$t" in
    tandem) run_tool tandem zstd3 ;;
    tandem-agent) run_tool tandem-agent zstd3-agent ;;
    restic) command -v restic >/dev/null && run_tool restic auto || log "restic not installed: skipped" ;;
    borg) if command -v borg >/dev/null; then run_tool borg lz4; run_tool borg zstd3; else log "borg not installed: skipped"; fi ;;
  esac
done
done

python3 - "$results" "$bytes" "$SIZE_MIB" "$FILES" "$CHANGE_PCT" "$(fresh_fs_describe)" "$ROUNDS" <<'PY'
import json, sys, datetime, collections, statistics
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
data_bytes = int(sys.argv[2])
rounds = int(sys.argv[7])
# Every round's figures, then the median of each (peak RSS: the largest).
runs = collections.OrderedDict()
for tool, variant, step, secs, rss, size, cpu, rnd in rows:
    runs.setdefault((tool, variant), collections.OrderedDict()).setdefault(step, []).append(
        {"round": int(rnd), "s": float(secs), "cpu_s": float(cpu), "rss_mib": int(rss) / 1024, "repo_mib": int(size) / 1048576})
res = collections.OrderedDict()
for key, steps in runs.items():
    res[key] = {step: {"s": statistics.median(x["s"] for x in xs), "cpu_s": statistics.median(x["cpu_s"] for x in xs),
                       "rss_mib": max(x["rss_mib"] for x in xs), "repo_mib": statistics.median(x["repo_mib"] for x in xs),
                       "rounds": xs} for step, xs in steps.items()}
if rounds > 1:
    print("medians of %d rounds (each step's seconds per round in brackets)" % rounds)
print("%-16s %10s %10s %10s %10s %10s %10s %9s" % ("tool", "first MB/s", "second s", "restore s", "verify s", "repo MiB", "repo2 MiB", "peak MiB"))
for (tool, variant), st in res.items():
    f = st.get("first", {}); s2 = st.get("second", {})
    print("%-16s %10.0f %10.2f %10.2f %10.2f %10.0f %10.0f %9.0f" % (tool + "/" + variant, data_bytes / f.get("s", float("nan")) / 1e6,
          s2.get("s", float("nan")), st.get("restore", {}).get("s", float("nan")), st.get("verify", {}).get("s", float("nan")),
          f.get("repo_mib", float("nan")), s2.get("repo_mib", float("nan")), max(x["rss_mib"] for x in st.values())))
# CPU seconds (user + system) are less at the mercy of other load on the machine than wall time.
if rounds > 1:
    for (tool, variant), st in res.items():
        print("%-16s %s" % (tool + "/" + variant, "; ".join("%s %s" % (k, " ".join("%.2f" % x["s"] for x in v["rounds"]))
              for k, v in st.items())))
print("%-16s %10s %10s %10s %10s" % ("CPU s", "first", "second", "restore", "verify"))
for (tool, variant), st in res.items():
    print("%-16s %10.2f %10.2f %10.2f %10.2f" % ((tool + "/" + variant,) + tuple(st.get(k, {}).get("cpu_s", float("nan"))
          for k in ("first", "second", "restore", "verify"))))
r = res.get(("restic", "auto"))
for label, key in (("tandem", ("tandem", "zstd3")), ("tandem through its agent", ("tandem", "zstd3-agent"))):
    t = res.get(key)
    if r and t:
        print("%s vs restic: first backup %.2fx faster, second %.2fx, restore %.2fx, verify %.2fx; repository %.2fx restic's" % (
            label, r["first"]["s"] / t["first"]["s"], r["second"]["s"] / t["second"]["s"], r["restore"]["s"] / t["restore"]["s"],
            r["verify"]["s"] / t["verify"]["s"], t["second"]["repo_mib"] / r["second"]["repo_mib"]))
    for bv in ("lz4", "zstd3"):
        b = res.get(("borg", bv))
        if b and t:
            print("%s vs borg (%s): first backup %.2fx faster, second %.2fx" % (label, bv, b["first"]["s"] / t["first"]["s"],
                  b["second"]["s"] / t["second"]["s"]))
print("BENCH_JSON " + json.dumps({"bench": "backup", "date": datetime.datetime.utcnow().isoformat() + "Z", "size_mib": int(sys.argv[3]),
      "files": int(sys.argv[4]), "change_pct": float(sys.argv[5]), "data_bytes": data_bytes, "file_systems": sys.argv[6], "rounds": rounds,
      "results": {"%s/%s" % k: v for k, v in res.items()}}))
PY

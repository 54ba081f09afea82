#!/usr/bin/env bash
# File-replication benchmark: tandem's `files` resource side by side with rsync, lsyncd and Syncthing,
# all on 127.0.0.1 in one run (see the "File replication" section of bench/README.md).
#
# Scenarios (SCENARIOS, names or numbers; default "latency small big delta"):
#   latency (1)  a plain write of a new 4 KiB file on the source -> the replica holds it with the right
#                size and content, seen by an inotify watch on the replica; p50/p99 of LAT_SAMPLES (50)
#                samples with random gaps (LAT_GAP_MIN..LAT_GAP_MAX s); LAT_SLOW_SAMPLES (4) for the
#                tools' default delays (Syncthing fsWatcherDelayS=10, lsyncd delay=15).
#   small (2)    initial sync of SMALL_FILES (20000) files of 1-16 KiB (fixed seed) in SMALL_DIRS (200)
#                nested dirs: seconds until the replica tree is identical (names, sizes, SHA-256), bytes
#                on the wire, peak RSS of the tool's processes (5: memory)
#   big (3)      initial sync of BIG_FILES (20) x BIG_MIB (50) MiB random files: MB/s (10^6 B/s)
#   delta (4)    a DELTA_MIB (1024) MiB random file in sync on both sides; then 100 bytes inserted at
#                500 MiB (new content written outside the synced dir and renamed over the file, as an
#                editor saves) and, after that, 1 MiB overwritten in place at 512 MiB (like dd
#                conv=notrunc): bytes on the wire and seconds until the replica is identical
# Tools (TOOLS, default "rsync lsyncd syncthing tandem"):
#   rsync        to an rsync daemon, over sshd (own host key and user key, -e 'ssh -p P -i KEY'), and with
#                --fsync to the daemon (small only); latency: "inotifywait + rsync of changed paths"
#   lsyncd       latency only (its transfers are rsync), with delay in LSYNCD_DELAYS ("15 0"; 15 = default)
#   syncthing    two instances (own homes, GUI/API and sync port on 127.0.0.1, discovery, relays, NAT,
#                usage reports and upgrades off, setLowPriority=false unless ST_LOW_PRIORITY=1), default
#                sendreceive folders on both sides; fsWatcherDelayS in ST_DELAYS ("10 1"; 10 = default)
#   tandem       two data nodes n1 (primary) and n2 (passive) with a `files` resource each (no witness);
#                skipped with a one-line reason when `tandem check-config` rejects the `files` key
# Bytes on the wire: an nftables table of our own (inet, hook input, priority -300, policy accept) counts
# every TCP packet on lo whose source or destination port is one of the tool's data ports (IP length,
# headers included, each packet once); the delta of the counters over a measurement is reported.
# Environment: TOOLS, SCENARIOS, LAT_SAMPLES (50), LAT_SLOW_SAMPLES (4), LAT_GAP_MIN (0.2), LAT_GAP_MAX
# (1.0), SMALL_FILES, SMALL_DIRS, BIG_FILES, BIG_MIB, DELTA_MIB, SYNC_TIMEOUT_S (300), READY_TIMEOUT_S
# (60), LSYNCD_DELAYS, ST_DELAYS, ST_LOW_PRIORITY, TANDEM_INITIAL (move | start), SKIP_BUILD=1,
# BENCH_OUT=file (append the JSON line), KEEP_DIR=1 (keep the temp dir), RSYNC_VARIANTS (small: "daemon ssh
# daemon-fsync"; big: "daemon ssh"; only those listed run).
# Trees a part is done with are moved aside (`discard`) and removed only at exit: on ext4 without a
# journal (this machine's root), creating files within ~30 s of freeing thousands of inodes costs several
# times the usual kernel CPU (the inode allocator skips recently deleted inodes one by one), so removing
# one tool's 20,000 files would slow the next tool's run. And each tool's replica of an initial sync
# (small, big) is a fresh ext4 of its own (bench/lib/freshfs.sh; FRESH_FS=0 to write into the temp dir):
# the other sessions' and benchmarks' deletes on the shared root no longer decide who wins.
# Output: a human report on stdout and one line starting with "BENCH_JSON " (JSON). Exit 0, or 4 when a
# tool's part failed (reported in the notes; the other tools' results are still printed).
set -euo pipefail

TOOLS="${TOOLS:-rsync lsyncd syncthing tandem}"
SCENARIOS="${SCENARIOS:-latency small big delta}"
LAT_SAMPLES="${LAT_SAMPLES:-50}"
LAT_SLOW_SAMPLES="${LAT_SLOW_SAMPLES:-4}"
LAT_GAP_MIN="${LAT_GAP_MIN:-0.2}"
LAT_GAP_MAX="${LAT_GAP_MAX:-1.0}"
SMALL_FILES="${SMALL_FILES:-20000}"
SMALL_DIRS="${SMALL_DIRS:-200}"
BIG_FILES="${BIG_FILES:-20}"
BIG_MIB="${BIG_MIB:-50}"
DELTA_MIB="${DELTA_MIB:-1024}"
SYNC_TIMEOUT_S="${SYNC_TIMEOUT_S:-300}"
READY_TIMEOUT_S="${READY_TIMEOUT_S:-60}"
LSYNCD_DELAYS="${LSYNCD_DELAYS:-15 0}"
ST_DELAYS="${ST_DELAYS:-10 1}"
ST_LOW_PRIORITY="${ST_LOW_PRIORITY:-0}"
TANDEM_INITIAL="${TANDEM_INITIAL:-move}"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lib="$repo/bench/lib"
fsb() { python3 "$lib/fsbench.py" "$@"; }

# Scenario numbers -> names.
scen=" "
for s in $SCENARIOS; do
  case "$s" in 1|latency) scen+="latency ";; 2|small) scen+="small ";; 3|big) scen+="big ";; 4|delta) scen+="delta ";;
    5|memory) ;; # RSS is recorded in small and big
    *) echo "files.sh: unknown scenario '$s' (latency small big delta, or 1-4)" >&2; exit 2;; esac
done
has_scen() { [[ "$scen" == *" $1 "* ]]; }
has_tool() { [[ " $TOOLS " == *" $1 "* ]]; }

tmp="$(mktemp -d /tmp/tandem-bench-files.XXXXXX)"
results="$tmp/results.jsonl"
: >"$results"
nft_table="tandem_bench_files_$$"
RSYNC_VARIANTS="${RSYNC_VARIANTS:-daemon ssh daemon-fsync}"
source "$lib/freshfs.sh"
# Initial syncs write into a fresh ext4 of their own (bench/lib/freshfs.sh; FRESH_FS=0: the temp dir).
INITIAL_FS_MIB=$(( BIG_FILES * BIG_MIB * 2 + 1024 ))
discard() { # paths: moved into $tmp/trash (a rename, no inode freed), removed at exit; fresh file systems under them unmounted
  local p m; mkdir -p "$tmp/trash"
  for p in "$@"; do for m in "${fresh_fs_mounts[@]}"; do
    [[ "${m%%|*}" == "$p" || "${m%%|*}" == "$p"/* ]] && fresh_fs_drop "${m%%|*}"; done; done
  for p in "$@"; do [ -e "$p" ] && mv "$p" "$(mktemp -d "$tmp/trash/t.XXXXXX")/"; done; return 0
}
wire_ok=0

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
now() { date +%s.%N; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.3f", a - b }'; }

# ---------------------------------------------------------------------------------------------
# Processes we started: every pid goes to $tmp/pids.<owner> (owner "main" for the servers shared by the
# scenarios, "part" for those of one scenario run, which runs in a subshell). Killing checks that the
# command line still names our temp dir (guards pid reuse).
spawn() { # owner logfile cmd... -> SPAWNED
  local owner=$1 lf=$2; shift 2
  "$@" >>"$lf" 2>&1 &
  SPAWNED=$!
  echo "$SPAWNED" >>"$tmp/pids.$owner"
}
is_ours() { # pid [pattern]: alive (not a zombie) and its command line contains pattern (default: our temp dir)
  [ -r "/proc/$1/cmdline" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ] &&
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "${2:-$tmp}"
}
stop_pid() { # pid [pattern]: TERM, up to 5 s, then KILL
  local p=$1 i
  is_ours "$p" "${2:-}" || return 0
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 1 50); do is_ours "$p" "${2:-}" || break; sleep 0.1; done
  if is_ours "$p" "${2:-}"; then kill -KILL "$p" 2>/dev/null || true; fi
  { wait "$p" 2>/dev/null || true; } 2>/dev/null
}
kill_owner() { # owner; lines are "pid" or "pid pattern"
  local f="$tmp/pids.$1" p pat
  [ -f "$f" ] || return 0
  while read -r p pat; do stop_pid "$p" "$pat"; done < <(tac "$f")
  rm -f "$f"
}

cleanup() {
  local rc=$? f
  trap - EXIT INT TERM
  exec 3>&2 2>/dev/null
  for f in "$tmp"/pids.*; do [ -e "$f" ] && kill_owner "${f##*/pids.}"; done
  [ "$wire_ok" = 1 ] && nft delete table inet "$nft_table" 2>/dev/null
  fresh_fs_cleanup
  exec 2>&3 3>&-
  if [ "${KEEP_DIR:-0}" = 1 ] || [ "$rc" -ne 0 ] || [ -e "$tmp/.keep" ]; then
    echo "files.sh: exit $rc; temp dir and logs kept in $tmp" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# Results: one JSON object per line; `emit k=v ...` (numbers, true/false/null and JSON stay raw).
emit() {
  local args=() kv k v
  for kv in "$@"; do
    k="${kv%%=*}"; v="${kv#*=}"
    if [[ "$v" =~ ^-?[0-9]+(\.[0-9]+)?$ || "$v" =~ ^(true|false|null)$ || "$v" == "{"* || "$v" == "["* ]]; then
      args+=(--argjson "$k" "$v")
    else
      args+=(--arg "$k" "$v")
    fi
  done
  jq -nc '$ARGS.named' "${args[@]}" >>"$results"
}
note() { log "note: $*"; emit scenario=note text="$*"; }

# Runs one scenario for one tool in a subshell, so that a failure (a timeout, a tool that does not
# start) is reported and the other tools still run. Processes it started are killed afterwards.
part() { # tool scenario function args...
  local tool=$1 sc=$2 rc=0; shift 2
  log "--- $sc: $tool"
  set +e
  ( set -e; "$@" ) # not in a || list, so that set -e holds inside
  rc=$?
  set -e
  kill_owner part
  if [ "$rc" -ne 0 ]; then
    note "$tool/$sc failed (exit $rc); its logs are kept in $tmp"
    touch "$tmp/.keep"
  fi
  return 0
}

# ---------------------------------------------------------------------------------------------
# Ports.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && ! ss -Htan "sport = :$1" 2>/dev/null | grep -q .; }
free_port() { # [pair] -> a free port in 20000-39999 (and port+1 free too with "pair") not handed out before
  local p i # (handed-out ports are kept in a file: free_port runs in $(...) subshells)
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
    grep -qx -e "$p" -e "$((p + 1))" "$tmp/ports.used" 2>/dev/null && continue
    port_free "$p" || continue
    if [ "${1:-}" = pair ]; then port_free $((p + 1)) || continue; fi
    printf '%s\n%s\n' "$p" "$((p + 1))" >>"$tmp/ports.used"
    echo "$p"; return
  done
  die "no free port"
}
listen_ports_of() { # pid... -> TCP ports these processes listen on (ss -p)
  local p
  for p in "$@"; do ss -Htlnp 2>/dev/null | grep "pid=$p," | awk '{ n = split($4, a, ":"); print a[n] }'; done | sort -un
}

# ---------------------------------------------------------------------------------------------
# Bytes on the wire: our own nftables table counting TCP on lo to/from a set of ports.
wire_init() {
  if command -v nft >/dev/null && nft -f - 2>"$tmp/nft.err" <<EOF
table inet $nft_table {
  set ports { type inet_service; }
  chain count {
    type filter hook input priority -300; policy accept;
    iif "lo" tcp dport @ports counter accept
    iif "lo" tcp sport @ports counter accept
  }
}
EOF
  then wire_ok=1
  else note "bytes on the wire not measured: nftables unavailable ($(head -1 "$tmp/nft.err" 2>/dev/null))"
  fi
}
wire_ports() { # port... : the set of ports counted from now on
  [ "$wire_ok" = 1 ] || return 0
  nft flush set inet "$nft_table" ports
  local IFS=,
  [ $# -gt 0 ] && nft add element inet "$nft_table" ports "{ $* }"
  return 0
}
wire_read() { # -> bytes counted so far (both rules), or null
  [ "$wire_ok" = 1 ] || { echo null; return; }
  nft -j list chain inet "$nft_table" count | jq '[.nftables[] | .rule? // empty | .expr[] | .counter? // empty | .bytes] | add // 0'
}
wire_delta() { [ "$1" = null ] && echo null || echo $(($(wire_read) - $1)); }

# RSS sampler over pids and their descendants.
rss_n=0
rss_start() { # pid... -> RSS_PID, RSS_OUT (not in a subshell)
  rss_n=$((rss_n + 1)); RSS_OUT="$tmp/rss.$BASHPID.$rss_n.json"
  spawn part "$tmp/rss.log" python3 "$lib/fsbench.py" rss "$RSS_OUT" "$@"; RSS_PID=$SPAWNED
}
rss_stop() { # -> peak MiB of the sum over the processes, or null
  kill -TERM "$RSS_PID" 2>/dev/null || true
  local i; for i in $(seq 1 50); do [ -s "$RSS_OUT" ] && break; sleep 0.1; done
  jq -r '.peak_mib // "null"' "$RSS_OUT" 2>/dev/null || echo null
}

wait_for() { # timeout_s description command...: polls every 0.1 s
  local to=$1 what=$2 deadline; shift 2
  deadline=$(($(date +%s) + to))
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || die "timeout after ${to}s waiting for $what"
    sleep 0.1
  done
}

# ---------------------------------------------------------------------------------------------
# Data sets (made once, shared read-only by the tools through hard-link copies).
data="$tmp/data"
mkdir -p "$data" "$tmp/stage"
gen_small() { [ -d "$data/small" ] && return; log "making $SMALL_FILES small files"; fsb gen-small "$data/small" "$SMALL_FILES" "$SMALL_DIRS" 42 >"$tmp/small.info"; fsb manifest "$data/small" "$tmp/small.manifest"; }
gen_big() { [ -d "$data/big" ] && return; log "making $BIG_FILES x $BIG_MIB MiB"; fsb gen-big "$data/big" "$BIG_FILES" "$BIG_MIB" 7; fsb manifest "$data/big" "$tmp/big.manifest"; }
gen_delta() { [ -d "$data/delta" ] && return; log "making a $DELTA_MIB MiB file"; fsb gen-big "$data/delta" 1 "$DELTA_MIB" 9; }
small_desc() { echo "$SMALL_FILES files of 1-16 KiB in $SMALL_DIRS dirs, $(jq .bytes "$tmp/small.info") bytes"; }
big_bytes() { echo $((BIG_FILES * BIG_MIB * 1048576)); }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", b / 1e6 / s; else print "null" }'; }
INS_AT=$((500 * 1048576)); OVR_AT=$((512 * 1048576))
[ "$DELTA_MIB" -le 512 ] && { INS_AT=$((DELTA_MIB * 1048576 / 2)); OVR_AT=$((DELTA_MIB * 1048576 / 2 + 4096)); }
ins_case="insert 100 B at $((INS_AT / 1048576)) MiB (rename of new content)"
ovr_case="overwrite 1 MiB in place at $((OVR_AT / 1048576)) MiB"
sync_case="already in sync: start/first pass (checking only)"

# Waits until a sentinel file made in src shows up in dst (readiness of a continuous tool).
wait_sentinel() { # src dst timeout
  echo "$RANDOM" >"$1/sentinel.txt"
  wait_for "$3" "the sentinel file to reach $2" cmp -s "$1/sentinel.txt" "$2/sentinel.txt"
}

latency_run() { # tool variant src dst samples timeout
  local out
  out="$(fsb latency "$3" "$4" "$5" "$LAT_GAP_MIN" "$LAT_GAP_MAX" "$6" 4096)"
  jq -c --arg t "$1" --arg v "$2" '{scenario: "latency", tool: $t, variant: $v} + .' <<<"$out" >>"$results"
  log "$1 $2: $(jq -r '"p50 \(.p50_ms // "-") ms, p99 \(.p99_ms // "-") ms, n \(.n), timeouts \(.timeouts)"' <<<"$out")"
}

# ===========================================================================================
# rsync: a daemon and an sshd of our own.
rsyncd_port=""; sshd_port=""
rsyncd_start() {
  rsyncd_port="$(free_port)"
  mkdir -p "$tmp/rsyncd/root"
  cat >"$tmp/rsyncd/rsyncd.conf" <<EOF
use chroot = no
address = 127.0.0.1
log file = $tmp/rsyncd/rsyncd.log
[m]
  path = $tmp/rsyncd/root
  read only = no
  uid = root
  gid = root
EOF
  spawn main "$tmp/rsyncd/out.log" rsync --daemon --no-detach --address=127.0.0.1 --port="$rsyncd_port" --config="$tmp/rsyncd/rsyncd.conf"
  rsyncd_pid=$SPAWNED
  wait_for 10 "rsync daemon on 127.0.0.1:$rsyncd_port" eval '! port_free $rsyncd_port'
  log "rsync daemon pid $rsyncd_pid on 127.0.0.1:$rsyncd_port"
}
sshd_start() {
  sshd_port="$(free_port)"
  local d="$tmp/ssh"; mkdir -p "$d"; chmod 700 "$d"
  ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$d/user_key"
  cp "$d/user_key.pub" "$d/authorized_keys"
  cat >"$d/sshd_config" <<EOF
Port $sshd_port
ListenAddress 127.0.0.1
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
EOF
  [ -d /run/sshd ] || mkdir -p /run/sshd # sshd's privilege-separation dir (the package expects it)
  spawn main "$d/sshd.log" /usr/sbin/sshd -D -e -f "$d/sshd_config"
  sshd_pid=$SPAWNED
  wait_for 10 "sshd on 127.0.0.1:$sshd_port" eval '! port_free $sshd_port'
  ssh_cmd="ssh -p $sshd_port -i $d/user_key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
  local t0; t0="$(now)"
  $ssh_cmd root@127.0.0.1 true || die "ssh to our sshd failed; see $d/sshd.log"
  note "ssh connection set-up (ssh root@127.0.0.1 true, included in every rsync-over-ssh time): $(since "$t0") s"
  log "sshd pid $sshd_pid on 127.0.0.1:$sshd_port"
}

# rsync_copy variant src dst_dir -> RS_SECONDS RS_BYTES RS_RSS (dst_dir is under the daemon's module root)
rsync_copy() {
  local v=$1 src=$2 dst=$3 target port server b0 t0 rc=0
  local args=(-a)
  case "$v" in
    daemon) target="rsync://127.0.0.1:$rsyncd_port/m/${dst#"$tmp/rsyncd/root/"}/"; port=$rsyncd_port; server=$rsyncd_pid ;;
    daemon-fsync) target="rsync://127.0.0.1:$rsyncd_port/m/${dst#"$tmp/rsyncd/root/"}/"; port=$rsyncd_port; server=$rsyncd_pid; args+=(--fsync) ;;
    ssh) target="root@127.0.0.1:$dst/"; port=$sshd_port; server=$sshd_pid; args+=(-e "$ssh_cmd") ;;
  esac
  wire_ports "$port"; b0="$(wire_read)"
  t0="$(now)"
  rsync "${args[@]}" "$src/" "$target" >>"$tmp/rsync.log" 2>&1 &
  local rp=$!
  rss_start "$rp" "$server"
  wait "$rp" || rc=$?
  RS_SECONDS="$(since "$t0")"
  RS_BYTES="$(wire_delta "$b0")"
  RS_RSS="$(rss_stop)"
  [ "$rc" -eq 0 ] || die "rsync ($v) exit $rc; see $tmp/rsync.log"
}

rsync_initial() { # scenario(small|big) variant
  local sc=$1 v=$2 dst="$tmp/rsyncd/root/$1-$2" ok=false
  discard "$dst"; fresh_fs "$dst" "$INITIAL_FS_MIB"
  rsync_copy "$v" "$data/$sc" "$dst"
  fsb verify "$tmp/$sc.manifest" "$dst" && ok=true
  local extra=()
  [ "$sc" = big ] && extra=(mb_s="$(mbps "$(big_bytes)" "$RS_SECONDS")")
  [ "$sc" = small ] && extra=(dataset="$(small_desc)")
  [ "$sc" = big ] && extra+=(dataset="$BIG_FILES x $BIG_MIB MiB")
  emit scenario="$sc" tool=rsync variant="$v" seconds="$RS_SECONDS" wire_bytes="$RS_BYTES" rss_peak_mib="$RS_RSS" ok="$ok" "${extra[@]}"
  log "rsync $v: $RS_SECONDS s, $RS_BYTES bytes on the wire, peak RSS $RS_RSS MiB, identical: $ok"
  discard "$dst"
}

rsync_delta() {
  local d="$tmp/rsync-delta" dst="$tmp/rsyncd/root/delta" ok out t0 sha
  mkdir -p "$d/src" "$dst"
  cp -p "$data/delta/big00.bin" "$d/src/big.bin"; cp -p "$data/delta/big00.bin" "$dst/big.bin"
  rsync_copy daemon "$d/src" "$dst"
  emit scenario=delta tool=rsync variant=daemon case="$sync_case" seconds="$RS_SECONDS" wire_bytes="$RS_BYTES" ok=true
  for c in insert overwrite; do
    if [ "$c" = insert ]; then out="$(fsb edit-insert "$d/src/big.bin" "$INS_AT" 100 "$tmp/stage" 11)"; cs="$ins_case"
    else out="$(fsb edit-overwrite "$d/src/big.bin" "$OVR_AT" 1048576 12)"; cs="$ovr_case"; fi
    sha="$(jq -r .sha256 <<<"$out")"
    rsync_copy daemon "$d/src" "$dst"
    ok=false; [ "$(sha256sum <"$dst/big.bin" | cut -d' ' -f1)" = "$sha" ] && ok=true
    emit scenario=delta tool=rsync variant=daemon case="$cs" seconds="$RS_SECONDS" wire_bytes="$RS_BYTES" ok="$ok"
    log "rsync daemon, $cs: $RS_SECONDS s, $RS_BYTES bytes on the wire, identical: $ok"
  done
  discard "$d" "$dst"
}

# "inotifywait + rsync of changed paths": every batch of close_write/moved_to events -> one rsync.
rsync_inotify_latency() {
  local src="$tmp/inw/src" dst="$tmp/rsyncd/root/inw"
  mkdir -p "$src" "$dst"
  mkfifo "$tmp/inw/fifo"
  cat >"$tmp/inw/push.sh" <<PUSH
#!/usr/bin/env bash
# Reads changed paths from inotifywait through the fifo \$1, pushes each batch with one rsync.
exec <"\$1"
while IFS= read -r f; do
  list=("\${f#$src/}")
  while IFS= read -r -t 0.002 g; do list+=("\${g#$src/}"); done
  printf '%s\n' "\${list[@]}" | rsync -a --files-from=- "$src/" "rsync://127.0.0.1:$rsyncd_port/m/inw/"
done
PUSH
  spawn part "$tmp/inw/push.log" bash "$tmp/inw/push.sh" "$tmp/inw/fifo"
  spawn part "$tmp/inw/inotifywait.log" inotifywait -m -r -e close_write,moved_to --format '%w%f' -o "$tmp/inw/fifo" "$src"
  wait_for 10 "inotifywait to set up its watches" grep -q "Watches established" "$tmp/inw/inotifywait.log"
  wait_sentinel "$src" "$dst" 20
  latency_run rsync "inotifywait + rsync (daemon)" "$src" "$dst" "$LAT_SAMPLES" 30
}

# ===========================================================================================
# lsyncd (default.rsync to our rsync daemon), latency only.
lsyncd_latency() { # delay
  local dl=$1 d="$tmp/lsyncd-$1" dst="$tmp/rsyncd/root/lsyncd-$1" n="$LAT_SAMPLES" v
  mkdir -p "$d/src" "$dst"
  cat >"$d/lsyncd.conf" <<EOF
settings { logfile = "$d/lsyncd.log", statusFile = "$d/lsyncd.status", nodaemon = true, insist = true }
sync { default.rsync, source = "$d/src", target = "rsync://127.0.0.1:$rsyncd_port/m/lsyncd-$dl/", delay = $dl,
       rsync = { archive = true } }
EOF
  spawn part "$d/out.log" lsyncd "$d/lsyncd.conf"
  wait_sentinel "$d/src" "$dst" $((dl * 2 + 30))
  v="delay=$dl"; [ "$dl" = 15 ] && v="delay=15 (default)"
  [ "$dl" -ge 5 ] && n="$LAT_SLOW_SAMPLES"
  latency_run lsyncd "$v" "$d/src" "$dst" "$n" $((dl * 2 + 30))
}

# ===========================================================================================
# Syncthing: two instances a (source) and b (replica), connected by static addresses.
declare -A st_gui=() st_sync=() st_id=() st_pid=()
st_key="fsbench$RANDOM$RANDOM"
st_api() { # inst method path [json]
  local a=(-s -m 30 -H "X-API-Key: $st_key" -X "$2")
  [ $# -ge 4 ] && a+=(-H 'Content-Type: application/json' -d "$4")
  curl "${a[@]}" "http://127.0.0.1:${st_gui[$1]}/rest/$3"
}
st_start() {
  local i peer
  for i in a b; do
    mkdir -p "$tmp/st/$i"
    st_gui[$i]="$(free_port)"; st_sync[$i]="$(free_port)"
    syncthing generate --home="$tmp/st/$i" --no-default-folder --skip-port-probing >"$tmp/st/$i/generate.log" 2>&1
    st_id[$i]="$(sed -n 's/.*Device ID: *\([A-Z0-9-]*\).*/\1/p' "$tmp/st/$i/generate.log" | head -1)"
    [ -n "${st_id[$i]}" ] || die "syncthing generate printed no device ID; see $tmp/st/$i/generate.log"
  done
  for i in a b; do
    peer=b; [ "$i" = b ] && peer=a
    fsb st-config "$tmp/st/$i" "${st_gui[$i]}" "$st_key" "${st_sync[$i]}" "${st_id[$peer]}" "$peer" "${st_sync[$peer]}" "$ST_LOW_PRIORITY"
    STNOUPGRADE=1 spawn main "$tmp/st/$i/out.log" syncthing serve --home="$tmp/st/$i" --no-browser --no-restart \
      --no-upgrade --logfile="$tmp/st/$i/syncthing.log"
    st_pid[$i]=$SPAWNED
  done
  for i in a b; do
    peer=b; [ "$i" = b ] && peer=a
    wait_for "$READY_TIMEOUT_S" "syncthing $i's API on 127.0.0.1:${st_gui[$i]}" eval "st_api $i GET system/ping | grep -q pong"
    wait_for "$READY_TIMEOUT_S" "syncthing $i connected to $peer" \
      eval "st_api $i GET system/connections | jq -e '.connections[\"${st_id[$peer]}\"].connected' >/dev/null"
  done
  log "syncthing a (pid ${st_pid[a]}, api ${st_gui[a]}, sync ${st_sync[a]}) <-> b (pid ${st_pid[b]}, api ${st_gui[b]}, sync ${st_sync[b]}) connected"
}
st_add_folder() { # id src dst watcher_delay (default folder type sendreceive on both sides)
  local i p json
  for i in b a; do
    p="$2"; [ "$i" = b ] && p="$3"
    json="$(jq -nc --arg id "$1" --arg p "$p" --arg a "${st_id[a]}" --arg b "${st_id[b]}" --argjson d "$4" \
      '{id: $id, label: $id, path: $p, devices: [{deviceID: $a}, {deviceID: $b}], fsWatcherEnabled: true,
        fsWatcherDelayS: $d, rescanIntervalS: 3600}')"
    st_api "$i" POST config/folders "$json" >/dev/null || die "syncthing $i: adding folder $1 failed"
  done
}
st_del_folder() { local i; for i in a b; do st_api "$i" DELETE "config/folders/$1" >/dev/null || true; done; }
st_in_sync() { # id nfiles: both idle with nfiles scanned, b needs nothing, a sees b complete
  st_api a GET "db/status?folder=$1" | jq -e --argjson n "$2" '.state == "idle" and .localFiles == $n and .globalFiles == $n' >/dev/null &&
  st_api b GET "db/status?folder=$1" | jq -e --argjson n "$2" '.state == "idle" and .needTotalItems == 0 and .localFiles == $n and .globalFiles == $n' >/dev/null &&
  st_api a GET "db/completion?folder=$1&device=${st_id[b]}" | jq -e '.completion == 100' >/dev/null
}

st_latency() { # delay
  local dl=$1 id="lat$1" n="$LAT_SAMPLES" v
  mkdir -p "$tmp/st/$id-src" "$tmp/st/$id-dst"
  st_add_folder "$id" "$tmp/st/$id-src" "$tmp/st/$id-dst" "$dl"
  wait_sentinel "$tmp/st/$id-src" "$tmp/st/$id-dst" $((dl * 3 + 60))
  v="fsWatcherDelayS=$dl"; [ "$dl" = 10 ] && v="fsWatcherDelayS=10 (default)"
  [ "$dl" -ge 5 ] && n="$LAT_SLOW_SAMPLES"
  latency_run syncthing "$v" "$tmp/st/$id-src" "$tmp/st/$id-dst" "$n" $((dl * 3 + 30))
  st_del_folder "$id"
}

# Initial sync: the source dir holds the data (hard links), the replica dir is empty; t0 = adding the
# folder to both instances (replica first); done = the replica tree is identical.
st_initial() { # scenario
  local sc=$1 id="init$1" src="$tmp/st/init$1-src" dst="$tmp/st/init$1-dst" b0 t0 out secs ok rss extra=()
  cp -al "$data/$sc" "$src"; fresh_fs "$dst" "$INITIAL_FS_MIB"
  wire_ports "${st_sync[a]}" "${st_sync[b]}"; b0="$(wire_read)"
  rss_start "${st_pid[a]}" "${st_pid[b]}"
  t0="$(now)"
  st_add_folder "$id" "$src" "$dst" 10
  out="$(fsb wait-tree "$tmp/$sc.manifest" "$dst" "$t0" "$SYNC_TIMEOUT_S")"
  local bytes; bytes="$(wire_delta "$b0")"; rss="$(rss_stop)"
  secs="$(jq -r '.seconds // "null"' <<<"$out")"; ok="$(jq -r .ok <<<"$out")"
  [ "$sc" = big ] && extra=(mb_s="$(mbps "$(big_bytes)" "$secs")" dataset="$BIG_FILES x $BIG_MIB MiB")
  [ "$sc" = small ] && extra=(dataset="$(small_desc)")
  emit scenario="$sc" tool=syncthing variant="add folder (scan + sync)" seconds="$secs" wire_bytes="$bytes" rss_peak_mib="$rss" ok="$ok" "${extra[@]}"
  log "syncthing: $secs s, $bytes bytes on the wire, peak RSS (both instances) $rss MiB, identical: $ok"
  st_del_folder "$id"; discard "$src" "$dst"
  [ "$ok" = true ] || die "syncthing did not finish the initial sync of $sc: $out"
}

# Delta: the same file on both sides (cp -p) before the folder is added; wait until both instances
# agree; then each change, a rescan of that file requested on a (so no watcher delay), and the wait
# until b's file has the new content.
st_delta() {
  local id=delta src="$tmp/st/delta-src" dst="$tmp/st/delta-dst" b0 t0 out sha secs bytes ok c cs
  mkdir -p "$src" "$dst"
  cp -p "$data/delta/big00.bin" "$src/big.bin"; cp -p "$data/delta/big00.bin" "$dst/big.bin"
  wire_ports "${st_sync[a]}" "${st_sync[b]}"; b0="$(wire_read)"
  t0="$(now)"
  st_add_folder "$id" "$src" "$dst" 1
  sleep 1
  wait_for "$SYNC_TIMEOUT_S" "syncthing to agree on the pre-synced file" st_in_sync "$id" 1
  secs="$(since "$t0")"; bytes="$(wire_delta "$b0")"
  emit scenario=delta tool=syncthing variant="rescan requested" case="$sync_case" seconds="$secs" wire_bytes="$bytes" ok=true
  log "syncthing: pre-synced file agreed after $secs s (both scanned it), $bytes bytes"
  for c in insert overwrite; do
    b0="$(wire_read)"
    if [ "$c" = insert ]; then out="$(fsb edit-insert "$src/big.bin" "$INS_AT" 100 "$tmp/stage" 11)"; cs="$ins_case"
    else out="$(fsb edit-overwrite "$src/big.bin" "$OVR_AT" 1048576 12)"; cs="$ovr_case"; fi
    st_api a POST "db/scan?folder=$id&sub=big.bin" >/dev/null
    out="$(fsb wait-file "$dst/big.bin" "$(jq -r .sha256 <<<"$out")" "$(jq -r .t0 <<<"$out")" "$SYNC_TIMEOUT_S")"
    sleep 0.5 # index updates that follow the transfer
    bytes="$(wire_delta "$b0")"; secs="$(jq -r '.seconds // "null"' <<<"$out")"; ok="$(jq -r .ok <<<"$out")"
    emit scenario=delta tool=syncthing variant="rescan requested" case="$cs" seconds="$secs" wire_bytes="$bytes" ok="$ok"
    log "syncthing, $cs: $secs s, $bytes bytes on the wire, identical: $ok"
    [ "$ok" = true ] || die "syncthing: the replica did not get the change ($cs) within ${SYNC_TIMEOUT_S}s"
  done
  st_del_folder "$id"; discard "$src" "$dst"
}

# ===========================================================================================
# tandem: n1 (primary) and n2 (passive), each with `files: { path: <its own dir> }` in group "files".
# This part is written against the feature's description and meant to be adjusted once it lands:
#   - ports: listen L (agent-to-agent, mutual TLS) and raft-port L+1 per node, API A; the bytes on the
#     wire are counted on L and L+1 of both nodes plus any other TCP port the agents listen on except
#     their API ports (found with `ss -tlnp` by pid), so replication on a port of its own is counted too;
#   - ready: /health 200 and a Raft leader in /api/v1/status (as in failover.sh), then the group "files"
#     with primary n1 in the status, then a sentinel file written on n1 appears on n2;
#   - in sync at start (delta): the replica tree is identical and the counted traffic stayed under
#     TANDEM_QUIET_BPS (20000 B/s) for 2 s.
jar="${TANDEM_JAR:-$repo/cli/target/tandem.jar}"
# JVM options: the launcher's (dev/jvm-opts.sh: the agent's for `run`, the short commands' for the
# rest), set in tandem_prepare once the JDK is known; TANDEM_JVM_OPTS replaces the agent's.
jvm_opts=()
cli_opts=()
TANDEM_QUIET_BPS="${TANDEM_QUIET_BPS:-20000}"
tandem_skip=""
declare -A td_listen=() td_api=() td_pid=()

tandem_prepare() { # in the main shell: JDK, jar (built like failover.sh), and whether `files` is supported
  if ! (source "$repo/dev/find-jdk.sh") >/dev/null 2>&1; then tandem_skip="no JDK 21+ found (dev/find-jdk.sh)"; return; fi
  # shellcheck source=../dev/find-jdk.sh
  source "$repo/dev/find-jdk.sh"
  java="$TANDEM_JDK/bin/java"
  # shellcheck source=../dev/jvm-opts.sh
  source "$repo/dev/jvm-opts.sh"
  local quiet=(--enable-native-access=ALL-UNNAMED)
  [ "${TANDEM_JDK_VERSION%%.*}" -ge 24 ] 2>/dev/null && quiet+=(--sun-misc-unsafe-memory-access=allow)
  cli_opts=("${quiet[@]}" "${TANDEM_CLI_JVM[@]}")
  if [ "${SKIP_BUILD:-0}" != 1 ]; then
    if [ ! -f "$jar" ] || [ -n "$(find "$repo" -path "$repo/*/src/main/*" -newer "$jar" -print -quit 2>/dev/null)" ] \
       || [ -n "$(find "$repo" -maxdepth 2 -name pom.xml -newer "$jar" -print -quit)" ]; then
      log "building $jar"
      (cd "$repo" && JAVA_HOME="$TANDEM_JDK" mvn -q -B -o -DskipTests package >&2) \
        || (cd "$repo" && JAVA_HOME="$TANDEM_JDK" mvn -q -B -DskipTests package >&2) || true
    fi
  fi
  [ -f "$jar" ] || { tandem_skip="no $jar (build failed or SKIP_BUILD=1 without a jar)"; return; }
  local aot
  read -r -a aot <<<"$(tandem_agent_aot "$jar")"
  jvm_opts=("${quiet[@]}" "${aot[@]}" "${TANDEM_AGENT_JVM[@]}")
  [ -n "${TANDEM_JVM_OPTS:-}" ] && read -r -a jvm_opts <<<"$TANDEM_JVM_OPTS"
  log "tandem agent JVM options: ${jvm_opts[*]}"
  local d="$tmp/tandem-probe"; mkdir -p "$d/dir"
  if ! td_java init --cluster probe --node n1 --listen "127.0.0.1:$(free_port pair)" --api "127.0.0.1:$(free_port)" \
       -c "$d/tandem.yaml" >"$d/init.out" 2>&1; then
    tandem_skip="tandem init failed: $(head -1 "$d/init.out")"; return
  fi
  td_files_yaml "$d/dir" >>"$d/tandem.yaml"
  if ! td_java check-config -c "$d/tandem.yaml" >"$d/check.out" 2>&1; then
    tandem_skip="this jar does not support the files resource yet: $(grep -m1 -E '^[[:space:]]*- ' "$d/check.out" | sed 's/^ *- *//')"
    [ -n "$tandem_skip" ] || tandem_skip="check-config failed: $(head -1 "$d/check.out")"
  fi
}
td_java() { "$java" "${cli_opts[@]}" -jar "$jar" "$@"; }
td_files_yaml() { # dir; TANDEM_RESOURCE replaces the resource line ({dir} = the node's directory)
  local r='- files: { path: {dir} }'
  [ -n "${TANDEM_RESOURCE:-}" ] && r="$TANDEM_RESOURCE"
  cat <<EOF

api: { open-read: true }   # td_status reads /api/v1/status without the token

groups:
  files:
    nodes: { n1: primary, n2: passive }
    resources:
      ${r//'{dir}'/$1}
EOF
}
td_cfg() { echo "$td_dir/$1/tandem.yaml"; }
td_status() { curl -s -m 2 "http://127.0.0.1:${td_api[$1]}/api/v1/status" 2>/dev/null || true; }
td_ready() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' -m 1 "http://127.0.0.1:${td_api[$1]}/health" 2>/dev/null)" = 200 ] &&
    [ -n "$(td_status "$1" | jq -r '.leader // empty' 2>/dev/null)" ]
}
td_primary_n1() { [ "$(td_status "$1" | jq -r '.groups[]? | select(.group == "files") | .primary // empty' 2>/dev/null)" = n1 ]; }
td_start() { # node
  spawn part "$td_dir/$1/agent.log" "$java" "${jvm_opts[@]}" -jar "$jar" run -c "$(td_cfg "$1")"
  td_pid[$1]=$SPAWNED
}
td_wait_ready() { # node
  local n=$1 deadline=$(($(date +%s) + READY_TIMEOUT_S)) p w
  until td_ready "$n"; do
    kill -0 "${td_pid[$n]}" 2>/dev/null || die "tandem $n exited; see $td_dir/$n/agent.log"
    [ "$(date +%s)" -lt "$deadline" ] || die "tandem $n not ready after ${READY_TIMEOUT_S}s; see $td_dir/$n/agent.log"
    sleep 0.1
  done
  for p in $(pgrep -P "${td_pid[$n]}" 2>/dev/null || true); do # its fencing watchdog, killed by pid at the end
    is_ours "$p" WatchdogMain && echo "$p WatchdogMain" >>"$tmp/pids.part"
  done
  return 0
}
# tandem_up name src dst [mode]: mode "n2-later" stops after n1 runs and n2 has joined (call td_start n2).
tandem_up() {
  td_dir="$tmp/tandem-$1"
  local n
  for n in n1 n2; do
    mkdir -p "$td_dir/$n"
    td_listen[$n]="$(free_port pair)"; td_api[$n]="$(free_port)"
    td_java init --cluster fbench --node "$n" --listen "127.0.0.1:${td_listen[$n]}" --api "127.0.0.1:${td_api[$n]}" \
      -c "$(td_cfg "$n")" >"$td_dir/$n/init.out" 2>&1 || { cat "$td_dir/$n/init.out" >&2; die "tandem init $n failed"; }
  done
  td_files_yaml "$2" >>"$(td_cfg n1)"
  td_files_yaml "$3" >>"$(td_cfg n2)"
  td_start n1; td_wait_ready n1
  local token
  token="$(td_java invite -c "$(td_cfg n1)" | sed -n 's/^token:[[:space:]]*//p')"
  [ -n "$token" ] || die "no token from tandem invite"
  td_java join "127.0.0.1:${td_listen[n1]}" --token "$token" -c "$(td_cfg n2)" >"$td_dir/n2/join.out" 2>&1 \
    || { cat "$td_dir/n2/join.out" >&2; die "tandem join n2 failed"; }
  [ "${4:-}" = n2-later ] && return 0
  td_start n2; tandem_up_rest
}
tandem_up_rest() {
  td_wait_ready n2
  wait_for "$READY_TIMEOUT_S" "group 'files' running on n1 in n2's status" td_primary_n1 n2
  log "tandem n1 (pid ${td_pid[n1]}, listen ${td_listen[n1]}) and n2 (pid ${td_pid[n2]}, listen ${td_listen[n2]}) ready"
}
tandem_ports() {
  local n p
  {
    for n in n1 n2; do echo "${td_listen[$n]}"; echo $((td_listen[$n] + 1)); done
    for p in $(listen_ports_of "${td_pid[n1]}" "${td_pid[n2]:-}"); do
      [ "$p" = "${td_api[n1]}" ] || [ "$p" = "${td_api[n2]}" ] || echo "$p"
    done
  } | sort -un | tr '\n' ' '
}
tandem_down() { # graceful (SIGTERM hands the group over); the part's cleanup kills what is left
  local n; for n in n2 n1; do stop_pid "${td_pid[$n]}"; done
}

tandem_latency() {
  local d="$tmp/tandem-lat"; mkdir -p "$d/src" "$d/dst"
  tandem_up lat "$d/src" "$d/dst"
  wait_sentinel "$d/src" "$d/dst" "$READY_TIMEOUT_S"
  latency_run tandem "files resource" "$d/src" "$d/dst" "$LAT_SAMPLES" 30
  tandem_down
}

# Initial sync. TANDEM_INITIAL=move (default): both agents run with empty dirs (the sentinel has
# replicated), then the data set is renamed into n1's dir at t0 (one rename of a directory prepared
# outside it); =start: the data is in n1's dir before n1 starts, t0 = launch of n2's `tandem run`.
tandem_initial() { # scenario
  local sc=$1 d="$tmp/tandem-$1-dirs" b0 t0 out secs ok rss bytes extra=() v
  mkdir -p "$d/src"; fresh_fs "$d/dst" "$INITIAL_FS_MIB"
  if [ "$TANDEM_INITIAL" = start ]; then
    cp -al "$data/$sc" "$d/src/$sc"
    tandem_up "$sc" "$d/src" "$d/dst" n2-later
    wire_ports $(tandem_ports) $((td_listen[n2])) $((td_listen[n2] + 1)); b0="$(wire_read)"
    t0="$(now)"; td_start n2
    rss_start "${td_pid[n1]}" "${td_pid[n2]}"
    v="data present, t0 = launch of n2"
    out="$(fsb wait-tree "$tmp/$sc.manifest" "$d/dst/$sc" "$t0" "$SYNC_TIMEOUT_S")"
    tandem_up_rest
  else
    tandem_up "$sc" "$d/src" "$d/dst"
    wait_sentinel "$d/src" "$d/dst" "$READY_TIMEOUT_S"
    cp -al "$data/$sc" "$tmp/stage/tandem-$sc"
    wire_ports $(tandem_ports); b0="$(wire_read)"
    rss_start "${td_pid[n1]}" "${td_pid[n2]}"
    t0="$(now)"
    mv "$tmp/stage/tandem-$sc" "$d/src/$sc"
    v="tree renamed into the running primary's dir"
    out="$(fsb wait-tree "$tmp/$sc.manifest" "$d/dst/$sc" "$t0" "$SYNC_TIMEOUT_S")"
  fi
  bytes="$(wire_delta "$b0")"; rss="$(rss_stop)"
  secs="$(jq -r '.seconds // "null"' <<<"$out")"; ok="$(jq -r .ok <<<"$out")"
  [ "$sc" = big ] && extra=(mb_s="$(mbps "$(big_bytes)" "$secs")" dataset="$BIG_FILES x $BIG_MIB MiB")
  [ "$sc" = small ] && extra=(dataset="$(small_desc)")
  emit scenario="$sc" tool=tandem variant="$v" seconds="$secs" wire_bytes="$bytes" rss_peak_mib="$rss" ok="$ok" "${extra[@]}"
  log "tandem: $secs s, $bytes bytes on the wire, peak RSS (both agents) $rss MiB, identical: $ok"
  tandem_down
  discard "$d"
  [ "$ok" = true ] || die "tandem did not finish the initial sync of $sc: $out"
}

wire_quiet() { # seconds threshold_bps: true when the counted traffic over the next seconds stays under it
  local a b; a="$(wire_read)"; sleep "$1"; b="$(wire_read)"
  [ "$a" = null ] || [ $(((b - a) / $1)) -lt "$2" ]
}
tandem_delta() {
  local d="$tmp/tandem-delta-dirs" b0 t0 out secs bytes ok c cs idle
  mkdir -p "$d/src" "$d/dst"
  cp -p "$data/delta/big00.bin" "$d/src/big.bin"; cp -p "$data/delta/big00.bin" "$d/dst/big.bin"
  tandem_up delta "$d/src" "$d/dst" n2-later
  wire_ports $(tandem_ports) $((td_listen[n2])) $((td_listen[n2] + 1)); b0="$(wire_read)"
  t0="$(now)"; td_start n2; tandem_up_rest
  wait_for "$SYNC_TIMEOUT_S" "tandem to settle on the pre-synced file (traffic < $TANDEM_QUIET_BPS B/s for 2 s)" wire_quiet 2 "$TANDEM_QUIET_BPS"
  secs="$(awk -v s="$(since "$t0")" 'BEGIN { printf "%.3f", s - 2 }')"; bytes="$(wire_delta "$b0")"
  ok=false; cmp -s "$d/src/big.bin" "$d/dst/big.bin" && ok=true
  emit scenario=delta tool=tandem variant="files resource" case="$sync_case" seconds="$secs" wire_bytes="$bytes" ok="$ok"
  wire_ports $(tandem_ports)
  b0="$(wire_read)"; sleep 3; idle="$(wire_delta "$b0")"
  [ "$idle" != null ] && note "tandem idle traffic on its ports: $((idle / 3)) B/s (Raft lease renewals etc.), included in its byte counts"
  for c in insert overwrite; do
    b0="$(wire_read)"
    if [ "$c" = insert ]; then out="$(fsb edit-insert "$d/src/big.bin" "$INS_AT" 100 "$tmp/stage" 11)"; cs="$ins_case"
    else out="$(fsb edit-overwrite "$d/src/big.bin" "$OVR_AT" 1048576 12)"; cs="$ovr_case"; fi
    out="$(fsb wait-file "$d/dst/big.bin" "$(jq -r .sha256 <<<"$out")" "$(jq -r .t0 <<<"$out")" "$SYNC_TIMEOUT_S")"
    sleep 0.5
    bytes="$(wire_delta "$b0")"; secs="$(jq -r '.seconds // "null"' <<<"$out")"; ok="$(jq -r .ok <<<"$out")"
    emit scenario=delta tool=tandem variant="files resource" case="$cs" seconds="$secs" wire_bytes="$bytes" ok="$ok"
    log "tandem, $cs: $secs s, $bytes bytes on the wire, identical: $ok"
    [ "$ok" = true ] || die "tandem: the replica did not get the change ($cs) within ${SYNC_TIMEOUT_S}s"
  done
  tandem_down
  discard "$d"
}

# ===========================================================================================
# Main.
log "temp dir $tmp; tools: $TOOLS; scenarios:$scen"
bench_start_utc="$(date -u)"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
for t in $TOOLS; do
  case "$t" in rsync|lsyncd|syncthing|tandem) ;; *) die "unknown tool '$t' (rsync lsyncd syncthing tandem)";; esac
done
need() { command -v "$1" >/dev/null || die "$1 not found: apt-get install -y rsync syncthing lsyncd inotify-tools openssh-server nftables jq curl"; }
need python3; need jq; need curl; need ss
wire_init
if has_tool rsync || has_tool lsyncd; then need rsync; rsyncd_start; fi
if has_tool rsync; then need inotifywait; fi
if has_tool rsync && { has_scen small || has_scen big; }; then need ssh-keygen; [ -x /usr/sbin/sshd ] || die "no /usr/sbin/sshd (apt-get install openssh-server)"; sshd_start; fi
if has_tool lsyncd; then need lsyncd; fi
if has_tool syncthing; then need syncthing; st_start; fi
if has_tool tandem; then
  tandem_prepare
  if [ -n "$tandem_skip" ]; then
    log "tandem skipped: $tandem_skip"
    emit tool=tandem skipped="$tandem_skip"
  fi
fi
run_tandem() { has_tool tandem && [ -z "$tandem_skip" ]; }

if has_scen latency; then
  has_tool rsync && part rsync latency rsync_inotify_latency
  if has_tool lsyncd; then for dl in $LSYNCD_DELAYS; do part lsyncd latency lsyncd_latency "$dl"; done; fi
  if has_tool syncthing; then for dl in $ST_DELAYS; do part syncthing latency st_latency "$dl"; done; fi
  run_tandem && part tandem latency tandem_latency
fi
if has_scen small; then
  gen_small
  if has_tool rsync; then for v in daemon ssh daemon-fsync; do
    if [[ " $RSYNC_VARIANTS " == *" $v "* ]]; then part rsync small rsync_initial small "$v"; fi; done; fi
  has_tool syncthing && part syncthing small st_initial small
  run_tandem && part tandem small tandem_initial small
fi
if has_scen big; then
  gen_big
  if has_tool rsync; then for v in daemon ssh; do
    if [[ " $RSYNC_VARIANTS " == *" $v "* ]]; then part rsync big rsync_initial big "$v"; fi; done; fi
  has_tool syncthing && part syncthing big st_initial big
  run_tandem && part tandem big tandem_initial big
  discard "$data/big"
fi
if has_scen delta; then
  gen_delta
  has_tool rsync && part rsync delta rsync_delta
  has_tool syncthing && part syncthing delta st_delta
  run_tandem && part tandem delta tandem_delta
  discard "$data/delta"
fi

versions="rsync $(rsync --version 2>/dev/null | awk 'NR == 1 {print $3}')"
has_tool lsyncd && versions+=", lsyncd $(lsyncd --version 2>&1 | awk '/Version/ {print $2}')"
has_tool syncthing && versions+=", syncthing $(syncthing --version | awk '{print $2}')"
run_tandem && versions+=", $("$java" -version 2>&1 | sed -n 1p)"
note "bytes on the wire: IP packets (headers included) of TCP on lo to/from the tool's data ports, counted by nftables"
note "initial syncs (small, big) write into: $(fresh_fs_describe)"
note "latency p99: nearest rank ceil(0.99 n) of the samples (with 50 samples: the largest)"
emit scenario=meta date="$bench_start_utc" \
  machine="nproc $(nproc); $(free -h | awk '/^Mem:/ { print "mem " $2 " total, " $7 " available" }'); $(uname -r)" \
  load_start="$load_start" load_end="$(cut -d' ' -f1-3 /proc/loadavg)" versions="$versions" \
  tools="$TOOLS" scenarios="${scen# }" delta_mib="$DELTA_MIB"
report="$(fsb report "$results")"
echo "$report"
[ -n "${BENCH_OUT:-}" ] && grep '^BENCH_JSON ' <<<"$report" | sed 's/^BENCH_JSON //' >>"$BENCH_OUT"
[ -e "$tmp/.keep" ] && { log "some parts failed (see the notes); exit 4"; exit 4; }
exit 0

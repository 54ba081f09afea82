# Sourced by ./tandem and bench/failover.sh after dev/find-jdk.sh: the JVM options of the agent
# (`tandem run`) and of the short commands, in one place so the benchmark measures what users run.
# Why each one is there: bench/RESULTS.md, run E.
#
# Agent: C2 stays on (C1 alone hashes SHA-256 at 114 MiB/s against 1,470 MiB/s with C2, which file
# replication needs); a small initial heap that may grow to 1 GiB (the file index) and is given
# back when it empties; direct memory for gRPC's MiB messages; freed native memory (C2's arenas)
# returned to the OS every 10 s; compact object headers on JDK 25+.
# G1, not Serial: during file transfers Serial's small young generation promoted the chunks in
# flight and the heap grew towards its limit (peak RSS of two agents 1.5-1.8 GiB for 20 x 50 MiB,
# 0.8 GiB with G1, same speed); idle RSS is the same (about 200 MiB for one node either way), and a
# periodic collection every 15 s while idle gives freed heap back. bench/RESULTS.md, files run 3.
tandem_jdk_major="${TANDEM_JDK_VERSION%%.*}"
# Netty (Ratis' shaded copy, which the transport uses too: cli/pom.xml) kept 4 direct arenas of 4 MiB chunks
# (NMT "Other": 34 MiB per idle agent); one arena of 1 MiB chunks each: 14 MiB, and 17-19 MiB less RSS
# (bench/RESULTS.md, failover run G). Larger messages (file batches) are allocated outside the pool, as 8 MiB
# batches already were.
# G1 regions of 4 MiB, not the 1 MiB G1 picks for a 1 GiB heap: a replica parses each chunk message
# (about 1.3 MiB) into an array of its own, and at 1 MiB regions every such array is a humongous
# object that starts a concurrent cycle; at 4 MiB (humongous from 2 MiB) they die young like any
# other garbage. bench/RESULTS.md, files run 5.
# The heap, stack and direct-memory limits the agent and the data commands share.
tandem_jvm_memory=(-Xms16m -Xmx1g -Xss512k -XX:MaxDirectMemorySize=256m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30)
[ "$tandem_jdk_major" -ge 25 ] 2>/dev/null && tandem_jvm_memory+=(-XX:+UseCompactObjectHeaders)
TANDEM_AGENT_JVM=(-XX:+UseG1GC -XX:G1HeapRegionSize=4m -XX:G1PeriodicGCInterval=15000 "${tandem_jvm_memory[@]}"
  -Dorg.apache.ratis.thirdparty.io.netty.allocator.numDirectArenas=1 -Dorg.apache.ratis.thirdparty.io.netty.allocator.maxOrder=7)
[ "$tandem_jdk_major" -ge 22 ] 2>/dev/null && TANDEM_AGENT_JVM+=(-XX:TrimNativeHeapInterval=10000)
# Backups, restores, verifies, WAL pushes and point-in-time recovery: the agent's options but the
# parallel collector: a batch job that exits in seconds wants throughput, not G1's concurrent threads
# and write barriers. Alternating with G1, 4 rounds each of bench/backup.sh's tandem steps (1 GiB,
# TOOLS=tandem): second backup 1.21-1.38 s against 1.33-1.39 s, verify 1.74-1.87 s against
# 1.83-1.94 s, first backup and restore the same, peak RSS the same (bench/RESULTS.md, backups run 7).
# The JDK's AES-GCM, GHASH, SHA and HMAC code is compiled 50x sooner than by default: in a command that lives seconds,
# decryption ran GHASH and AES-CTR in Java (not their intrinsics) for much of a restore until C2 got to it. A/B, 3
# restores of 1 GiB each, alternating: 3.15-3.26 s (4.1 CPU-s user) against 3.62-3.90 s (5.2-5.7) (bench/RESULTS.md,
# backups run 12). `quiet` keeps the JVM from printing the commands.
TANDEM_DATA_JVM=(-XX:+UseParallelGC "${tandem_jvm_memory[@]}" -XX:CompileCommand=quiet
  "-XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.*::*,0.02"
  "-XX:CompileCommand=CompileThresholdScaling,sun.security.provider.*::*,0.02")
# Short commands: start fast and exit; C1 is enough.
TANDEM_CLI_JVM=(-XX:+UseSerialGC -Xms16m -Xmx192m -Xss512k -XX:TieredStopAtLevel=1 -XX:MaxDirectMemorySize=64m)
# glibc makes up to 8 malloc arenas per core for a JVM's many threads; two are plenty here.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

# tandem_agent_aot JAR: on JDK 25+, prints the option that loads the agent's AOT cache (JEP 483/515:
# classes loaded and linked, method profiles), training it first when it is missing or older than
# JAR or than this file (the options it was made with) (dev/aot-train.sh: start-up and file replication both ways, ~30 s once per build). Prints nothing
# on older JDKs or when training fails.
tandem_agent_aot() {
  local jar=$1 cache="${1%.jar}-run.aot"
  [ "$tandem_jdk_major" -ge 25 ] 2>/dev/null || return 0
  if [ ! -f "$cache" ] || [ "$jar" -nt "$cache" ] || [ "${BASH_SOURCE[0]}" -nt "$cache" ]; then
    echo "tandem: training the agent's start-up cache $cache (once per build, about 30 s)..." >&2
    bash "$(dirname "${BASH_SOURCE[0]}")/aot-train.sh" "$jar" "$cache" >&2 || { rm -f "$cache"; return 0; }
  fi
  [ -f "$cache" ] && echo "-XX:AOTCache=$cache"
  return 0
}

# tandem_backup_aot JAR: on JDK 25+, prints the option that loads the backup commands' AOT cache,
# training it first when it is missing or older than JAR (dev/aot-train-backup.sh: a backup, a
# backup with nothing changed, a restore and a verify of 20 MiB, ~10 s once per build; written under
# a temporary name and renamed, so two commands started at once do not read a half-written cache).
# Prints nothing on older JDKs or when training fails (the caller then uses its CDS archive).
tandem_backup_aot() {
  local jar=$1 cache="${1%.jar}-data.aot"
  [ "$tandem_jdk_major" -ge 25 ] 2>/dev/null || return 0
  if [ ! -f "$cache" ] || [ "$jar" -nt "$cache" ] || [ "${BASH_SOURCE[0]}" -nt "$cache" ]; then
    echo "tandem: training the backup commands' start-up cache $cache (once per build, about 10 s)..." >&2
    local part="$cache.$$.part"
    if bash "$(dirname "${BASH_SOURCE[0]}")/aot-train-backup.sh" "$jar" "$part" >&2; then mv -f "$part" "$cache"
    else rm -f "$part"; return 0
    fi
  fi
  [ -f "$cache" ] && echo "-XX:AOTCache=$cache"
  return 0
}

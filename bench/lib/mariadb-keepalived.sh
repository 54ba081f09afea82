# The seeds' recipe for MariaDB failover, the phase "keepalived" of bench/mariadb.sh (issue 7).
# Sourced by mariadb.sh (uses its log, die, now, stats, wait_until, tmp, TIMEOUT_S, RUNS, all_pids).
#
# What shops run today: keepalived (VRRP, advert_int 1, both nodes state BACKUP + nopreempt, n1
# priority 101, n2 100) moves a VIP, and its notify_master script promotes the local server with
# "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=OFF"; the old master is rebuilt by dumping the
# new one and importing the dump. No quorum, no fencing, no notify_backup.
#
# Network (bench/lib/netns.sh): namespaces tdm<pid>-{hub,n1,n2,cl}, KA_NET.0/24 (default
# 10.217.0; n1 .1, n2 .2, the client cl .4), VIP .100 on eth0. Each of n1, n2 runs Debian's
# mariadbd as the mysql user on :3306 with its own data dir under the temp dir and the same
# durability settings tandem writes (ROW binlog, GTID strict mode, log-slave-updates, sync-binlog 1,
# innodb-flush-log-at-trx-commit 1); n2 replicates from n1 by GTID (MASTER_USE_GTID=slave_pos) and
# is read_only. The writer runs in cl and commits numbered rows through the VIP as the ordinary
# account app (SELECT, INSERT on bench.*; read_only binds it), recording "id time node" per
# acknowledged commit, the node being the one that answered (@@server_id).
#
# Each run, measured as tandem's phase: t0 just before the kill -9 of the primary's keepalived
# processes and its mariadbd (stopped first, so that none outlives the others; see ka_kill); gap = first acknowledged commit on the other node minus t0; rows lost =
# ids the old primary acknowledged before t0 that the new one lacks. Then the killed node comes back
# as a rebooted server would (the VIP that kill -9 left on eth0 removed) and is rebuilt the seeds' way:
# a fresh data dir (mariadb-install-db), `mariadb-dump --all-databases --single-transaction --gtid
# --master-data` of the new primary piped into it (sql_log_bin=0), CHANGE MASTER ... MASTER_USE_GTID
# =slave_pos, START SLAVE, keepalived started again; rebuild time = wipe to its keepalived in BACKUP.
# Then, once (KA_PARTITION_S > 0), a partition: nftables drops between n1 and n2 for KA_PARTITION_S
# (the client still reaches both), then KA_HEAL_S of observation after healing; it counts the writes
# each side acknowledged during the partition and after healing that the other side lacks, and
# samples when both held the VIP and were writable at once.

KA_NET="${KA_NET:-10.217.0}"
KA_PARTITION_S="${KA_PARTITION_S:-8}"
KA_HEAL_S="${KA_HEAL_S:-5}"
ka_up=0
ka_writer_pid=""
declare -A ka_db=()

ka_need() {
  local c missing=()
  [ "$(id -u)" = 0 ] || die "the keepalived phase needs root (ip netns, nftables); PHASES=tandem runs without it"
  for c in keepalived nft ip mariadb-install-db mariadb-dump; do command -v "$c" >/dev/null || missing+=("$c"); done
  [ "${#missing[@]}" = 0 ] || die "the keepalived phase needs ${missing[*]}: apt-get install -y keepalived nftables iproute2 mariadb-server mariadb-client"
}

ka_sql() { mariadb --no-defaults -S "$kd/$1/sock" -u root --connect-timeout=2 -N -B -e "$2" 2>/dev/null; }
ka_replicating() { [ "$(ka_sql "$1" "SHOW SLAVE STATUS" | awk -F'\t' '{ print $11 "/" $12 }')" = "Yes/Yes" ]; }
ka_state() { cat "$kd/$1/state" 2>/dev/null || true; }   # the VRRP state notify last wrote

ka_mysqld() { # node read_only(ON|OFF): start the node's server in its namespace; wait until it answers
  local n=$1 d="$kd/$1"
  ip netns exec "$P$n" /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$d/data" --socket="$d/sock" \
    --pid-file="$d/mariadbd.pid" --log-error="$d/error.log" --port=3306 --bind-address=0.0.0.0 \
    --server-id="${n#n}" --skip-name-resolve --log-bin=binlog --relay-log=relay --binlog-format=ROW \
    --log-slave-updates=ON --gtid-domain-id=0 --gtid-strict-mode=ON --sync-binlog=1 \
    --innodb-flush-log-at-trx-commit=1 --innodb-buffer-pool-size=64M --skip-slave-start --read-only="$2" \
    >/dev/null 2>&1 &
  ka_db[$n]=$!; all_pids+=("$!"); disown "$!"   # killed with -9 on purpose: no "Killed" job notices
  wait_until "$TIMEOUT_S" "mariadbd on $n" "ka_sql $n 'SELECT 1' >/dev/null"
}

ka_fresh() { # node: an empty data dir, as after a reinstall
  local d="$kd/$1"
  rm -rf "$d/data"
  mariadb-install-db --no-defaults --user=mysql --datadir="$d/data" --auth-root-authentication-method=socket \
    --skip-test-db >"$d/install.log" 2>&1 || die "mariadb-install-db for $1 failed; see $d/install.log"
}

ka_clone() { # from to: the seeds' rebuild of `to` as a replica of `from`
  local from=$1 to=$2
  ka_fresh "$to"
  ka_mysqld "$to" ON
  # sql_log_bin=0: the import must not write GTIDs of its own, or strict mode stops replication.
  { echo "SET SESSION sql_log_bin = 0;"
    mariadb-dump --no-defaults -S "$kd/$from/sock" -u root --all-databases --single-transaction --gtid --master-data=1 \
      --flush-privileges; } | mariadb --no-defaults -S "$kd/$to/sock" -u root 2>"$kd/$to/import.err" \
    || die "importing the dump of $from into $to failed: $(head -3 "$kd/$to/import.err")"
  ka_sql "$to" "CHANGE MASTER TO MASTER_HOST='${ip[$from]}', MASTER_PORT=3306, MASTER_USER='repl',
    MASTER_PASSWORD='repl-pw', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE" \
    || die "CHANGE MASTER on $to failed"
  wait_until "$TIMEOUT_S" "$to replicating from $from" "ka_replicating $to"
}

ka_scripts() {
  cat >"$kd/promote.sh" <<'EOF'
#!/bin/sh
# The seeds' promotion script, keepalived's notify_master: this node is VRRP MASTER, so its server
# becomes the writable primary. $1 = the node's directory.
echo "$(date +%s.%N) promote" >>"$1/promote.log"
mariadb --no-defaults -S "$1/sock" -u root -e "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=OFF" >>"$1/promote.log" 2>&1
echo "$(date +%s.%N) promoted rc=$?" >>"$1/promote.log"
EOF
  cat >"$kd/notify.sh" <<'EOF'
#!/bin/sh
# keepalived's notify: $1 = the node's directory, then INSTANCE <name> <state> <priority>.
echo "$4" >"$1/state"
EOF
  chmod 755 "$kd/promote.sh" "$kd/notify.sh"
}

ka_keepalived() { # node: start keepalived in its namespace; wait until it is BACKUP or MASTER
  local n=$1 prio=100 d="$kd/$1"; [ "$n" = n1 ] && prio=101
  rm -f "$d/state"
  cat >"$d/keepalived.conf" <<EOF
global_defs {
  router_id $n
  script_user root
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 52
  priority $prio
  nopreempt
  advert_int 1
  virtual_ipaddress {
    $ka_vip/24
  }
  notify_master "$kd/promote.sh $d"
  notify "$kd/notify.sh $d"
}
EOF
  ip netns exec "$P$n" keepalived -n -l -D --vrrp -f "$d/keepalived.conf" -p "$d/k.pid" -r "$d/vrrp.pid" >>"$d/keepalived.log" 2>&1 &
  all_pids+=("$!"); disown "$!"
  wait_until 30 "keepalived on $n in BACKUP or MASTER" "[ -n \"\$(ka_state $n)\" ]"
}

ka_writer() { # acked vip: commits ids 1, 2, ... as app through the VIP; "id time node" per acknowledged commit
  local i=1 out
  while :; do
    if out="$(MYSQL_PWD=app-pw mariadb --no-defaults -h "$2" -u app --connect-timeout=1 -N -B \
        -e "INSERT INTO bench.t VALUES ($i); SELECT @@server_id" 2>/dev/null)"; then
      echo "$i $(date +%s.%N) n$out" >>"$1"; i=$((i + 1))
    elif out="$(MYSQL_PWD=app-pw mariadb --no-defaults -h "$2" -u app --connect-timeout=1 -N -B \
        -e "SELECT @@server_id FROM bench.t WHERE id = $i" 2>/dev/null)" && [ -n "$out" ]; then
      echo "$i $(date +%s.%N) n$out seen" >>"$1"; i=$((i + 1)) # answer lost: counts for losses, not as a commit there
    else
      sleep 0.02
    fi
  done
}

ka_acks_since() { awk -v t="$2" -v n="$1" 'NF == 3 && $3 == n && $2 > t { c++ } END { print c + 0 }' "$kd/acked"; } # node time

ka_kill() { # node: the server dies at once: keepalived (daemon and VRRP child) and mariadbd
  local ps; ps="$(netns_pids_of "$1" keepalived) ${ka_db[$1]}"
  # Stopped first: the VRRP child has a parent-death signal (SIGTERM), and a child that outlives its
  # parent by a moment sends a priority-0 advert, which makes the backup take over at once (a first
  # version saw a 1.1 s failover from that). A dead server sends nothing.
  # shellcheck disable=SC2086
  kill -STOP $ps 2>/dev/null || true
  # shellcheck disable=SC2086
  kill -9 $ps 2>/dev/null || true
}

ka_sample() { # "<both hold the VIP 0|1> <both writable 0|1>"
  local h=0 w=0
  netns_holds n1 "$ka_vip" && netns_holds n2 "$ka_vip" && h=1
  [ "$(ka_sql n1 'SELECT @@read_only')" = 0 ] && [ "$(ka_sql n2 'SELECT @@read_only')" = 0 ] && w=1
  echo "$h $w"
}

ka_partition() { # holder other
  local holder=$1 other=$2 a b e s1 s2 both_vip=0 both_rw=0 n=0 hb_vip=0 hb_rw=0 hn=0
  wait_until 30 "20 commits on $holder" "[ \$(ka_acks_since $holder 0) -ge 20 ]"
  a="$(now)"
  netns_drop_from "$holder" "${ip[$other]}"; netns_drop_from "$other" "${ip[$holder]}"
  e=$(($(date +%s) + KA_PARTITION_S))
  while [ "$(date +%s)" -lt "$e" ]; do   # the fault lasts KA_PARTITION_S on purpose; sampling meanwhile
    read -r s1 s2 <<<"$(ka_sample)"; both_vip=$((both_vip + s1)); both_rw=$((both_rw + s2)); n=$((n + 1)); sleep 0.2
  done
  b="$(now)"; netns_heal "$holder" "$other"
  e=$(($(date +%s) + KA_HEAL_S))
  while [ "$(date +%s)" -lt "$e" ]; do
    read -r s1 s2 <<<"$(ka_sample)"; hb_vip=$((hb_vip + s1)); hb_rw=$((hb_rw + s2)); hn=$((hn + 1)); sleep 0.2
  done
  kill "$ka_writer_pid" 2>/dev/null || true; wait "$ka_writer_pid" 2>/dev/null || true; ka_writer_pid=""
  e="$(now)"
  ka_sql "$other" "SELECT id FROM bench.t" | sort >"$kd/present-$other"
  ka_sql "$holder" "SELECT id FROM bench.t" | sort >"$kd/present-$holder"
  # acked and missing on the other side: during the partition (a..b), after healing (b..e)
  local dh dhm doo dom ah ahm ao aom first
  read -r dh dhm <<<"$(ka_diverged "$holder" "$other" "$a" "$b")"; read -r doo dom <<<"$(ka_diverged "$other" "$holder" "$a" "$b")"
  read -r ah ahm <<<"$(ka_diverged "$holder" "$other" "$b" "$e")"; read -r ao aom <<<"$(ka_diverged "$other" "$holder" "$b" "$e")"
  first="$(awk -v t="$a" -v n="$other" 'NF == 3 && $3 == n && $2 > t { printf "%.3f", $2 - t; exit }' "$kd/acked")"
  ka_part_line="$(printf 'partition %ss (%s cut off from %s, the client reaching both): %s acknowledged %s writes, %s of them missing on %s; %s (writable %s s after the cut) acknowledged %s, %s missing on %s; both held the VIP in %s and both were writable in %s of %s samples. %ss after healing: %s acknowledged %s (%s missing on %s), %s %s (%s missing on %s); both writable in %s of %s samples' \
    "$KA_PARTITION_S" "$holder" "$other" "$holder" "$dh" "$dhm" "$other" "$other" "${first:-never}" "$doo" "$dom" "$holder" \
    "$both_vip" "$both_rw" "$n" "$KA_HEAL_S" "$holder" "$ah" "$ahm" "$other" "$other" "$ao" "$aom" "$holder" "$hb_rw" "$hn")"
  log "keepalived $ka_part_line"
  ka_part_json="{\"seconds\":$KA_PARTITION_S,\"old_master\":\"$holder\",\"during\":{\"old_master_acked\":$dh,\"old_master_acked_missing_on_other\":$dhm,\"other_acked\":$doo,\"other_acked_missing_on_old_master\":$dom,\"other_first_commit_s\":${first:-null},\"samples\":$n,\"both_vip\":$both_vip,\"both_writable\":$both_rw},\"after_heal\":{\"seconds\":$KA_HEAL_S,\"old_master_acked\":$ah,\"old_master_acked_missing_on_other\":$ahm,\"other_acked\":$ao,\"other_acked_missing_on_old_master\":$aom,\"samples\":$hn,\"both_vip\":$hb_vip,\"both_writable\":$hb_rw}}"
}

ka_diverged() { # node other from to -> "<ids node acknowledged in (from, to]> <of them missing on other>"
  awk -v a="$3" -v b="$4" -v n="$1" '$3 == n && $2 > a && $2 <= b { print $1 }' "$kd/acked" | sort >"$kd/acked-$1"
  echo "$(wc -l <"$kd/acked-$1") $(comm -23 "$kd/acked-$1" "$kd/present-$2" | wc -l)"
}

run_keepalived() { # -> ka_json, ka_line, ka_p50
  ka_need
  kd="$tmp/keepalived"; mkdir -p "$kd/n1" "$kd/n2"; chown mysql "$kd/n1" "$kd/n2"; chmod 755 "$kd"
  P="tdm$$-"; ka_vip="$KA_NET.100"
  declare -gA ip=([n1]="$KA_NET.1" [n2]="$KA_NET.2" [cl]="$KA_NET.4")
  ka_up=1; netns_up n1 n2 cl
  ka_scripts
  log "keepalived $(keepalived --version 2>&1 | head -1 | awk '{print $2}'): VRRP advert_int 1, BACKUP + nopreempt, n1 101 / n2 100; namespaces ${P}*, $KA_NET.0/24"
  ka_fresh n1; ka_mysqld n1 OFF
  ka_sql n1 "CREATE USER 'repl'@'$KA_NET.%' IDENTIFIED BY 'repl-pw'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'$KA_NET.%';
    CREATE DATABASE bench; CREATE TABLE bench.t (id int PRIMARY KEY);
    CREATE USER 'app'@'$KA_NET.%' IDENTIFIED BY 'app-pw'; GRANT SELECT, INSERT ON bench.* TO 'app'@'$KA_NET.%'" \
    || die "setting up n1 failed"
  ka_clone n1 n2
  ka_keepalived n1
  wait_until 30 "n1 MASTER" "[ \"\$(ka_state n1)\" = MASTER ]"
  ka_keepalived n2
  : >"$kd/acked"
  ip netns exec "${P}cl" bash -c "$(declare -f ka_writer); ka_writer '$kd/acked' '$ka_vip'" &
  ka_writer_pid=$!; all_pids+=("$!")
  local primary=n1 other=n2 i t0 tl=0 first lost r0 gaps=() losts=() rebuilds=()
  for i in $(seq 1 "$RUNS"); do
    wait_until 60 "20 commits on $primary" "[ \$(ka_acks_since $primary $tl) -ge 20 ]"
    [ "$(ka_state "$other")" = BACKUP ] || die "keepalived on $other is '$(ka_state "$other")', not BACKUP"
    t0="$(now)"
    ka_kill "$primary"
    wait_until "$TIMEOUT_S" "a commit on $other" "[ \$(ka_acks_since $other $t0) -ge 1 ]"
    first="$(awk -v t="$t0" -v n="$other" '$3 == n && $2 > t { print $2; exit }' "$kd/acked")"
    gaps+=("$(awk -v a="$first" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')")
    awk -v t="$t0" -v n="$primary" '$3 == n && $2 < t { print $1 }' "$kd/acked" | sort >"$kd/acked-before"
    ka_sql "$other" "SELECT id FROM bench.t" | sort >"$kd/present"
    lost="$(comm -23 "$kd/acked-before" "$kd/present" | wc -l)"; losts+=("$lost")
    log "keepalived, failover $i: $primary -> $other, first commit after ${gaps[-1]} s, acknowledged rows lost: $lost"
    wait_until 30 "the killed mariadbd on $primary gone" "[ ! -e /proc/${ka_db[$primary]} ]"
    ip -n "$P$primary" addr del "$ka_vip/24" dev eth0 2>/dev/null || true   # a rebooted server comes back without it
    r0="$(now)"
    ka_clone "$other" "$primary"
    ka_keepalived "$primary"
    rebuilds+=("$(awk -v a="$(now)" -v b="$r0" 'BEGIN { printf "%.3f", a - b }')")
    log "keepalived, rebuild of $primary as a replica of $other (dump | import): ${rebuilds[-1]} s"
    tl="$(now)"; local x=$primary; primary=$other; other=$x
  done
  ka_part_json=null; ka_part_line="partition: not run (KA_PARTITION_S=0)"
  if [ "$KA_PARTITION_S" -gt 0 ]; then ka_partition "$primary" "$other"; fi
  [ -z "$ka_writer_pid" ] || { kill "$ka_writer_pid" 2>/dev/null || true; wait "$ka_writer_pid" 2>/dev/null || true; }
  ka_kill n1; ka_kill n2
  local gmin gmed gmax rmin rmed rmax lsum=0 l
  read -r gmin gmed gmax <<<"$(stats "${gaps[@]}")"
  read -r rmin rmed rmax <<<"$(stats "${rebuilds[@]}")"
  for l in "${losts[@]}"; do lsum=$((lsum + l)); done
  ka_p50=$gmed
  ka_line="$(printf 'failovers %d: kill -9 -> first commit min %s s, median %s s, max %s s; acknowledged rows lost: %s in total (%s); rebuild (dump | import) min %s s, median %s s, max %s s' \
    "$RUNS" "$gmin" "$gmed" "$gmax" "$lsum" "${losts[*]}" "$rmin" "$rmed" "$rmax")"
  ka_json="{\"mode\":\"async\",\"runs\":$RUNS,\"gap_s\":{\"min\":$gmin,\"p50\":$gmed,\"max\":$gmax},\"gaps_s\":[$(IFS=,; echo "${gaps[*]}")],\"rows_lost\":[$(IFS=,; echo "${losts[*]}")],\"rebuild_s\":{\"min\":$rmin,\"p50\":$rmed,\"max\":$rmax},\"partition\":$ka_part_json}"
}

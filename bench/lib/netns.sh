# Network namespaces as separate hosts on one bridge, for the benches that need real IP failover
# (vip.sh, the keepalived phase of mariadb.sh). Sourced, not run.
#
# The caller sets P (a name prefix unique to the run, e.g. "tdv$$-") and the associative array ip
# (node -> IPv4 address in one /24 that exists only inside these namespaces). netns_up creates
# "${P}hub" holding the bridge br0 and one namespace per node with eth0 on that bridge;
# netns_down kills every process still inside them (whatever the daemons started: watchdogs,
# arping, notify scripts) and deletes them. Partitions are nftables input drops in table
# "inet bench" of a node.

inns() { local n=$1; shift; ip netns exec "$P$n" "$@"; }

netns_up() { # nodes...
  local n k=1
  ip netns add "${P}hub"; ip -n "${P}hub" link set lo up
  ip -n "${P}hub" link add br0 type bridge; ip -n "${P}hub" link set br0 up
  for n in "$@"; do
    ip netns add "$P$n"; ip -n "$P$n" link set lo up
    ip -n "${P}hub" link add "v$k" type veth peer name eth0 netns "$P$n"
    ip -n "${P}hub" link set "v$k" master br0 up
    ip -n "$P$n" addr add "${ip[$n]}/24" dev eth0; ip -n "$P$n" link set eth0 up
    k=$((k + 1))
  done
}

netns_down() { # nodes... (quiet; for a cleanup trap)
  local n p
  for n in "$@"; do
    for p in $(ip netns pids "$P$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  done
  for n in "$@" hub; do ip netns del "$P$n" 2>/dev/null || true; done
}

# Does node hold address (e.g. the VIP) on eth0?
netns_holds() { [ -n "$(ip -n "$P$1" -o addr show dev eth0 to "$2/32" 2>/dev/null)" ]; }

# Node drops all input from the source addresses (both sides must call it for a full cut).
netns_drop_from() { # node sources...
  local n=$1; shift
  printf 'table inet bench {\n  chain in {\n    type filter hook input priority -10;\n    ip saddr { %s } drop\n  }\n}\n' \
    "$(IFS=,; echo "$*")" | inns "$n" nft -f -
}
netns_heal() { local n; for n in "$@"; do inns "$n" nft delete table inet bench 2>/dev/null || true; done; }

# The pids inside node whose command name is comm (e.g. keepalived: the daemon and its VRRP child).
netns_pids_of() { # node comm
  local p
  for p in $(ip netns pids "$P$1" 2>/dev/null); do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && echo "$p"; done
  return 0
}

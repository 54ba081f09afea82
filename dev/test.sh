#!/usr/bin/env bash
# The test command (README): installs what the tests need, then builds and runs every test.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
need=()
command -v mvn >/dev/null || need+=(maven)
command -v setsid >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
command -v nft >/dev/null || need+=(nftables)
command -v curl >/dev/null || need+=(curl)
command -v ps >/dev/null || need+=(procps)
command -v dig >/dev/null || need+=(dnsutils)        # the DNS responder is checked with dig
command -v arping >/dev/null || need+=(iputils-arping)  # the vip resource's gratuitous ARP
command -v python3 >/dev/null || need+=(python3)   # the vip test's HTTP backends
command -v restic >/dev/null || need+=(restic)   # backup's keep rules are checked against the real restic
# Argon2 in C for the backup key files (Argon2Test checks it is used where installed, as on Debian with cryptsetup)
ldconfig -p 2>/dev/null | grep -q 'libargon2\.so\.1 ' || need+=(libargon2-1)
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  need+=(postgresql)
  # The tests make their own PostgreSQL clusters: the package must not create and start its "main" one.
  as_root mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf \
    || echo 'create_main_cluster = false' | as_root tee -a /etc/postgresql-common/createcluster.conf >/dev/null
fi
# MariaDB: the tests run their own mariadbd instances (own data dirs, ports on 127.0.0.1).
fresh_mariadb=no
if [ ! -x /usr/sbin/mariadbd ]; then need+=(mariadb-server); fresh_mariadb=yes; fi
command -v mariadb-backup >/dev/null || need+=(mariadb-backup)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}" >&2
  # confold keeps the createcluster.conf written above when postgresql-common brings its own.
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${need[@]}"
fi
if [ "$fresh_mariadb" = yes ]; then
  # The package may have started its own server (service mariadb) just now: the tests do not use it.
  if command -v systemctl >/dev/null && systemctl is-active -q mariadb 2>/dev/null; then
    as_root systemctl disable --now mariadb || true
  elif [ -s /run/mysqld/mysqld.pid ] && kill -0 "$(cat /run/mysqld/mysqld.pid)" 2>/dev/null; then
    as_root kill "$(cat /run/mysqld/mysqld.pid)" || true
  fi
fi
# MySQL: Debian 12 has no MySQL server; dev/mysql.sh puts Debian unstable's beside the system (/opt/tandem-mysql).
bash "$here/dev/mysql.sh"
source "$here/dev/find-jdk.sh"
echo "using JDK $TANDEM_JDK" >&2
# -T 2: the modules' unit tests run two at a time (each in its own JVM); the integration tests (module it)
# depend on every module, so they run last, two test classes at a time (it/pom.xml; -Dit.forks=1 for one by one).
JAVA_HOME="$TANDEM_JDK" mvn -B -ntp -T 2 install "$@"

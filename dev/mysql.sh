#!/usr/bin/env bash
# MySQL for the tests of the mysql resource: Debian 12 packages no MySQL server, so this takes
# Debian unstable's (mysql-server-core, 9.7 LTS on 2026-12-07) into a root of its own with
# debootstrap, beside the system, and writes wrappers that run its programs with that root's own
# C library: /opt/tandem-mysql/bin/{mysqld,mysql,mysqlbinlog,mysqldump,mysqladmin}.
# Nothing of the system is changed; `rm -rf /opt/tandem-mysql` undoes it.
# Usage: dev/mysql.sh [dest]   (dest: /opt/tandem-mysql; TANDEM_MYSQL_HOME overrides)
set -euo pipefail
dest="${1:-${TANDEM_MYSQL_HOME:-/opt/tandem-mysql}}"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if [ -x "$dest/bin/mysqld" ] && "$dest/bin/mysqld" --version >/dev/null 2>&1; then
  exit 0
fi
command -v debootstrap >/dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap
tmp="$dest.part"
as_root rm -rf "$tmp"
echo "installing MySQL (Debian unstable's mysql-server-core) into $dest" >&2
# Twice: a mirror caught between two updates of unstable fails a download now and then.
for attempt in 1 2; do
  if as_root debootstrap --variant=minbase --include=mysql-server-core,mysql-client-core sid "$tmp/root" \
      http://deb.debian.org/debian >"/tmp/tandem-mysql-debootstrap.log" 2>&1; then
    break
  fi
  tail -20 /tmp/tandem-mysql-debootstrap.log >&2
  as_root rm -rf "$tmp"
  if [ $attempt = 2 ]; then
    echo "debootstrap of MySQL failed twice; see /tmp/tandem-mysql-debootstrap.log" >&2
    exit 1
  fi
  sleep 10
done
as_root mkdir -p "$tmp/bin"
root="$dest/root"
libs="$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu"
loader="$root/usr/lib64/ld-linux-x86-64.so.2"
for p in mysql mysqlbinlog mysqldump mysqladmin; do
  as_root tee "$tmp/bin/$p" >/dev/null <<W
#!/bin/sh
exec $loader --library-path $libs --argv0 "\$0" $root/usr/bin/$p "\$@"
W
done
# mysqld: its files are under the root, not where it was built to look. A --defaults-file or
# --no-defaults must stay the first argument.
as_root tee "$tmp/bin/mysqld" >/dev/null <<W
#!/bin/sh
first=
case "\$1" in --defaults-file=*|--no-defaults|--defaults-extra-file=*) first="\$1"; shift ;; esac
exec $loader --library-path $libs --argv0 "\$0" $root/usr/sbin/mysqld \$first --basedir=$root/usr \\
  --lc-messages-dir=$root/usr/share/mysql --character-sets-dir=$root/usr/share/mysql/charsets \\
  --plugin-dir=$root/usr/lib/mysql/plugin "\$@"
W
as_root chmod 755 "$tmp/bin/"*
as_root rm -rf "$dest"
as_root mv "$tmp" "$dest"
"$dest/bin/mysqld" --version >&2

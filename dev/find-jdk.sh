# Sourced by ./tandem and dev/test.sh: sets TANDEM_JDK to a JDK 21 or newer (with javac), looking
# at $JAVA_HOME, the java on PATH, then /usr/lib/jvm; fails with what to install otherwise.
# The version comes from the JDK's `release` file (JAVA_VERSION="25.0.3"), which every JDK since 9 has: reading it
# costs nothing, while asking `java` started a JVM (~0.1 s added to every tandem command, bench/RESULTS.md backups
# run 6). A JDK without the file is asked the slow way.
jdk_version() {
  local v=""
  [ -f "$1/release" ] && v="$(sed -n 's/^JAVA_VERSION="\([0-9][0-9.]*\).*"$/\1/p' "$1/release")"
  [ -n "$v" ] || v="$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  echo "$v"
}
jdk_ok() { [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && v="$(jdk_version "$1")" && [ "${v%%.*}" -ge 21 ] 2>/dev/null; }
TANDEM_JDK=""
TANDEM_JDK_VERSION=""
for cand in "${JAVA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")" \
            $(ls -d /usr/lib/jvm/* 2>/dev/null | sort -rV); do
  if [ -n "$cand" ] && jdk_ok "$cand"; then TANDEM_JDK="$cand"; TANDEM_JDK_VERSION="$v"; break; fi
done
if [ -z "$TANDEM_JDK" ]; then
  echo "tandem needs a JDK 21 or newer; none found in JAVA_HOME, PATH or /usr/lib/jvm." >&2
  echo "Install one (e.g. apt-get install openjdk-21-jdk, or Temurin 21+) or set JAVA_HOME." >&2
  exit 1
fi
export TANDEM_JDK TANDEM_JDK_VERSION

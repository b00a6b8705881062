#!/usr/bin/env bash
# Installs the programs the test suite starts or calls, when they are missing: the suite starts
# throwaway servers from local binaries and never relies on services already running.
#
# As root it installs the missing Debian packages with apt-get; otherwise it prints the one
# command to run and fails. Each line of REQUIRED is "<file that must exist> <Debian package>".
set -euo pipefail

REQUIRED=(
  "/usr/bin/openssl openssl"
  "/usr/sbin/nginx nginx-light"
  "/usr/bin/redis-server redis-server"
)

missing=()
for entry in "${REQUIRED[@]}"; do
  read -r path package <<<"$entry"
  if [ ! -x "$path" ]; then
    missing+=("$package")
  fi
done

# The PostgreSQL server binaries sit in a directory named after the major version. A
# DATABASE_URL of a running server replaces them (its tests still call psql, from the package).
if [ -z "${DATABASE_URL:-}" ] && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  missing+=("postgresql")
elif ! command -v psql >/dev/null; then
  missing+=("postgresql-client")
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "test dependencies present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "missing test dependencies: ${missing[*]}" >&2
  echo "install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

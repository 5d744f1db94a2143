#!/usr/bin/env bash
# Installs the Debian packages the local endpoint's data plane runs on
# (PostgreSQL server binaries, redis-server) when they are missing, plus any
# tool named as an argument whose command and package share a name
# (`make test` adds shellcheck, which ansible-test sanity lints scripts with).
# Only the binaries are used: the machine's own PostgreSQL service and data
# are never started, stopped or touched.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

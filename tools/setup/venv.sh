#!/usr/bin/env bash
# Makes .venv hold the pinned requirements:
#   venv.sh runtime    requirements.txt (make demo)
#   venv.sh test       requirements-test.txt as well (make test)
#   venv.sh bench      requirements-bench.txt as well (make bench)
#
# The virtualenv is kept in a cache shared by every clone on the machine,
# $VENV_CACHE/<key> (default ~/.cache/dbfleet-aws/venvs), and .venv links to it.
# The key hashes the Python version and the requirement files, so a fresh clone
# of the same commit reuses a finished virtualenv and a changed pin builds a new
# one (the key also hashes tools/setup/zip_bytecode_cache.py, installed into it).
# VENV_CACHE= (empty) keeps the virtualenv in .venv itself; an existing
# .venv directory is kept and updated in place.
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-python3.11}
want=${1:?runtime, test or bench}
command -v "$python" >/dev/null || { echo "venv: $python is required (Python 3.11)" >&2; exit 1; }

key=$({ "$python" -V; cat requirements.txt requirements-test.txt requirements-bench.txt tools/setup/zip_bytecode_cache.py; } \
    | sha256sum | cut -c1-16)
default_cache=${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}}
cache=${VENV_CACHE-${default_cache:+$default_cache/dbfleet-aws/venvs}}

if [ -d .venv ] && [ ! -L .venv ] || [ -z "$cache" ]; then
    venv=$PWD/.venv
else
    venv=$cache/$key
    mkdir -p "$cache"
    ln -sfn "$venv" .venv
fi

marker=$venv/.installed-$want
[ "$(cat "$marker" 2>/dev/null)" = "$key" ] && exit 0

# One build at a time per virtualenv: clones that share it wait for it.
mkdir -p "$venv"
exec 9>"$venv/.lock"
flock 9
[ "$(cat "$marker" 2>/dev/null)" = "$key" ] && exit 0
echo "venv: installing the $want requirements into $venv"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -r requirements.txt
# The bytecode cache of zip imports (tools/setup/zip_bytecode_cache.py), loaded by every
# Python of the virtualenv through a .pth line.
site_packages=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp tools/setup/zip_bytecode_cache.py "$site_packages/dbfleet_zip_bytecode_cache.py"
echo "import dbfleet_zip_bytecode_cache; dbfleet_zip_bytecode_cache.install()" \
    > "$site_packages/dbfleet_zip_bytecode_cache.pth"
[ "$want" = runtime ] || "$venv/bin/python" -m pip install -q -r "requirements-$want.txt"
echo "$key" > "$venv/.installed-runtime"
echo "$key" > "$marker"

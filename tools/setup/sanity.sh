#!/usr/bin/env bash
# Runs `ansible-test sanity` on a copy of the collection laid out as
# ansible_collections/dbfleet/aws (ansible-test needs that path; the repository
# root is the collection itself). Each sanity test gets its own virtualenv with
# the exact tool versions ansible-core 2.19 pins, so results match Galaxy's.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv_bin=$root/.venv/bin
work=$root/.build/sanity/ansible_collections/dbfleet/aws
rm -rf "$work"
mkdir -p "$work"
cd "$root"
git ls-files -co --exclude-standard | while IFS= read -r f; do
    [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$work"
cd "$work"
PATH=$venv_bin:$PATH "$venv_bin/ansible-test" sanity --venv --python 3.11 --requirements \
    --color no "$@"

#!/usr/bin/env bash
# Runs `ansible-test sanity` on a copy of the collection laid out as
# ansible_collections/dbfleet/aws (ansible-test needs that path; the repository
# root is the collection itself). Each sanity test runs in its own virtualenv
# with the exact tool versions ansible-core 2.19 pins.
#   sanity.sh [ansible-test options]   every file
#   sanity.sh --changed-only            only the files changed since the last commit
#                                       (or, with none, those of the last commit)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
targets=()
if [ "${1:-}" = "--changed-only" ]; then
    shift
    cd "$root"
    mapfile -t changed < <({ git diff --name-only HEAD; git ls-files -o --exclude-standard; } | sort -u)
    [ ${#changed[@]} -eq 0 ] && mapfile -t changed < <(git diff --name-only HEAD~1 HEAD 2>/dev/null)
    for f in "${changed[@]}"; do
        [ -f "$f" ] && targets+=("$f")
    done
    if [ ${#targets[@]} -eq 0 ]; then
        echo "sanity: no changed files"
        exit 0
    fi
    echo "sanity on ${#targets[@]} changed file(s)"
fi
venv_bin=$root/.venv/bin
site=$root/.venv/lib/python3.11/site-packages
# Outside the repository: inside it, ansible-test would list files through git
# and find the copy ignored.
base=$(mktemp -d "${TMPDIR:-/tmp}/dbfleet-sanity.XXXXXX")
trap 'rm -rf "$base"' EXIT
work=$base/ansible_collections/dbfleet/aws
mkdir -p "$work"
cd "$root"
git ls-files -co --exclude-standard | while IFS= read -r f; do
    [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$work"
# ansible-test resolves the collections we depend on (doc fragments,
# module_utils) beside ours in the same ansible_collections tree.
bundled=$site/ansible_collections
for dep in amazon/aws community/aws community/postgresql; do
    mkdir -p "$base/ansible_collections/${dep%/*}"
    ln -s "$bundled/$dep" "$base/ansible_collections/$dep"
done
cd "$work"
# ansible-test bootstraps pip in each of its virtualenvs with a downloaded
# get-pip script; provide ours (see pip_bootstrap.py) under the cached name.
pip_version=$(grep -oP "pip='\K[0-9.]+" "$site"/ansible_test/_internal/python_requirements.py)
cache=~/.ansible/test/cache/get_pip_${pip_version//./_}.py
mkdir -p "$(dirname "$cache")"
cp "$root/tools/setup/pip_bootstrap.py" "$cache"
PATH=$venv_bin:$PATH "$venv_bin/ansible-test" sanity --venv --requirements --python 3.11 --color no "$@" \
    ${targets[@]+"${targets[@]}"}

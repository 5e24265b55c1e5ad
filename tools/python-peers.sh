#!/usr/bin/env bash
# Installs the Python test peers (moto's server, for the Kinesis channel: Kinesis and STS) into a
# virtualenv at <repo>/.tools/python-peers/, from the pins in tools/python-peers/requirements.txt,
# and reuses it while the pins and the Python version are unchanged. `.ci/run` calls it; the test
# harness (test/harness/moto.ts) calls it when the venv is missing.
#
#   tools/python-peers.sh          install or reuse; prints the venv's bin folder
#
# Needs python3 (≥ 3.9, with the venv module) and PyPI.
set -Eeuo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
venv="$repo_root/.tools/python-peers"
requirements="$script_dir/python-peers/requirements.txt"

log() { printf 'tools/python-peers.sh: %s\n' "$*" >&2; }
die() {
  printf 'tools/python-peers.sh: error: %s\n' "$*" >&2
  exit 1
}

python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || die "'$python' is not on PATH; Python 3 is needed for the moto server"
"$python" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null ||
  die "$("$python" --version 2>&1) with the venv module is needed (Python >= 3.9)"

mkdir -p "$repo_root/.tools"
# Test files and CI may call this at the same time: one installs, the others wait and reuse.
exec 9>"$repo_root/.tools/python-peers.lock"
flock 9

stamp_want="$("$python" --version 2>&1) $(sha256sum "$requirements" | cut -d' ' -f1)"
stamp="$venv/.stamp"
if [ -x "$venv/bin/moto_server" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_want" ]; then
  echo "$venv/bin"
  exit 0
fi

log "installing moto into $venv (pins: tools/python-peers/requirements.txt)"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -r "$requirements" >&2 || die "pip install failed (is PyPI reachable?)"
"$venv/bin/moto_server" --help >/dev/null 2>&1 || die "moto_server does not run after the install"
echo "$stamp_want" >"$stamp"
log "installed $("$venv/bin/python" -m pip show moto 2>/dev/null | sed -n 's/^Version: /moto /p')"
echo "$venv/bin"

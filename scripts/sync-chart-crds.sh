#!/usr/bin/env bash
# Copies the canonical CRDs (crds/*.yaml) into the Helm chart (charts/segwatch/files/crds/), which
# cannot read files outside its folder. Run after changing crds/; test/integration/packaging/
# chart-crds.test.ts fails while the copies differ.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$repo_root/crds"
dst="$repo_root/charts/segwatch/files/crds"
mkdir -p "$dst"
find "$dst" -maxdepth 1 -name '*.yaml' -delete
shopt -s nullglob
copied=0
for f in "$src"/*.yaml; do
  cp "$f" "$dst/"
  copied=$((copied + 1))
done
echo "sync-chart-crds: $copied CRD file(s) -> charts/segwatch/files/crds/"

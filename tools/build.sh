#!/usr/bin/env bash
# Builds the pinned test binaries (nats-server, later etcd, kube-apiserver, helm)
# from the Go modules under tools/ into <repo>/.tools/bin/, and reuses them while
# their pin is unchanged.
#
#   tools/build.sh            build every tools/<module>/ that has a BINARIES file
#   tools/build.sh nats kube  build only those module folders
#
# Each module folder holds go.mod + go.sum (the pin; a `tool` directive keeps the
# requirement in `go mod tidy`) and a BINARIES file, one binary per line:
#
#   <output-name> <package-path> [extra go build flags, shell-quoted]
#
# e.g.  kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver -ldflags="-X k8s.io/component-base/version.gitVersion=v1.36.3"
#
# Beside each binary, <name>.stamp records the Go version, the exact build command
# and the sha256 of go.mod/go.sum; a binary is rebuilt when its stamp differs.
set -Eeuo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
bin_dir="$repo_root/.tools/bin"

log() { printf 'tools/build.sh: %s\n' "$*" >&2; }
die() {
  printf 'tools/build.sh: error: %s\n' "$*" >&2
  exit 1
}
trap 'printf "tools/build.sh: error: line %s failed (exit %s): %s\n" "$LINENO" "$?" "$BASH_COMMAND" >&2' ERR

command -v go >/dev/null 2>&1 || die "'go' is not on PATH; a Go toolchain is needed to build the test binaries"

# Builds must be reproducible from the committed pins alone: no toolchain
# switching, no workspace from a parent folder, no cgo (so the binaries do not
# depend on the machine's C libraries), and go.mod/go.sum are never rewritten.
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
go_version="$(go env GOVERSION)"
go_platform="$(go env GOOS)/$(go env GOARCH)"

modules=()
if [ "$#" -eq 0 ]; then
  for f in "$script_dir"/*/BINARIES; do
    [ -e "$f" ] || continue
    modules+=("$(basename "$(dirname "$f")")")
  done
  [ "${#modules[@]}" -gt 0 ] || die "no tools/<module>/BINARIES files found"
else
  for m in "$@"; do
    m="${m%/}"
    m="${m#tools/}"
    [ -f "$script_dir/$m/BINARIES" ] || die "unknown tools module '$m' (expected $script_dir/$m/BINARIES)"
    [ -f "$script_dir/$m/go.mod" ] || die "tools/$m has no go.mod"
    modules+=("$m")
  done
fi

mkdir -p "$bin_dir"

# Two concurrent runs (e.g. a developer and a test watcher) must not interleave
# writes to the same binary.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$repo_root/.tools/.build.lock"
  if ! flock -n 9; then
    log "another tools/build.sh is running; waiting for it"
    flock 9
  fi
fi

built=0
reused=0
for m in "${modules[@]}"; do
  mod_dir="$script_dir/$m"
  [ -f "$mod_dir/go.sum" ] || die "tools/$m has no go.sum; run (cd tools/$m && GOTOOLCHAIN=local go mod tidy) and commit it"
  pin_hash="$(cat "$mod_dir/go.mod" "$mod_dir/go.sum" | sha256sum | cut -d' ' -f1)"

  lineno=0
  entries=0
  # fd 3, so that go and xargs never read the list as their stdin.
  while IFS= read -r -u 3 line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    line="${line%%#*}"
    [[ "$line" =~ ^[[:space:]]*$ ]] && continue
    read -r name pkg rest <<<"$line"
    [ -n "${pkg:-}" ] || die "tools/$m/BINARIES:$lineno: expected '<name> <package> [go build flags]'"
    case "$name" in
    */* | .* | "") die "tools/$m/BINARIES:$lineno: bad binary name '$name'" ;;
    esac
    extra=()
    if [ -n "${rest:-}" ]; then
      # xargs splits shell-style quoted words without executing anything.
      words="$(printf '%s' "$rest" | xargs -n1 printf '%s\n')" ||
        die "tools/$m/BINARIES:$lineno: cannot parse flags (unbalanced quotes?): $rest"
      mapfile -t extra <<<"$words"
    fi
    entries=$((entries + 1))

    out="$bin_dir/$name"
    stamp_file="$out.stamp"
    build_args=(-trimpath -buildvcs=false -mod=readonly "${extra[@]}")
    shown="go build$(printf ' %q' "${build_args[@]}" -o ".tools/bin/$name" "$pkg")"
    stamp="$(printf 'go: %s %s\nmodule: tools/%s\npin-sha256: %s\ncommand: CGO_ENABLED=0 %s\n' \
      "$go_version" "$go_platform" "$m" "$pin_hash" "$shown")"

    if [ -x "$out" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
      log "$name: up to date (.tools/bin/$name, tools/$m)"
      reused=$((reused + 1))
      continue
    fi

    if [ -e "$out" ]; then
      log "$name: pin, flags or toolchain changed since the last build; rebuilding"
    fi
    # Resolving the module first also fails early, with Go's own message, when
    # the package is not required by tools/$m/go.mod.
    modver="$(cd "$mod_dir" && go list -mod=readonly -f '{{with .Module}}{{.Path}}@{{.Version}}{{end}}' "$pkg")" ||
      die "tools/$m: cannot resolve package $pkg (is it required in tools/$m/go.mod?)"
    log "$name: building $pkg from $modver with $go_version ($go_platform)"
    log "  (cd tools/$m && CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off $shown)"

    tmp="$bin_dir/.$name.tmp.$$"
    rm -f "$tmp" "$stamp_file"
    start=$SECONDS
    # Build to a temporary name so an interrupted build never leaves a
    # half-written binary that a later run would take as current.
    if ! (cd "$mod_dir" && go build "${build_args[@]}" -o "$tmp" "$pkg"); then
      rm -f "$tmp"
      die "building $name ($pkg) in tools/$m failed"
    fi
    mv -f "$tmp" "$out"
    printf '%s\n' "$stamp" >"$stamp_file"
    log "$name: built in $((SECONDS - start))s -> .tools/bin/$name"
    built=$((built + 1))
  done 3<"$mod_dir/BINARIES"
  [ "$entries" -gt 0 ] || die "tools/$m/BINARIES lists no binaries"
done

log "done: $built built, $reused up to date, in $bin_dir"

# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source this file
# Shared helpers for scripts/*. Source it; it defines functions and variables only.
#
# PLEIADES_ROOT  repository root (the parent of scripts/)
# PLEIADES_BUILD build directory used by scripts/run and scripts/test (default: build/)
# PLEIADES_QEMU10_DIR  where scripts/lib/fetch-qemu10 unpacks QEMU 10 (default: $PLEIADES_BUILD/qemu10)

PLEIADES_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PLEIADES_BUILD="${PLEIADES_BUILD:-$PLEIADES_ROOT/build}"
PLEIADES_LOADER="$PLEIADES_BUILD/efi/BOOTX64.EFI"
PLEIADES_KERNEL="$PLEIADES_BUILD/kernel/kernel.elf"
PLEIADES_QEMU10_DIR="${PLEIADES_QEMU10_DIR:-$PLEIADES_BUILD/qemu10}"

# die MESSAGE...: print "<script>: MESSAGE" on stderr and exit 2.
die() {
  echo "$(basename "$0"): $*" >&2
  exit 2
}

# jobs_count: how many parallel build jobs (nproc, at least 1).
jobs_count() {
  nproc 2>/dev/null || echo 1
}

# configure_build DIR [CMAKE ARGS...]: configure DIR from the repo root unless it already has a
# cache made with the same ARGS (kept, one per line, in DIR/pleiades-configure-args; cmake
# re-runs itself when a CMakeLists.txt changed). A -D dropped from ARGS keeps its cached value:
# pass the default explicitly to undo one. Returns cmake's status.
configure_build() {
  local dir="$1"
  shift
  local stamp="$dir/pleiades-configure-args" wanted
  wanted="$(printf '%s\n' "$@")"
  if [[ -f "$dir/CMakeCache.txt" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    return 0
  fi
  cmake -S "$PLEIADES_ROOT" -B "$dir" "$@" || return
  printf '%s\n' "$@" >"$stamp"
}

# build_targets DIR [TARGET...]: build the named targets (all when none). Returns cmake's status.
build_targets() {
  local dir="$1"
  shift
  local args=(--build "$dir" -j "$(jobs_count)")
  if (($# > 0)); then
    args+=(--target "$@")
  fi
  cmake "${args[@]}"
}

# qemu10_path: print the QEMU 10 to run (the wrapper scripts/lib/fetch-qemu10 writes: it sets
# the library path, the firmware data directories and the module directory). Returns 1, with
# the command that fetches it on stderr, when it is not there.
qemu10_path() {
  local wrapper="$PLEIADES_QEMU10_DIR/qemu-system-x86_64"
  if [[ ! -x "$wrapper" ]]; then
    echo "$(basename "$0"): QEMU 10 is not in $PLEIADES_QEMU10_DIR; fetch it with:" >&2
    echo "  PLEIADES_BUILD=$PLEIADES_BUILD $PLEIADES_ROOT/scripts/deps" >&2
    return 1
  fi
  echo "$wrapper"
}

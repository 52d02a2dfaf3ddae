# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source this file
# Shared helpers for scripts/*. Source it; it defines functions and variables only.
#
# PLEIADES_ROOT  repository root (the parent of scripts/)
# PLEIADES_BUILD build directory used by scripts/run and scripts/test (default: build/)
# PLEIADES_QEMU10_DIR  where scripts/lib/fetch-qemu10 unpacks QEMU 10 (default: $PLEIADES_BUILD/qemu10)
# PLEIADES_LINUX_DIR   where scripts/lib/fetch-linux puts Debian's Linux kernel (default: $PLEIADES_BUILD/linux)

PLEIADES_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PLEIADES_BUILD="${PLEIADES_BUILD:-$PLEIADES_ROOT/build}"
# Absolute from here on: the helpers cd (and apt's private state is given as paths), so a
# relative PLEIADES_BUILD=build-x would otherwise name a different directory in each of them.
PLEIADES_BUILD="$(realpath -m -- "$PLEIADES_BUILD")"
PLEIADES_LOADER="$PLEIADES_BUILD/efi/BOOTX64.EFI"
PLEIADES_KERNEL="$PLEIADES_BUILD/kernel/kernel.elf"
PLEIADES_QEMU10_DIR="$(realpath -m -- "${PLEIADES_QEMU10_DIR:-$PLEIADES_BUILD/qemu10}")"
PLEIADES_LINUX_DIR="$(realpath -m -- "${PLEIADES_LINUX_DIR:-$PLEIADES_BUILD/linux}")"

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
# pass the default explicitly to undo one. Returns cmake's status. For the main build (DIR is
# $PLEIADES_BUILD) it also links compile_commands.json into the root (link_compile_commands).
configure_build() {
  local dir="$1"
  shift
  if [[ "$dir" == "$PLEIADES_BUILD" ]]; then
    link_compile_commands "$dir"
  fi
  local stamp="$dir/pleiades-configure-args" wanted
  wanted="$(printf '%s\n' "$@")"
  if [[ -f "$dir/CMakeCache.txt" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    return 0
  fi
  cmake -S "$PLEIADES_ROOT" -B "$dir" "$@" || return
  printf '%s\n' "$@" >"$stamp"
}

# link_compile_commands DIR: point $PLEIADES_ROOT/compile_commands.json (ignored by git) at
# DIR's, which CMake writes (CMAKE_EXPORT_COMPILE_COMMANDS), for editors and clangd. A regular
# file of that name, someone's own, is left alone. Always returns 0: an editor's convenience
# never fails a build.
link_compile_commands() {
  local link="$PLEIADES_ROOT/compile_commands.json"
  if [[ -e "$link" && ! -L "$link" ]]; then
    echo "$(basename "$0"): $link is a file, not a link: left as it is" >&2
    return 0
  fi
  ln -sfn "$(realpath -m --relative-to="$PLEIADES_ROOT" "$1/compile_commands.json")" "$link" ||
    echo "$(basename "$0"): could not link $link" >&2
  return 0
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

# add_file_spec HOST_PATH[:GUEST_PATH]: checks one --add argument of scripts/run and scripts/usb
# and prints it as a scripts/lib/mkinitramfs --file argument, HOST=GUEST:MODE (MODE the host
# file's permission bits; GUEST defaults to /bin/NAME). Dies (status 2) naming what is wrong: a
# host path that is not a regular file or holds '=', a guest path that is not absolute or has
# an empty, '.' or '..' component.
add_file_spec() {
  local spec="$1" host guest
  if [[ "$spec" == *:* ]]; then
    host="${spec%:*}"
    guest="${spec##*:}"
  else
    host="$spec"
    guest="/bin/$(basename -- "$spec")"
  fi
  [[ -n "$host" ]] || die "--add '$spec': no host file before ':'"
  [[ -e "$host" ]] || die "--add '$spec': no such file: $host"
  [[ -f "$host" ]] || die "--add '$spec': not a regular file: $host"
  [[ "$host" != *=* ]] || die "--add '$spec': a host path with '=' is not supported: $host"
  [[ "$guest" == /* ]] || die "--add '$spec': the guest path '$guest' is not absolute"
  [[ "$guest" != */ ]] || die "--add '$spec': the guest path '$guest' names a directory"
  local component
  local -a components
  IFS=/ read -r -a components <<<"${guest#/}"
  for component in "${components[@]}"; do
    case "$component" in
      "") die "--add '$spec': the guest path '$guest' has an empty component ('//')" ;;
      . | ..) die "--add '$spec': the guest path '$guest' has a '$component' component" ;;
    esac
  done
  echo "$host=$guest:$(stat -L -c %a -- "$host")"
}

# initramfs_with_added OUT BASE FILE_ARG...: writes OUT, the archive BASE plus the files given as
# mkinitramfs --file arguments (from add_file_spec); a file replaces one at the same path.
initramfs_with_added() {
  local out="$1" base="$2"
  shift 2
  [[ -f "$base" ]] || die "initramfs not found: $base (build the 'initramfs' target)"
  local args=(--out "$out" --archive "$base") f
  for f in "$@"; do
    args+=(--file "$f")
  done
  "$PLEIADES_ROOT/scripts/lib/mkinitramfs" "${args[@]}"
}

#!/usr/bin/env bash
# scripts/bench --vs-kernel and bench/user/vs_linux.py without QEMU or a build: every refusal of
# the baseline kernel file and of the option combinations (each before anything is configured or
# built), then the table of both comparisons from stand-in serial logs: a row the baseline did not
# produce shows "(none)", a row it produced in fewer rounds says so, the other rows keep their
# figures, and a kernel without any result is an error naming it. Prints one line per check and
# "bench --vs tests: N passed, N failed"; exits 1 if any check failed.
set -euo pipefail

usage() {
  echo "Usage: tests/boot/bench_vs_test.sh   (no options; needs no build and starts no QEMU)"
}
if (($# > 0)); then
  usage
  [[ "$1" == -h || "$1" == --help ]]
  exit
fi

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=tests/boot/lib/checks.sh
source "$REPO/tests/boot/lib/checks.sh"
checks_begin "bench --vs"

# elf_header FILE CLASS DATA MACHINE: a 64-byte ELF header with those bytes (e_ident[4], [5],
# e_machine little-endian as two hex bytes), the rest zero: all that --vs-kernel reads.
elf_header() {
  local file="$1" class="$2" data="$3" machine="$4"
  {
    printf %b "\\x7fELF\\x$class\\x$data\\x01"
    head -c 9 /dev/zero
    printf %b "\\x02\\x00\\x${machine:0:2}\\x${machine:2:2}"  # e_type EXEC, e_machine
    head -c 44 /dev/zero
  } >"$file"
}

# Refusals. PLEIADES_BUILD points at a directory that must stay absent: a refusal that let the
# script go on would configure it.
build="$tmp/build"
bench() {
  PLEIADES_BUILD="$build" "$REPO/scripts/bench" "$@"
}
good="$tmp/kernel.elf"
elf_header "$good" 02 01 3e00
elf_header "$tmp/elf32.elf" 01 01 3e00
elf_header "$tmp/big-endian.elf" 02 02 3e00
elf_header "$tmp/arm64.elf" 02 01 b700
printf 'not an ELF file at all\n' >"$tmp/text"
: >"$tmp/empty"
mkdir "$tmp/dir"

check "no file" 2 "--vs-kernel needs the baseline kernel's ELF file" bench --vs-kernel
check "an option as the file" 2 "--vs-kernel needs the baseline kernel's ELF file" \
  bench --vs-kernel --smp 2
check "missing file" 2 "'$tmp/nope' does not exist" bench --vs-kernel "$tmp/nope"
check "directory" 2 "'$tmp/dir' is not a regular file" bench --vs-kernel "$tmp/dir"
check "text file" 2 "'$tmp/text' is not an ELF file \(no ELF magic\)" bench --vs-kernel "$tmp/text"
check "empty file" 2 "'$tmp/empty' is not an ELF file" bench --vs-kernel "$tmp/empty"
check "ELF32" 2 "is not a little-endian ELF64 file" bench --vs-kernel "$tmp/elf32.elf"
check "big-endian ELF64" 2 "is not a little-endian ELF64 file" bench --vs-kernel "$tmp/big-endian.elf"
check "arm64 ELF" 2 "is not an x86-64 ELF file \(e_machine bytes b700\)" \
  bench --vs-kernel "$tmp/arm64.elf"
check "with --vs-linux" 2 "--user, --vs-linux and --vs-kernel exclude each other" \
  bench --vs-linux --vs-kernel "$good"
check "with --user" 2 "--user, --vs-linux and --vs-kernel exclude each other" \
  bench --vs-kernel "$good" --user
# A good file passes the check: these stop at the next one, still before the build.
check "binary names" 2 "--vs-kernel takes no binary names" bench --vs-kernel "$good" lock_bench
check "ROUNDS=0" 2 "ROUNDS must be a positive whole number, not '0'" \
  env ROUNDS=0 PLEIADES_BUILD="$build" "$REPO/scripts/bench" --vs-kernel "$good"
check "--vs-linux binary names (unchanged)" 2 "--vs-linux takes no binary names" \
  bench --vs-linux lock_bench
if [[ -e "$build" ]]; then
  fail "a refused run configured $build"
else
  pass "no refused run configured or built anything"
fi

# The tables, from stand-in serial logs. line BENCH PARAM NS: one benchmark's JSON line.
line() {
  printf '{"bench": "%s", "param": "%s", "ns_per_op": %s, "ops": 10, "reps": 5, "kernel": "Linux 6.1.0-pleiades"}\r\n' \
    "$1" "$2" "$3"
}
out="$tmp/vs-kernel"
mkdir "$out"
{ line pagefault_first_touch 4k 1000; line fork_exit_wait "" 500000; line mq_pingpong same-cpu 60000
  echo "bench: 3 ran, 0 failed"; } >"$out/ours-smp2-round1.log"
{ line pagefault_first_touch 4k 3000; line fork_exit_wait "" 700000; line mq_pingpong same-cpu 80000
  echo "bench: 3 ran, 0 failed"; } >"$out/ours-smp2-round2.log"
# The baseline: no mq_pingpong at all, fork_exit_wait in one round of two.
{ line pagefault_first_touch 4k 4000; echo "# /bench/fork: exit status 1"
  echo "# /bench/mq: exit status 1"; echo "bench: 3 ran, 2 failed"; } >"$out/baseline-smp2-round1.log"
{ line pagefault_first_touch 4k 6000; line fork_exit_wait "" 1000000
  echo "# /bench/mq: exit status 1"; echo "bench: 3 ran, 1 failed"; } >"$out/baseline-smp2-round2.log"
check "vs-kernel table" 0 "ours / baseline" python3 "$REPO/bench/user/vs_linux.py" "$out" --smp 2 \
  --vs kernel
table="$out/vs-kernel-smp2.md"
for want in '| benchmark | param | ours | baseline | ratio |' \
  '| pagefault_first_touch | 4k | 2000.0 (1000.0..3000.0) | 5000.0 (4000.0..6000.0) | 0.40 |' \
  '| fork_exit_wait |  | 600000.0 (500000.0..700000.0) | 1000000.0 in 1 of 2 rounds | 0.60 |' \
  '| mq_pingpong | same-cpu | 70000.0 (60000.0..80000.0) | (none) |  |'; do
  if [[ -f "$table" ]] && grep -qxF "$want" "$table"; then
    pass "vs-kernel table has '$want'"
  else
    fail "vs-kernel table lacks '$want'; it holds:"
    sed 's/^/    | /' "$table" 2>&1
  fi
done
if python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
assert [r["values"] for r in d["baseline"] if r["bench"] == "pagefault_first_touch"] == [[4000.0, 6000.0]]
assert "ours" in d' "$out/vs-kernel-smp2.json"; then
  pass "vs-kernel JSON has every round's figure under ours and baseline"
else
  fail "vs-kernel JSON does not have the rounds' figures"
fi
for log in "$out"/baseline-*.log; do
  printf 'no benchmark here\r\n' >"$log"
done
check "baseline without any result" 1 "baseline has no benchmark result in 2 round logs" \
  python3 "$REPO/bench/user/vs_linux.py" "$out" --smp 2 --vs kernel

out="$tmp/vs-linux"
mkdir "$out"
{ line syscall_getpid "" 700; echo "bench: 1 ran, 0 failed"; } >"$out/pleiades-smp1-round1.log"
{ line syscall_getpid "" 350; echo "bench: 1 ran, 0 failed"; } >"$out/linux-smp1-round1.log"
check "vs-linux table (the default comparison)" 0 "Ratio: Pleiades / Linux" \
  python3 "$REPO/bench/user/vs_linux.py" "$out" --smp 1
if grep -qxF '| syscall_getpid |  | 700.0 | 350.0 | 2.00 |' "$out/vs-linux-smp1.md" 2>/dev/null &&
  grep -qxF '| benchmark | param | Pleiades | Linux | ratio |' "$out/vs-linux-smp1.md"; then
  pass "vs-linux table keeps its columns and names"
else
  fail "vs-linux table differs; it holds:"
  sed 's/^/    | /' "$out/vs-linux-smp1.md" 2>&1
fi

checks_summary

# shellcheck shell=bash
# Counters and verdict helpers for the shell self-tests in tests/boot/ (usb_test.sh,
# run_add_test.sh, bench_vs_test.sh). Source it after `set -euo pipefail`, then call
# checks_begin once; it defines functions and two counters only.
#
# checks_begin SUBJECT              every line names SUBJECT: "[PASS] SUBJECT: NAME"
# pass NAME                         prints "[PASS] SUBJECT: NAME", counts a pass
# fail TEXT                         prints "[FAIL] SUBJECT: TEXT", counts a failure
# check NAME STATUS REGEX COMMAND... runs COMMAND (a program or a function) with stdin from
#                                   /dev/null and stderr into stdout; a pass if it exits with
#                                   STATUS and its output matches the bash regex REGEX, else a
#                                   failure that shows the status and the output
# checks_summary                    prints "SUBJECT tests: N passed, N failed" (the line a
#                                   reader of the log looks for); returns 1 if any check failed,
#                                   so as the script's last command it sets the exit status

checks_subject=""
checks_passed=0
checks_failed=0

checks_begin() {
  checks_subject="$1"
  checks_passed=0
  checks_failed=0
}

pass() {
  echo "[PASS] $checks_subject: $1"
  checks_passed=$((checks_passed + 1))
}

fail() {
  echo "[FAIL] $checks_subject: $1"
  checks_failed=$((checks_failed + 1))
}

check() {
  local name="$1" want_status="$2" want="$3" out status=0
  shift 3
  out="$("$@" </dev/null 2>&1)" || status=$?
  if [[ "$status" == "$want_status" && "$out" =~ $want ]]; then
    pass "$name"
  else
    fail "$name: status $status (want $want_status), output:"
    sed 's/^/    | /' <<<"$out"
  fi
}

checks_summary() {
  echo "$checks_subject tests: $checks_passed passed, $checks_failed failed"
  ((checks_failed == 0))
}

// Runs the registered in-kernel tests (kernel/ktest/ktest.h) and prints the protocol the boot
// test harness reads:
//   [PASS] name
//   [FAIL] name: file:line: KCHECK_EQ(a, b) (got X vs Y)
//   [SKIP] name: reason
//   N passed, N failed[, N skipped]
#pragma once

#include "smp/klib/format.h"

namespace ktest {

// Runs every test whose name matches `pattern` (kernel/ktest/pattern.h), in link order.
// Returns true if none failed. Selecting no test at all counts as a failure: a typo in the
// pattern must not look like a green run.
bool run_tests(fmt::StringView pattern);

}  // namespace ktest

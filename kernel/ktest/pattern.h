// Test selection for `test=PATTERN`: a pattern without '*' selects the names it is a prefix
// of; with '*' it is a glob over the whole name ('*' = any run of characters, maybe empty).
// Pure, tested on the host (tests/host/kernel/pattern_test.cc).
#pragma once

#include "smp/klib/format.h"

namespace ktest {

// An empty pattern matches every name.
bool name_matches(fmt::StringView pattern, fmt::StringView name);

}  // namespace ktest

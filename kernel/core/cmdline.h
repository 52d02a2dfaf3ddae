// The kernel command line: words separated by blanks, each `key` or `key=value` (no quoting),
// parsed once against the table of boot options (kernel/core/options.inc) into typed structs.
// Pure code (no allocation, no hardware), tested on the host: tests/host/kernel/cmdline_test.cc.
#pragma once

#include <cstddef>

#include "kernel/core/options.h"
#include "smp/klib/format.h"

namespace cmdline {

inline constexpr std::size_t kMaxWords = 64;      // more are ignored and reported
inline constexpr std::size_t kMaxProblems = 8;    // problems kept for the warning log

// A word the parser did not apply; `word` points into the parsed text. `option`: the row whose
// key the word has (null for an unknown key or a word past kMaxWords).
struct Problem {
  ProblemKind kind = ProblemKind::kNone;
  fmt::StringView word;
  const Option* option = nullptr;
};

struct ParseResult {
  BootOptions options;
  // Everything after the word `--` (as Linux: the arguments of init), blanks at its ends
  // trimmed; empty when there is none. Points into the parsed text.
  fmt::StringView init_arguments;
  Problem problems[kMaxProblems];
  std::size_t problem_count = 0;     // kept in `problems`
  std::size_t problems_dropped = 0;  // beyond kMaxProblems
};

// Parses `text` (need not be NUL terminated). Stops at the word `--`: the rest is
// init_arguments, not options. Never fails: a word it cannot apply is reported in
// `problems` and leaves its option as it was (the default, or an earlier word's value); every
// other word still applies. The StringViews in the result point into `text`, which must outlive
// them. Later occurrences of a key override earlier ones.
ParseResult parse(fmt::StringView text);

// What is wrong, as a short phrase ("bad value", "unknown option").
const char* problem_name(ProblemKind kind);

// Writes `problem` as the boot log shows it, e.g.
//   bad value: "smp=fast" (takes smp=parallel|serial|off); ignored
void write_problem(fmt::Sink& out, const Problem& problem);

}  // namespace cmdline

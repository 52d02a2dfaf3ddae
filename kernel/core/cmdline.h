// The kernel command line: words separated by spaces, each `key` or `key=value` (no quoting).
// Pure code (no allocation, no hardware), tested on the host: tests/host/kernel/cmdline_test.cc.
//
// Known options:
//   test            run every in-kernel test, then stop
//   test=PATTERN    run the tests whose name matches PATTERN (prefix, or a '*' glob)
//   qemu_exit       on stop, exit QEMU through isa-debug-exit (port 0xf4) instead of powering off
//   poweroff        power off after boot (when not running tests)
//   fault=page|ud   take a deliberate unhandled fault after boot (backtrace tests)
//   loglevel=debug|info|warn|error
//   acpi=dump       print every ACPI table in acpidump's layout (for acpiinfo)
//   nosched, sched=off   do not run the preemptive scheduler (kernel/threads), which runs by
//                   default (`sched`, `sched=on`); sched_bench: run only its benchmark
//   nohz=off        keep every CPU's periodic tick while idle (tickless idle is the default:
//                   `nohz`, `nohz=on`; docs/scheduling.md)
//   smp=, nosmp, maxcpus=, smp_fake_apic=   AP bring-up (parsed by kernel/cpus/smp_options.h)
//   lockstat, watchdog, bench, stall=, panic_on_ap=, lockdep_test=   cross-CPU services and
//                   their test provocations (parsed by kernel/cpus/ipi/service_options.h)
#pragma once

#include <cstddef>

#include "kernel/console/log.h"
#include "smp/klib/format.h"

namespace cmdline {

inline constexpr std::size_t kMaxWords = 64;      // more are ignored and reported
inline constexpr std::size_t kMaxProblems = 8;    // problems kept for the warning log

enum class Fault { kNone, kPage, kInvalidOpcode };

struct Options {
  bool run_tests = false;
  fmt::StringView test_pattern;  // empty = all (valid only with run_tests)
  bool qemu_exit = false;
  bool power_off = false;
  Fault fault = Fault::kNone;
  klog::Level log_level = klog::Level::kInfo;
  bool acpi_dump = false;
  bool sched = true;         // on unless nosched / sched=off; sched_bench implies it
  bool sched_bench = false;
  bool nohz_idle = true;     // tickless idle, on unless nohz=off
};

enum class ProblemKind { kUnknownKey, kBadValue, kMissingValue, kUnexpectedValue, kTooManyWords };

// Something in the command line the parser skipped; `word` points into the parsed text.
struct Problem {
  ProblemKind kind;
  fmt::StringView word;
};

struct ParseResult {
  Options options;
  Problem problems[kMaxProblems];
  std::size_t problem_count = 0;     // kept in `problems`
  std::size_t problems_dropped = 0;  // beyond kMaxProblems
};

// Parses `text` (need not be NUL terminated). Never fails: whatever it does not understand is
// reported in `problems` and otherwise ignored. The StringViews in the result point into
// `text`, which must outlive them. Later occurrences of a key override earlier ones.
ParseResult parse(fmt::StringView text);

const char* problem_name(ProblemKind kind);

}  // namespace cmdline

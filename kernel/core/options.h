// The kernel's boot options as typed structs, one per subsystem, made from the rows of
// kernel/core/options.inc; the names each Choice option accepts; and the table of every option
// (name, how it parses, its forms, its default, its help) that the parser and the docs use.
// kernel_main parses the command line once (kernel/core/cmdline.h) and hands each subsystem its
// struct: SmpOptions to kcpus::start_secondary_cpus, ServiceOptions to kcpus::init_cross_cpu_services.
#pragma once

#include <cstddef>

#include "kernel/console/log.h"
#include "kernel/core/deliberate_fault.h"
#include "kernel/core/option_kinds.h"
#include "kernel/cpus/ipi/service_options.h"
#include "kernel/cpus/smp_options.h"

namespace cmdline {

// The values of the Choice options, in the order the docs list them (smp='s are
// kcpus::kStartModeNames, beside the enum, for the bring-up code that names them).
inline constexpr Name<bool> kAcpiActions[] = {{"dump", true}};
inline constexpr Name<kcpus::StallTest> kStallTests[] = {
    {"irqoff", kcpus::StallTest::kIrqOff},
    {"lock", kcpus::StallTest::kLock},
};
inline constexpr Name<bool> kLockdepTests[] = {{"inversion", true}};
inline constexpr Name<klog::Level> kLogLevels[] = {
    {"debug", klog::Level::kDebug},
    {"info", klog::Level::kInfo},
    {"warn", klog::Level::kWarn},
    {"error", klog::Level::kError},
};
// spinlocks=: how a waiter for a ticket spinlock gets it (smp/locks/ticket_lock.h).
enum class SpinlockMode : std::uint8_t {
  kAuto,     // kVirtual where CPUID reports a hypervisor, kFair on bare hardware
  kFair,     // in line (FIFO)
  kVirtual,  // whichever waiter finds it free (platform::virtual_cpus)
};
inline constexpr Name<SpinlockMode> kSpinlockModes[] = {
    {"auto", SpinlockMode::kAuto},
    {"fair", SpinlockMode::kFair},
    {"virtual", SpinlockMode::kVirtual},
};
inline constexpr Name<core::Fault> kFaults[] = {
    {"page", core::Fault::kPage},
    {"ud", core::Fault::kInvalidOpcode},
};

// One struct per GROUP of options.inc: OPTION_<group> makes a field in that group's struct and
// nothing in the others.
#define OPTION(GROUP, NAME, FIELD, KIND, DEFAULT, HELP) OPTION_##GROUP(FIELD, KIND, DEFAULT)
#define ALIAS(NAME, TARGET)
#define OPTIONS_FIELD(FIELD, KIND, DEFAULT) KIND::Value FIELD = DEFAULT;
#define OPTIONS_SKIP(FIELD, KIND, DEFAULT)

// kernel_main's own options (test run, power, console, ACPI dump, scheduler, fault test).
struct CoreOptions {
#define OPTION_core OPTIONS_FIELD
#define OPTION_smp OPTIONS_SKIP
#define OPTION_services OPTIONS_SKIP
#include "kernel/core/options.inc"
#undef OPTION_core
#undef OPTION_smp
#undef OPTION_services
};

// AP bring-up (kernel/cpus/bringup.cc). max_cpus 0: no limit.
struct SmpOptions {
#define OPTION_core OPTIONS_SKIP
#define OPTION_smp OPTIONS_FIELD
#define OPTION_services OPTIONS_SKIP
#include "kernel/core/options.inc"
#undef OPTION_core
#undef OPTION_smp
#undef OPTION_services
};

// The cross-CPU services, their diagnostics and test provocations (kernel/cpus/ipi/services.cc).
// panic_on_ap 0: off.
struct ServiceOptions {
#define OPTION_core OPTIONS_SKIP
#define OPTION_smp OPTIONS_SKIP
#define OPTION_services OPTIONS_FIELD
#include "kernel/core/options.inc"
#undef OPTION_core
#undef OPTION_smp
#undef OPTION_services
};

#undef OPTIONS_FIELD
#undef OPTIONS_SKIP
#undef ALIAS
#undef OPTION

// Everything the command line sets; the member names are options.inc's GROUPs.
struct BootOptions {
  CoreOptions core;
  SmpOptions smp;
  ServiceOptions services;
};

// One row of options.inc.
struct Option {
  const char* name;
  // Parses `word` (whose key is `name`) into its field of `options`; null for an alias.
  ProblemKind (*apply)(const klib::Word& word, BootOptions& options);
  // The forms it takes, plain text, ", " between them: "sched, sched=on|off".
  void (*write_usage)(fmt::Sink& out, const char* name);
  // Its default in words ("on", "parallel", "none"); null for an alias.
  void (*write_default)(fmt::Sink& out);
  const char* help;
  const char* alias_of;  // an alias: the word it stands for ("smp=off"); else null
};

// The rows of options.inc, in order.
struct OptionTable {
  const Option* rows;
  std::size_t count;
  const Option* begin() const { return rows; }
  const Option* end() const { return rows + count; }
};
OptionTable option_table();

}  // namespace cmdline

#include "kernel/core/cmdline.h"

#include "smp/klib/words.h"

namespace cmdline {
namespace {

using klib::equals;
using klib::Word;

void add_problem(ParseResult& r, ProblemKind kind, fmt::StringView word) {
  if (r.problem_count < kMaxProblems) {
    r.problems[r.problem_count++] = Problem{kind, word};
  } else {
    ++r.problems_dropped;
  }
}

void apply_flag(ParseResult& r, const Word& w, bool& flag) {
  if (w.has_value) {
    add_problem(r, ProblemKind::kUnexpectedValue, w.whole);
    return;
  }
  flag = true;
}

void apply(ParseResult& r, const Word& w) {
  Options& o = r.options;
  if (equals(w.key, "test")) {
    o.run_tests = true;
    o.test_pattern = w.has_value ? w.value : fmt::StringView();
  } else if (equals(w.key, "qemu_exit")) {
    apply_flag(r, w, o.qemu_exit);
  } else if (equals(w.key, "sched")) {
    if (!w.has_value || equals(w.value, "on")) {
      o.sched = true;
    } else if (equals(w.value, "off")) {
      o.sched = false;
    } else {
      add_problem(r, ProblemKind::kBadValue, w.whole);
    }
  } else if (equals(w.key, "nohz")) {
    if (!w.has_value || equals(w.value, "on")) {
      o.nohz_idle = true;
    } else if (equals(w.value, "off")) {
      o.nohz_idle = false;
    } else {
      add_problem(r, ProblemKind::kBadValue, w.whole);
    }
  } else if (equals(w.key, "nosched")) {
    bool off = false;
    apply_flag(r, w, off);
    if (off) o.sched = false;
  } else if (equals(w.key, "sched_bench")) {
    apply_flag(r, w, o.sched_bench);
    if (o.sched_bench) o.sched = true;
  } else if (equals(w.key, "poweroff")) {
    apply_flag(r, w, o.power_off);
  } else if (equals(w.key, "fault")) {
    if (!w.has_value) {
      add_problem(r, ProblemKind::kMissingValue, w.whole);
    } else if (equals(w.value, "page")) {
      o.fault = Fault::kPage;
    } else if (equals(w.value, "ud")) {
      o.fault = Fault::kInvalidOpcode;
    } else {
      add_problem(r, ProblemKind::kBadValue, w.whole);
    }
  } else if (equals(w.key, "smp") || equals(w.key, "nosmp") || equals(w.key, "maxcpus") ||
             equals(w.key, "smp_fake_apic")) {
    // Known: kernel/cpus/smp_options.cc parses these and reports its own malformed values.
  } else if (equals(w.key, "lockstat") || equals(w.key, "watchdog") || equals(w.key, "bench") ||
             equals(w.key, "stall") || equals(w.key, "panic_on_ap") ||
             equals(w.key, "lockdep_test")) {
    // Known: kernel/cpus/ipi/service_options.cc parses these and reports malformed values.
  } else if (equals(w.key, "acpi")) {
    if (!w.has_value) {
      add_problem(r, ProblemKind::kMissingValue, w.whole);
    } else if (equals(w.value, "dump")) {
      o.acpi_dump = true;
    } else {
      add_problem(r, ProblemKind::kBadValue, w.whole);
    }
  } else if (equals(w.key, "loglevel")) {
    if (!w.has_value) {
      add_problem(r, ProblemKind::kMissingValue, w.whole);
    } else if (equals(w.value, "debug")) {
      o.log_level = klog::Level::kDebug;
    } else if (equals(w.value, "info")) {
      o.log_level = klog::Level::kInfo;
    } else if (equals(w.value, "warn")) {
      o.log_level = klog::Level::kWarn;
    } else if (equals(w.value, "error")) {
      o.log_level = klog::Level::kError;
    } else {
      add_problem(r, ProblemKind::kBadValue, w.whole);
    }
  } else {
    add_problem(r, ProblemKind::kUnknownKey, w.whole);
  }
}

}  // namespace

ParseResult parse(fmt::StringView text) {
  ParseResult r;
  std::size_t words = 0;
  klib::for_each_word(text, [&](const Word& w) {
    if (++words > kMaxWords) {
      add_problem(r, ProblemKind::kTooManyWords, w.whole);
      return false;  // the rest is ignored; one report is enough
    }
    apply(r, w);
    return true;
  });
  return r;
}

const char* problem_name(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kUnknownKey: return "unknown option";
    case ProblemKind::kBadValue: return "bad value";
    case ProblemKind::kMissingValue: return "missing value";
    case ProblemKind::kUnexpectedValue: return "option takes no value";
    case ProblemKind::kTooManyWords: return "too many words, ignored from";
  }
  return "?";
}

}  // namespace cmdline

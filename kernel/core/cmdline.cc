#include "kernel/core/cmdline.h"

namespace cmdline {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0'; }

bool equals(fmt::StringView a, const char* b) {
  std::size_t i = 0;
  for (; i < a.length; ++i) {
    if (b[i] == '\0' || b[i] != a.data[i]) return false;
  }
  return b[i] == '\0';
}

void add_problem(ParseResult& r, ProblemKind kind, fmt::StringView word) {
  if (r.problem_count < kMaxProblems) {
    r.problems[r.problem_count++] = Problem{kind, word};
  } else {
    ++r.problems_dropped;
  }
}

// One word split at its first '='.
struct Word {
  fmt::StringView whole;
  fmt::StringView key;
  fmt::StringView value;
  bool has_value;
};

Word split(fmt::StringView whole) {
  for (std::size_t i = 0; i < whole.length; ++i) {
    if (whole.data[i] == '=') {
      return {whole, fmt::StringView(whole.data, i),
              fmt::StringView(whole.data + i + 1, whole.length - i - 1), true};
    }
  }
  return {whole, whole, fmt::StringView(), false};
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
    apply_flag(r, w, o.sched);
  } else if (equals(w.key, "sched_bench")) {
    apply_flag(r, w, o.sched_bench);
    o.sched = o.sched_bench;
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
    // Known: kernel/smp/smp_options.cc parses these and reports its own malformed values.
  } else if (equals(w.key, "lockstat") || equals(w.key, "watchdog") || equals(w.key, "bench") ||
             equals(w.key, "stall") || equals(w.key, "panic_on_ap") ||
             equals(w.key, "lockdep_test")) {
    // Known: kernel/smp/ipi/service_options.cc parses these and reports malformed values.
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
  std::size_t i = 0;
  while (i < text.length) {
    while (i < text.length && is_space(text.data[i])) ++i;
    if (i == text.length) break;
    const std::size_t start = i;
    while (i < text.length && !is_space(text.data[i])) ++i;
    const fmt::StringView word(text.data + start, i - start);
    if (++words > kMaxWords) {
      add_problem(r, ProblemKind::kTooManyWords, word);
      break;  // the rest is ignored; one report is enough
    }
    apply(r, split(word));
  }
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

#include "kernel/core/cmdline.h"

#include "smp/klib/words.h"

namespace cmdline {
namespace {

using klib::equals;
using klib::Word;

void add_problem(ParseResult& r, ProblemKind kind, fmt::StringView word, const Option* option) {
  if (r.problem_count < kMaxProblems) {
    r.problems[r.problem_count++] = Problem{kind, word, option};
  } else {
    ++r.problems_dropped;
  }
}

const Option* find_option(fmt::StringView key) {
  for (const Option& option : option_table()) {
    if (equals(key, option.name)) return &option;
  }
  return nullptr;
}

void apply(ParseResult& r, const Word& w) {
  const Option* option = find_option(w.key);
  if (option == nullptr) {
    add_problem(r, ProblemKind::kUnknownKey, w.whole, nullptr);
    return;
  }
  ProblemKind kind = ProblemKind::kNone;
  if (option->alias_of == nullptr) {
    kind = option->apply(w, r.options);
  } else if (w.has_value) {
    kind = ProblemKind::kUnexpectedValue;
  } else {
    // An alias stands for one word of a real option (options.inc), which always applies.
    const Word target = klib::split_word(fmt::StringView(option->alias_of));
    kind = find_option(target.key)->apply(target, r.options);
  }
  if (kind != ProblemKind::kNone) add_problem(r, kind, w.whole, option);
}

// The implications options.inc lists, applied after the last word so that their order does
// not matter.
void apply_implications(BootOptions& o) {
  if (o.core.sched_bench) o.core.sched = true;
  if (o.services.stall != kcpus::StallTest::kNone) o.services.watchdog = true;
}

}  // namespace

ParseResult parse(fmt::StringView text) {
  ParseResult r;
  std::size_t words = 0;
  klib::for_each_word(text, [&](const Word& w) {
    if (equals(w.whole, "--")) {
      const char* rest = w.whole.data + w.whole.length;
      std::size_t length = text.length - static_cast<std::size_t>(rest - text.data);
      while (length > 0 && klib::is_blank(*rest)) ++rest, --length;
      while (length > 0 && klib::is_blank(rest[length - 1])) --length;
      r.init_arguments = fmt::StringView(rest, length);
      return false;
    }
    if (++words > kMaxWords) {
      add_problem(r, ProblemKind::kTooManyWords, w.whole, nullptr);
      return false;  // the rest is ignored; one report is enough
    }
    apply(r, w);
    return true;
  });
  apply_implications(r.options);
  return r;
}

const char* problem_name(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kNone: return "no problem";
    case ProblemKind::kUnknownKey: return "unknown option";
    case ProblemKind::kBadValue: return "bad value";
    case ProblemKind::kMissingValue: return "missing value";
    case ProblemKind::kUnexpectedValue: return "option takes no value";
    case ProblemKind::kTooManyWords: return "too many words, ignored from";
  }
  return "?";
}

void write_problem(fmt::Sink& out, const Problem& problem) {
  fmt::format_to(out, "{}: \"{}\"", problem_name(problem.kind), problem.word);
  if (problem.option != nullptr) {
    fmt::format_to(out, " (takes ");
    problem.option->write_usage(out, problem.option->name);
    fmt::format_to(out, "); ignored");
  }
}

}  // namespace cmdline

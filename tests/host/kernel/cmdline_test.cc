// The command-line parser over the boot-option table (kernel/core/cmdline.h, options.inc).
#include "kernel/core/cmdline.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "tests/host/string_sink.h"

namespace {

using cmdline::ProblemKind;

std::string str(fmt::StringView v) { return std::string(v.data ? v.data : "", v.length); }

using testing_support::StringSink;

// A ParseResult keeps views into its text: the texts parsed here live as long as the process (a
// deque never moves its elements).
cmdline::ParseResult parse(const std::string& s) {
  static std::deque<std::string> texts;
  texts.push_back(s);
  return cmdline::parse(fmt::StringView(texts.back().data(), texts.back().size()));
}

std::vector<ProblemKind> kinds(const cmdline::ParseResult& r) {
  std::vector<ProblemKind> out;
  for (std::size_t i = 0; i < r.problem_count; ++i) out.push_back(r.problems[i].kind);
  return out;
}

const cmdline::Option& row(const char* name) {
  for (const cmdline::Option& o : cmdline::option_table()) {
    if (std::string(o.name) == name) return o;
  }
  ADD_FAILURE() << "no option " << name;
  return *cmdline::option_table().begin();
}

std::string usage(const cmdline::Option& o) {
  StringSink s;
  o.write_usage(s, o.name);
  return s.text();
}

// The words a row's usage stands for: "smp=parallel|serial|off" is three, "maxcpus=N" one with
// an example number, "test, test=PATTERN" two.
std::vector<std::string> documented_words(const cmdline::Option& o) {
  std::vector<std::string> words;
  const std::string forms = usage(o);
  std::size_t start = 0;
  while (start <= forms.size()) {
    std::size_t end = forms.find(", ", start);
    if (end == std::string::npos) end = forms.size();
    const std::string form = forms.substr(start, end - start);
    const std::size_t eq = form.find('=');
    if (eq == std::string::npos) {
      words.push_back(form);
    } else {
      const std::string key = form.substr(0, eq + 1);
      const std::string values = form.substr(eq + 1);
      std::size_t v = 0;
      while (v <= values.size()) {
        std::size_t bar = values.find('|', v);
        if (bar == std::string::npos) bar = values.size();
        std::string value = values.substr(v, bar - v);
        if (value == "N") value = "2";
        if (value == "ID") value = "0x40";
        if (value == "PATTERN") value = "core_*";
        words.push_back(key + value);
        v = bar + 1;
      }
    }
    start = end + 2;
  }
  return words;
}

TEST(Cmdline, EmptyGivesDefaults) {
  for (const char* text : {"", "   \t\r\n "}) {
    const auto r = parse(text);
    EXPECT_EQ(r.problem_count, 0u);
    const cmdline::CoreOptions& c = r.options.core;
    EXPECT_FALSE(c.tests.selected);
    EXPECT_FALSE(c.qemu_exit);
    EXPECT_FALSE(c.power_off);
    EXPECT_FALSE(c.acpi_dump);
    EXPECT_TRUE(c.sched);
    EXPECT_FALSE(c.sched_bench);
    EXPECT_TRUE(c.nohz_idle);
    EXPECT_EQ(c.fault, core::Fault::kNone);
    EXPECT_EQ(c.log_level, klog::Level::kInfo);
    const cmdline::SmpOptions& s = r.options.smp;
    EXPECT_EQ(s.mode, kcpus::StartMode::kParallel);
    EXPECT_EQ(s.max_cpus, 0u);
    EXPECT_EQ(s.fake_apics.count, 0u);
    const cmdline::ServiceOptions& v = r.options.services;
    EXPECT_FALSE(v.lockstat);
    EXPECT_FALSE(v.watchdog);
    EXPECT_FALSE(v.bench);
    EXPECT_EQ(v.stall, kcpus::StallTest::kNone);
    EXPECT_EQ(v.panic_on_ap, 0u);
    EXPECT_FALSE(v.lockdep_inversion);
  }
}

TEST(Cmdline, FlagsAndValues) {
  auto r = parse("test qemu_exit poweroff fault=page loglevel=debug");
  EXPECT_TRUE(r.options.core.tests.selected);
  EXPECT_EQ(r.options.core.tests.pattern.length, 0u);
  EXPECT_TRUE(r.options.core.qemu_exit);
  EXPECT_TRUE(r.options.core.power_off);
  EXPECT_EQ(r.options.core.fault, core::Fault::kPage);
  EXPECT_EQ(r.options.core.log_level, klog::Level::kDebug);
  EXPECT_EQ(r.problem_count, 0u);
  EXPECT_EQ(parse("loglevel=info").options.core.log_level, klog::Level::kInfo);
  EXPECT_EQ(parse("loglevel=warn").options.core.log_level, klog::Level::kWarn);
  EXPECT_EQ(parse("loglevel=error").options.core.log_level, klog::Level::kError);
}

TEST(Cmdline, NohzIdle) {
  EXPECT_FALSE(parse("nohz=off").options.core.nohz_idle);
  EXPECT_TRUE(parse("nohz=off nohz").options.core.nohz_idle);
  EXPECT_TRUE(parse("nohz=off nohz=on").options.core.nohz_idle);
  auto bad = parse("nohz=maybe");
  EXPECT_TRUE(bad.options.core.nohz_idle);
  EXPECT_EQ(kinds(bad), std::vector<ProblemKind>{ProblemKind::kBadValue});
}

TEST(Cmdline, Scheduler) {
  EXPECT_FALSE(parse("sched=off").options.core.sched);
  EXPECT_FALSE(parse("nosched").options.core.sched);
  EXPECT_TRUE(parse("nosched sched").options.core.sched);
  EXPECT_TRUE(parse("sched=off sched=on").options.core.sched);
  // sched_bench needs the scheduler, in whichever order the words come.
  for (const char* text : {"sched_bench nosched", "sched=off sched_bench"}) {
    const auto r = parse(text);
    EXPECT_TRUE(r.options.core.sched_bench) << text;
    EXPECT_TRUE(r.options.core.sched) << text;
  }
  EXPECT_EQ(kinds(parse("nosched=1")), std::vector<ProblemKind>{ProblemKind::kUnexpectedValue});
}

TEST(Cmdline, SmpModes) {
  EXPECT_EQ(parse("smp=serial").options.smp.mode, kcpus::StartMode::kSerial);
  EXPECT_EQ(parse("smp=off").options.smp.mode, kcpus::StartMode::kOff);
  EXPECT_EQ(parse("nosmp").options.smp.mode, kcpus::StartMode::kOff);
  EXPECT_EQ(parse("smp=serial smp=parallel").options.smp.mode, kcpus::StartMode::kParallel);
  const auto bad = parse("smp=serial smp=fast");
  EXPECT_EQ(bad.options.smp.mode, kcpus::StartMode::kSerial);  // the bad word changes nothing
  ASSERT_EQ(kinds(bad), std::vector<ProblemKind>{ProblemKind::kBadValue});
  EXPECT_EQ(str(bad.problems[0].word), "smp=fast");
  const auto flag_with_value = parse("nosmp=1");
  EXPECT_EQ(flag_with_value.options.smp.mode, kcpus::StartMode::kParallel);
  ASSERT_EQ(kinds(flag_with_value), std::vector<ProblemKind>{ProblemKind::kUnexpectedValue});
  EXPECT_EQ(str(flag_with_value.problems[0].word), "nosmp=1");
  EXPECT_EQ(kinds(parse("smp")), std::vector<ProblemKind>{ProblemKind::kMissingValue});
  EXPECT_EQ(parse("smpx=serial").options.smp.mode, kcpus::StartMode::kParallel);
  EXPECT_EQ(parse("  \tsmp=serial\n").options.smp.mode, kcpus::StartMode::kSerial);
}

TEST(Cmdline, MaxCpus) {
  EXPECT_EQ(parse("maxcpus=2").options.smp.max_cpus, 2u);
  EXPECT_EQ(parse("maxcpus=0x10").options.smp.max_cpus, 16u);
  EXPECT_EQ(parse("maxcpus=4294967295").options.smp.max_cpus, 4294967295u);
  for (const char* text : {"maxcpus=0", "maxcpus=", "maxcpus=4294967296", "maxcpus=two"}) {
    const auto r = parse(std::string("maxcpus=3 ") + text);
    EXPECT_EQ(r.options.smp.max_cpus, 3u) << text;
    ASSERT_EQ(kinds(r), std::vector<ProblemKind>{ProblemKind::kBadValue}) << text;
    EXPECT_EQ(str(r.problems[0].word), text);
  }
  EXPECT_EQ(kinds(parse("maxcpus")), std::vector<ProblemKind>{ProblemKind::kMissingValue});
}

TEST(Cmdline, FakeApics) {
  const auto r = parse("smp_fake_apic=0x40 test smp_fake_apic=200");
  EXPECT_EQ(r.problem_count, 0u);
  ASSERT_EQ(r.options.smp.fake_apics.count, 2u);
  EXPECT_EQ(r.options.smp.fake_apics.ids[0], 0x40u);
  EXPECT_EQ(r.options.smp.fake_apics.ids[1], 200u);
  EXPECT_EQ(kinds(parse("smp_fake_apic=x")), std::vector<ProblemKind>{ProblemKind::kBadValue});
  const auto many = parse("smp_fake_apic=1 smp_fake_apic=2 smp_fake_apic=3 smp_fake_apic=4 "
                          "smp_fake_apic=5");
  EXPECT_EQ(many.options.smp.fake_apics.count, kcpus::kMaxFakeApics);
  EXPECT_EQ(many.options.smp.fake_apics.ids[3], 4u);
  ASSERT_EQ(kinds(many), std::vector<ProblemKind>{ProblemKind::kBadValue});
  EXPECT_EQ(str(many.problems[0].word), "smp_fake_apic=5");
}

TEST(Cmdline, Services) {
  const auto r = parse("lockstat bench panic_on_ap=2 lockdep_test=inversion");
  EXPECT_EQ(r.problem_count, 0u);
  EXPECT_TRUE(r.options.services.lockstat);
  EXPECT_TRUE(r.options.services.bench);
  EXPECT_FALSE(r.options.services.watchdog);
  EXPECT_EQ(r.options.services.panic_on_ap, 2u);
  EXPECT_TRUE(r.options.services.lockdep_inversion);
  EXPECT_TRUE(parse("watchdog").options.services.watchdog);
  // A stall test needs the watchdog.
  const auto irqoff = parse("stall=irqoff");
  EXPECT_EQ(irqoff.options.services.stall, kcpus::StallTest::kIrqOff);
  EXPECT_TRUE(irqoff.options.services.watchdog);
  EXPECT_EQ(parse("stall=lock").options.services.stall, kcpus::StallTest::kLock);
  const auto bad = parse("stall=spin stall panic_on_ap=0 panic_on_ap=x lockdep_test=order "
                         "lockstat=1");
  EXPECT_EQ(kinds(bad), (std::vector<ProblemKind>{ProblemKind::kBadValue,
                                                  ProblemKind::kMissingValue,
                                                  ProblemKind::kBadValue, ProblemKind::kBadValue,
                                                  ProblemKind::kBadValue,
                                                  ProblemKind::kUnexpectedValue}));
  EXPECT_EQ(bad.options.services.stall, kcpus::StallTest::kNone);
  EXPECT_FALSE(bad.options.services.watchdog);
  EXPECT_EQ(bad.options.services.panic_on_ap, 0u);
  EXPECT_FALSE(bad.options.services.lockdep_inversion);
  EXPECT_FALSE(bad.options.services.lockstat);
}

TEST(Cmdline, AcpiDump) {
  EXPECT_TRUE(parse("acpi=dump").options.core.acpi_dump);
  auto bad = parse("acpi=yes acpi");
  EXPECT_FALSE(bad.options.core.acpi_dump);
  EXPECT_EQ(kinds(bad), (std::vector<ProblemKind>{ProblemKind::kBadValue,
                                                  ProblemKind::kMissingValue}));
}

TEST(Cmdline, TestPatternPointsIntoText) {
  static const std::string text = "test=fault_*";
  auto r = cmdline::parse(fmt::StringView(text.data(), text.size()));
  EXPECT_TRUE(r.options.core.tests.selected);
  EXPECT_EQ(str(r.options.core.tests.pattern), "fault_*");
  EXPECT_EQ(r.options.core.tests.pattern.data, text.data() + 5);
}

TEST(Cmdline, ValueKeepsLaterEquals) {
  EXPECT_EQ(str(parse("test=a=b").options.core.tests.pattern), "a=b");
}

TEST(Cmdline, LaterOccurrenceWins) {
  auto r = parse("fault=page fault=ud loglevel=error loglevel=warn");
  EXPECT_EQ(r.options.core.fault, core::Fault::kInvalidOpcode);
  EXPECT_EQ(r.options.core.log_level, klog::Level::kWarn);
}

TEST(Cmdline, ProblemsAreReportedNotApplied) {
  auto r = parse("frobnicate fault=disk fault loglevel= qemu_exit=yes");
  ASSERT_EQ(kinds(r), (std::vector<ProblemKind>{
                          ProblemKind::kUnknownKey, ProblemKind::kBadValue,
                          ProblemKind::kMissingValue,
                          ProblemKind::kBadValue,  // an empty value
                          ProblemKind::kUnexpectedValue}));
  EXPECT_EQ(str(r.problems[0].word), "frobnicate");
  EXPECT_EQ(r.problems[0].option, nullptr);
  EXPECT_EQ(str(r.problems[1].word), "fault=disk");
  ASSERT_NE(r.problems[1].option, nullptr);
  EXPECT_STREQ(r.problems[1].option->name, "fault");
  EXPECT_FALSE(r.options.core.qemu_exit);
  EXPECT_EQ(r.options.core.fault, core::Fault::kNone);
}

TEST(Cmdline, ProblemsReadWithKeyAndReason) {
  auto r = parse("smp=fast frobnicate nosmp=1 maxcpus");
  ASSERT_EQ(r.problem_count, 4u);
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < r.problem_count; ++i) {
    StringSink s;
    cmdline::write_problem(s, r.problems[i]);
    lines.push_back(s.text());
  }
  EXPECT_EQ(lines[0], "bad value: \"smp=fast\" (takes smp=parallel|serial|off); ignored");
  EXPECT_EQ(lines[1], "unknown option: \"frobnicate\"");
  EXPECT_EQ(lines[2], "option takes no value: \"nosmp=1\" (takes nosmp); ignored");
  EXPECT_EQ(lines[3], "missing value: \"maxcpus\" (takes maxcpus=N); ignored");
}

TEST(Cmdline, ProblemListIsBounded) {
  std::string text;
  for (int i = 0; i < 20; ++i) text += "x" + std::to_string(i) + " ";
  auto r = parse(text);
  EXPECT_EQ(r.problem_count, cmdline::kMaxProblems);
  EXPECT_EQ(r.problems_dropped, 20 - cmdline::kMaxProblems);
}

TEST(Cmdline, WordCountIsBounded) {
  std::string text;
  for (std::size_t i = 0; i < cmdline::kMaxWords; ++i) text += "poweroff ";
  text += "test qemu_exit";
  auto r = parse(text);
  EXPECT_TRUE(r.options.core.power_off);
  EXPECT_FALSE(r.options.core.tests.selected);  // past the limit: ignored
  ASSERT_EQ(kinds(r), std::vector<ProblemKind>{ProblemKind::kTooManyWords});
  EXPECT_EQ(str(r.problems[0].word), "test");
}

TEST(Cmdline, NotNulTerminated) {
  // Only `length` bytes are read: the byte after "test" would make it "testX".
  const char text[] = {'t', 'e', 's', 't', 'X'};
  auto r = cmdline::parse(fmt::StringView(text, 4));
  EXPECT_TRUE(r.options.core.tests.selected);
  EXPECT_EQ(r.problem_count, 0u);
  const char smp_off[] = {'s', 'm', 'p', '=', 'o', 'f', 'f', 'X'};
  EXPECT_EQ(cmdline::parse(fmt::StringView(smp_off, 7)).options.smp.mode, kcpus::StartMode::kOff);
}

TEST(Cmdline, PrefixOfKeyIsUnknown) {
  auto r = parse("tes qemu_exi");
  EXPECT_FALSE(r.options.core.tests.selected);
  EXPECT_EQ(kinds(r), (std::vector<ProblemKind>{ProblemKind::kUnknownKey,
                                                ProblemKind::kUnknownKey}));
}

// The table itself: names unique, every documented word parses, and every option rejects the
// forms it does not take.
TEST(OptionTable, NamesAreUnique) {
  std::vector<std::string> names;
  for (const cmdline::Option& o : cmdline::option_table()) {
    for (const std::string& n : names) EXPECT_NE(n, o.name);
    names.emplace_back(o.name);
  }
  EXPECT_GE(names.size(), 20u);
}

TEST(OptionTable, EveryDocumentedWordParses) {
  for (const cmdline::Option& o : cmdline::option_table()) {
    const std::vector<std::string> words = documented_words(o);
    EXPECT_FALSE(words.empty()) << o.name;
    for (const std::string& w : words) {
      const auto r = parse(w);
      EXPECT_EQ(r.problem_count, 0u) << w;
    }
  }
}

TEST(OptionTable, FlagsRejectAValueAndValuedOptionsNeedOne) {
  for (const cmdline::Option& o : cmdline::option_table()) {
    const std::string forms = usage(o);
    const std::string name = o.name;
    if (forms == name) {  // a flag (or an alias): no value
      EXPECT_EQ(kinds(parse(name + "=1")),
                std::vector<ProblemKind>{ProblemKind::kUnexpectedValue}) << name;
    } else if (forms.find(name + ", ") != 0) {  // no bare form: a value is needed
      EXPECT_EQ(kinds(parse(name)), std::vector<ProblemKind>{ProblemKind::kMissingValue})
          << name;
    }
  }
}

TEST(OptionTable, AliasesStandForTheirWord) {
  int aliases = 0;
  for (const cmdline::Option& o : cmdline::option_table()) {
    if (o.alias_of == nullptr) continue;
    ++aliases;
    EXPECT_EQ(o.apply, nullptr);
    EXPECT_EQ(o.write_default, nullptr);
    const auto via_alias = parse(o.name);
    const auto direct = parse(o.alias_of);
    EXPECT_EQ(via_alias.problem_count, 0u);
    EXPECT_EQ(via_alias.options.smp.mode, direct.options.smp.mode) << o.name;
    EXPECT_EQ(via_alias.options.core.sched, direct.options.core.sched) << o.name;
  }
  EXPECT_EQ(aliases, 2);
}

TEST(OptionTable, DefaultsInWords) {
  const auto text = [](const char* name) {
    StringSink s;
    row(name).write_default(s);
    return s.text();
  };
  EXPECT_EQ(text("smp"), "parallel");
  EXPECT_EQ(text("loglevel"), "info");
  EXPECT_EQ(text("sched"), "on");
  EXPECT_EQ(text("qemu_exit"), "off");
  EXPECT_EQ(text("fault"), "off");
  EXPECT_EQ(text("maxcpus"), "none");
  EXPECT_EQ(text("smp_fake_apic"), "none");
  EXPECT_EQ(text("test"), "off");
}

TEST(OptionTable, StartModeNamesMatchSmp) {
  for (const auto& n : kcpus::kStartModeNames) {
    EXPECT_STREQ(kcpus::start_mode_name(n.value), n.name);
    EXPECT_EQ(parse(std::string("smp=") + n.name).options.smp.mode, n.value);
  }
}

}  // namespace

TEST(Cmdline, InitPathAndArgumentsAfterDoubleDash) {
  auto r = parse("qemu_exit init=/bin/busybox -- uname  -a   ");
  EXPECT_EQ(r.problem_count, 0u);
  EXPECT_TRUE(r.options.core.qemu_exit);
  EXPECT_EQ(str(r.options.core.init_path), "/bin/busybox");
  EXPECT_EQ(str(r.init_arguments), "uname  -a");
  // After `--` nothing is an option, not even a known key.
  r = parse("init=/x -- test loglevel=debug");
  EXPECT_EQ(r.problem_count, 0u);
  EXPECT_FALSE(r.options.core.tests.selected);
  EXPECT_EQ(r.options.core.log_level, klog::Level::kInfo);
  EXPECT_EQ(str(r.init_arguments), "test loglevel=debug");
  // No `--`, or `--` at the end: no arguments. `--x` is a word like any other (unknown).
  EXPECT_EQ(parse("init=/x").init_arguments.length, 0u);
  EXPECT_EQ(parse("init=/x --").init_arguments.length, 0u);
  EXPECT_EQ(parse("--x").problem_count, 1u);
}

TEST(Cmdline, InitPathMustBeAbsolute) {
  for (const char* word : {"init=bin/sh", "init=", "init"}) {
    auto r = parse(word);
    EXPECT_EQ(r.problem_count, 1u) << word;
    EXPECT_EQ(r.options.core.init_path.length, 0u) << word;
  }
  std::string long_path = "init=/" + std::string(4095, 'a');
  EXPECT_EQ(parse(long_path).problem_count, 1u);
}

#include "kernel/core/cmdline.h"

#include <gtest/gtest.h>

#include <string>

namespace {

std::string str(fmt::StringView v) { return std::string(v.data ? v.data : "", v.length); }

cmdline::ParseResult parse(const std::string& s) {
  return cmdline::parse(fmt::StringView(s.data(), s.size()));
}

TEST(Cmdline, EmptyGivesDefaults) {
  auto r = parse("");
  EXPECT_FALSE(r.options.run_tests);
  EXPECT_FALSE(r.options.qemu_exit);
  EXPECT_FALSE(r.options.power_off);
  EXPECT_EQ(r.options.fault, cmdline::Fault::kNone);
  EXPECT_EQ(r.options.log_level, klog::Level::kInfo);
  EXPECT_EQ(r.problem_count, 0u);
  EXPECT_EQ(parse("   \t\r\n ").problem_count, 0u);
}

TEST(Cmdline, FlagsAndValues) {
  static const std::string text = "test qemu_exit poweroff fault=page loglevel=debug";
  auto r = parse(text);
  EXPECT_TRUE(r.options.run_tests);
  EXPECT_EQ(r.options.test_pattern.length, 0u);
  EXPECT_TRUE(r.options.qemu_exit);
  EXPECT_TRUE(r.options.power_off);
  EXPECT_EQ(r.options.fault, cmdline::Fault::kPage);
  EXPECT_EQ(r.options.log_level, klog::Level::kDebug);
  EXPECT_EQ(r.problem_count, 0u);
}

TEST(Cmdline, NohzIdle) {
  EXPECT_TRUE(parse("").options.nohz_idle);
  EXPECT_FALSE(parse("nohz=off").options.nohz_idle);
  EXPECT_TRUE(parse("nohz=off nohz").options.nohz_idle);
  EXPECT_TRUE(parse("nohz=off nohz=on").options.nohz_idle);
  auto bad = parse("nohz=maybe");
  EXPECT_TRUE(bad.options.nohz_idle);
  ASSERT_EQ(bad.problem_count, 1u);
  EXPECT_EQ(bad.problems[0].kind, cmdline::ProblemKind::kBadValue);
}

TEST(Cmdline, SmpWordsAreKnownButLeftToTheSmpParser) {
  auto r = parse("smp=serial nosmp maxcpus=2 smp_fake_apic=0x40");
  EXPECT_EQ(r.problem_count, 0u);
  EXPECT_FALSE(r.options.run_tests);
}

TEST(Cmdline, AcpiDump) {
  EXPECT_FALSE(parse("").options.acpi_dump);
  EXPECT_TRUE(parse("acpi=dump").options.acpi_dump);
  auto bad = parse("acpi=yes acpi");
  EXPECT_FALSE(bad.options.acpi_dump);
  ASSERT_EQ(bad.problem_count, 2u);
  EXPECT_EQ(bad.problems[0].kind, cmdline::ProblemKind::kBadValue);
  EXPECT_EQ(bad.problems[1].kind, cmdline::ProblemKind::kMissingValue);
}

TEST(Cmdline, TestPatternPointsIntoText) {
  static const std::string text = "test=fault_*";
  auto r = parse(text);
  EXPECT_TRUE(r.options.run_tests);
  EXPECT_EQ(str(r.options.test_pattern), "fault_*");
  EXPECT_EQ(r.options.test_pattern.data, text.data() + 5);
}

TEST(Cmdline, ValueKeepsLaterEquals) {
  static const std::string text = "test=a=b";
  EXPECT_EQ(str(parse(text).options.test_pattern), "a=b");
}

TEST(Cmdline, LaterOccurrenceWins) {
  static const std::string text = "fault=page fault=ud loglevel=error loglevel=warn";
  auto r = parse(text);
  EXPECT_EQ(r.options.fault, cmdline::Fault::kInvalidOpcode);
  EXPECT_EQ(r.options.log_level, klog::Level::kWarn);
}

TEST(Cmdline, ProblemsAreReportedNotApplied) {
  static const std::string text = "frobnicate fault=disk fault loglevel= qemu_exit=yes";
  auto r = parse(text);
  ASSERT_EQ(r.problem_count, 5u);
  EXPECT_EQ(r.problems[0].kind, cmdline::ProblemKind::kUnknownKey);
  EXPECT_EQ(str(r.problems[0].word), "frobnicate");
  EXPECT_EQ(r.problems[1].kind, cmdline::ProblemKind::kBadValue);
  EXPECT_EQ(str(r.problems[1].word), "fault=disk");
  EXPECT_EQ(r.problems[2].kind, cmdline::ProblemKind::kMissingValue);
  EXPECT_EQ(r.problems[3].kind, cmdline::ProblemKind::kBadValue);  // empty value
  EXPECT_EQ(r.problems[4].kind, cmdline::ProblemKind::kUnexpectedValue);
  EXPECT_FALSE(r.options.qemu_exit);
  EXPECT_EQ(r.options.fault, cmdline::Fault::kNone);
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
  EXPECT_TRUE(r.options.power_off);
  EXPECT_FALSE(r.options.run_tests);  // past the limit: ignored
  ASSERT_EQ(r.problem_count, 1u);
  EXPECT_EQ(r.problems[0].kind, cmdline::ProblemKind::kTooManyWords);
  EXPECT_EQ(str(r.problems[0].word), "test");
}

TEST(Cmdline, NotNulTerminated) {
  // Only `length` bytes are read: the byte after "test" would make it "testX".
  const char text[] = {'t', 'e', 's', 't', 'X'};
  auto r = cmdline::parse(fmt::StringView(text, 4));
  EXPECT_TRUE(r.options.run_tests);
  EXPECT_EQ(r.problem_count, 0u);
}

TEST(Cmdline, PrefixOfKeyIsUnknown) {
  static const std::string text = "tes qemu_exi";
  auto r = parse(text);
  EXPECT_FALSE(r.options.run_tests);
  EXPECT_EQ(r.problem_count, 2u);
}

}  // namespace

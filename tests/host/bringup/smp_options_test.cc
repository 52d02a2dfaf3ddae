#include "kernel/cpus/smp_options.h"

#include <gtest/gtest.h>

#include <string>

namespace {

smp::SmpOptions parse(const char* s) { return smp::parse_smp_options(fmt::StringView(s)); }
std::string problem(const smp::SmpOptions& o) { return std::string(o.problem.data, o.problem.length); }

TEST(SmpOptions, Defaults) {
  const auto o = parse("test qemu_exit");
  EXPECT_EQ(o.mode, smp::StartMode::kParallel);
  EXPECT_EQ(o.max_cpus, smp::kNoCpuLimit);
  EXPECT_EQ(o.fake_apic_count, 0u);
  EXPECT_EQ(o.problem.length, 0u);
}

TEST(SmpOptions, Modes) {
  EXPECT_EQ(parse("smp=serial").mode, smp::StartMode::kSerial);
  EXPECT_EQ(parse("smp=off").mode, smp::StartMode::kOff);
  EXPECT_EQ(parse("nosmp").mode, smp::StartMode::kOff);
  EXPECT_EQ(parse("smp=serial smp=parallel").mode, smp::StartMode::kParallel);
  const auto bad = parse("smp=fast");
  EXPECT_EQ(bad.mode, smp::StartMode::kParallel);
  EXPECT_EQ(problem(bad), "smp=fast");
  EXPECT_EQ(problem(parse("nosmp=1")), "nosmp=1");
}

TEST(SmpOptions, MaxCpus) {
  EXPECT_EQ(parse("maxcpus=2").max_cpus, 2u);
  EXPECT_EQ(parse("maxcpus=0x10").max_cpus, 16u);
  EXPECT_EQ(problem(parse("maxcpus=0")), "maxcpus=0");
  EXPECT_EQ(problem(parse("maxcpus=")), "maxcpus=");
  EXPECT_EQ(problem(parse("maxcpus=4294967296")), "maxcpus=4294967296");
  EXPECT_EQ(parse("maxcpus=4294967295").max_cpus, 4294967295u);
}

TEST(SmpOptions, FakeApics) {
  const auto o = parse("smp_fake_apic=0x40 test smp_fake_apic=200");
  ASSERT_EQ(o.fake_apic_count, 2u);
  EXPECT_EQ(o.fake_apic_ids[0], 0x40u);
  EXPECT_EQ(o.fake_apic_ids[1], 200u);
  EXPECT_EQ(problem(parse("smp_fake_apic=x")), "smp_fake_apic=x");
  const auto many = parse("smp_fake_apic=1 smp_fake_apic=2 smp_fake_apic=3 smp_fake_apic=4 "
                          "smp_fake_apic=5");
  EXPECT_EQ(many.fake_apic_count, smp::kMaxFakeApics);
  EXPECT_EQ(problem(many), "smp_fake_apic=5");
}

TEST(SmpOptions, NotNulTerminatedAndOtherWords) {
  const char text[] = {'s', 'm', 'p', '=', 'o', 'f', 'f', 'X'};
  EXPECT_EQ(smp::parse_smp_options(fmt::StringView(text, 7)).mode, smp::StartMode::kOff);
  EXPECT_EQ(parse("smpx=serial").mode, smp::StartMode::kParallel);
  EXPECT_EQ(parse("  \tsmp=serial\n").mode, smp::StartMode::kSerial);
}

}  // namespace

// PerCpu<T> over host threads: each thread is a CPU (platform_host's bind_cpu), interrupts-off
// is the host flag. Values are per CPU, on separate cache lines, CPU 0 works before allocate().
#include "kernel/cpus/per_cpu.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

#include "smp/platform/host/platform_host.h"

namespace {

kcpus::PerCpu<std::uint64_t> g_value;

TEST(PerCpu, BootCpuWorksBeforeAllocation) {
  platform::host::bind_cpu(platform::CpuNumber{0});
  const platform::IrqState s = platform::irq_save_disable();
  g_value.get() = 7;
  platform::irq_restore(s);
  EXPECT_EQ(g_value.on(platform::CpuNumber{0}), 7u);
}

TEST(PerCpu, EachThreadWritesItsOwnSlot) {
  constexpr std::uint32_t kCpus = 1030;  // beyond 1024: no fixed cap
  ASSERT_TRUE(kcpus::PerCpuRegistry::allocate(kCpus));
  EXPECT_GE(kcpus::PerCpuRegistry::capacity(), kCpus);
  platform::host::set_cpu_count(kCpus);
  std::vector<std::thread> threads;
  for (std::uint32_t c = 0; c < kCpus; c += 103) {
    threads.emplace_back([c] {
      platform::host::bind_cpu(platform::CpuNumber{c});
      const platform::IrqState s = platform::irq_save_disable();
      g_value.get() = 1000 + c;
      platform::irq_restore(s);
    });
  }
  for (auto& t : threads) t.join();
  for (std::uint32_t c = 0; c < kCpus; c += 103) {
    EXPECT_EQ(g_value.on(platform::CpuNumber{c}), 1000u + c);
  }
  // Neighbours never share a cache line.
  for (std::uint32_t c = 1; c < 20; ++c) {
    const auto a = reinterpret_cast<std::uintptr_t>(&g_value.on(platform::CpuNumber{c}));
    const auto b = reinterpret_cast<std::uintptr_t>(&g_value.on(platform::CpuNumber{c - 1}));
    EXPECT_EQ(a % 64, 0u);
    EXPECT_GE(a > b ? a - b : b - a, 64u);
  }
}

TEST(PerCpuDeathTest, GetWithInterruptsAndPreemptionEnabledTraps) {
  EXPECT_DEATH(
      {
        platform::host::bind_cpu(platform::CpuNumber{0});
        platform::irq_restore(platform::IrqState{true});
        (void)g_value.get();
      },
      "");
}

}  // namespace

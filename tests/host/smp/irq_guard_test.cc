#include "smp/irq_guard.h"

#include <gtest/gtest.h>

#include <thread>

#include "smp/platform/host/platform_host.h"

namespace {

TEST(IrqGuard, DisablesAndRestoresNested) {
  ASSERT_TRUE(platform::irqs_enabled());
  {
    smp::IrqGuard outer;
    EXPECT_FALSE(platform::irqs_enabled());
    {
      smp::IrqGuard inner;
      EXPECT_FALSE(platform::irqs_enabled());
    }
    EXPECT_FALSE(platform::irqs_enabled());  // the inner guard restores "disabled"
  }
  EXPECT_TRUE(platform::irqs_enabled());
}

TEST(HostPlatform, EachThreadPlaysItsOwnCpu) {
  platform::host::set_cpu_count(3);
  EXPECT_EQ(platform::cpu_count(), 3u);
  platform::CpuNumber seen[2] = {};
  bool irq_seen_in_thread = false;
  std::thread t1([&] {
    platform::host::bind_cpu(platform::CpuNumber{1});
    seen[0] = platform::current_cpu();
  });
  std::thread t2([&] {
    platform::host::bind_cpu(platform::CpuNumber{2});
    smp::IrqGuard g;
    seen[1] = platform::current_cpu();
    irq_seen_in_thread = platform::irqs_enabled();
  });
  t1.join();
  t2.join();
  EXPECT_EQ(platform::to_index(seen[0]), 1u);
  EXPECT_EQ(platform::to_index(seen[1]), 2u);
  EXPECT_FALSE(irq_seen_in_thread);
  EXPECT_EQ(platform::to_index(platform::current_cpu()), 0u);  // this thread is unaffected
  EXPECT_TRUE(platform::irqs_enabled());
  platform::host::set_cpu_count(1);
}

TEST(HostPlatform, CyclesAreMonotonic) {
  auto a = platform::cycles();
  auto b = platform::cycles();
  EXPECT_LE(a, b);
  EXPECT_GT(platform::cycles_per_second(), 0u);
}

}  // namespace

// The context switch on its own (one host thread, no scheduler), and the XSAVE helpers.
#include "sched/context.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "sched/arch/x86_64/xsave.h"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace {

using sched::Context;

struct PingPong {
  Context main;
  Context fiber;
  std::uint64_t rounds = 0;
  std::uint64_t checksum = 0;
  bool aligned = true;
  void* main_fiber = nullptr;  // TSan fiber handles (null without TSan)
  void* other_fiber = nullptr;
};

void to_fiber(PingPong& p) {
#if defined(__SANITIZE_THREAD__)
  __tsan_switch_to_fiber(p.other_fiber, 0);
#endif
  sched::switch_context(&p.main, &p.fiber);
}
void to_main(PingPong& p) {
#if defined(__SANITIZE_THREAD__)
  __tsan_switch_to_fiber(p.main_fiber, 0);
#endif
  sched::switch_context(&p.fiber, &p.main);
}

void fiber_body(void* a, void* b) {
  auto& p = *static_cast<PingPong*>(a);
  auto seed = reinterpret_cast<std::uintptr_t>(b);
  // The ABI promises a 16-byte aligned stack at calls; a wrong initial frame shows up here.
  alignas(16) volatile char probe[16] = {};
  p.aligned = (reinterpret_cast<std::uintptr_t>(&probe[0]) % 16) == 0;
  // Many live values across every switch: they sit in callee-saved registers or on this stack.
  std::uint64_t x1 = seed, x2 = seed * 3, x3 = seed * 5, x4 = seed * 7, x5 = seed * 11;
  for (;;) {
    x1 = x1 * 6364136223846793005ull + 1;
    x2 ^= x1 >> 7;
    x3 += x2 * 3;
    x4 -= x3 >> 3;
    x5 ^= x4 + x1;
    ++p.rounds;
    p.checksum = x1 ^ x2 ^ x3 ^ x4 ^ x5;
    to_main(p);
  }
}

std::uint64_t expected_checksum(std::uint64_t seed, std::uint64_t rounds) {
  std::uint64_t x1 = seed, x2 = seed * 3, x3 = seed * 5, x4 = seed * 7, x5 = seed * 11;
  for (std::uint64_t i = 0; i < rounds; ++i) {
    x1 = x1 * 6364136223846793005ull + 1;
    x2 ^= x1 >> 7;
    x3 += x2 * 3;
    x4 -= x3 >> 3;
    x5 ^= x4 + x1;
  }
  return x1 ^ x2 ^ x3 ^ x4 ^ x5;
}

TEST(ContextSwitch, PingPongKeepsBothSidesStateAndAlignment) {
  std::vector<std::byte> stack(64 * 1024);
  PingPong p;
#if defined(__SANITIZE_THREAD__)
  p.main_fiber = __tsan_get_current_fiber();
  p.other_fiber = __tsan_create_fiber(0);
#endif
  constexpr std::uintptr_t kSeed = 12345;
  // Odd size and offset: init_context must align the top itself.
  sched::init_context(p.fiber, stack.data() + 3, stack.size() - 11, &fiber_body, &p,
                      reinterpret_cast<void*>(kSeed));
  std::uint64_t a = 1, b = 2, c = 3, d = 4, e = 5, f = 6;  // our side's callee-saved values
  for (int i = 0; i < 10000; ++i) {
    to_fiber(p);
    a += b;
    b ^= a << 1;
    c += a * 3;
    d ^= c;
    e += d >> 1;
    f ^= e;
  }
  EXPECT_EQ(p.rounds, 10000u);
  EXPECT_EQ(p.checksum, expected_checksum(kSeed, 10000));
  EXPECT_TRUE(p.aligned);
  std::uint64_t ea = 1, eb = 2, ec = 3, ed = 4, ee = 5, ef = 6;
  for (int i = 0; i < 10000; ++i) {
    ea += eb;
    eb ^= ea << 1;
    ec += ea * 3;
    ed ^= ec;
    ee += ed >> 1;
    ef ^= ee;
  }
  EXPECT_EQ(a ^ b ^ c ^ d ^ e ^ f, ea ^ eb ^ ec ^ ed ^ ee ^ ef);
#if defined(__SANITIZE_THREAD__)
  __tsan_destroy_fiber(p.other_fiber);
#endif
}

TEST(ContextSwitch, InitialFrameLayout) {
  alignas(16) std::uintptr_t stack[32] = {};
  Context ctx;
  void* a = reinterpret_cast<void*>(0xA);
  void* b = reinterpret_cast<void*>(0xB);
  sched::init_context(ctx, stack, sizeof(stack), &fiber_body, a, b);
  auto* frame = reinterpret_cast<std::uintptr_t*>(ctx.rsp);
  EXPECT_EQ(frame[1], 0xBu);                                          // r14
  EXPECT_EQ(frame[2], 0xAu);                                          // r13
  EXPECT_EQ(frame[3], reinterpret_cast<std::uintptr_t>(&fiber_body));  // r12
  EXPECT_EQ(frame[5], 0u);                                            // rbp: end of chain
  EXPECT_EQ(frame[6], reinterpret_cast<std::uintptr_t>(&sched::pleiades_thread_trampoline));
  // After 6 pops and the return, rsp is 16-byte aligned, inside the stack.
  std::uintptr_t entry_rsp = ctx.rsp + 7 * sizeof(std::uintptr_t);
  EXPECT_EQ(entry_rsp % 16, 0u);
  EXPECT_LE(entry_rsp + 16, reinterpret_cast<std::uintptr_t>(stack) + sizeof(stack));
}

TEST(Xsave, SaveAndRestoreRoundTripsAVectorRegister) {
  if (!sched::arch::xsave_supported()) GTEST_SKIP() << "XSAVE not enabled on this CPU/OS";
  std::uint32_t size = sched::arch::xsave_area_size();
  ASSERT_GE(size, sched::arch::kXsaveHeaderEnd);
  void* area = std::aligned_alloc(sched::arch::kXsaveAlign, (size + 63) / 64 * 64);
  ASSERT_NE(area, nullptr);
  sched::arch::xsave_init(area, size);
  alignas(16) std::uint64_t pattern[2] = {0x0123456789abcdefull, 0xfedcba9876543210ull};
  alignas(16) std::uint64_t out[2] = {0, 0};
  // One asm block: the compiler cannot reuse xmm7 between the steps.
  asm volatile(
      "movdqa (%[in]), %%xmm7\n\t"
      "xsave64 (%[area])\n\t"
      "pxor %%xmm7, %%xmm7\n\t"
      "xrstor64 (%[area])\n\t"
      "movdqa %%xmm7, (%[out])\n\t"
      :
      : [in] "r"(pattern), [out] "r"(out), [area] "r"(area), "a"(~0u), "d"(~0u)
      : "xmm7", "memory");
  EXPECT_EQ(out[0], pattern[0]);
  EXPECT_EQ(out[1], pattern[1]);
  // And through the C++ functions: restoring the saved area brings the same state back.
  sched::arch::xsave(area);
  sched::arch::xrstor(area);
  std::free(area);
}

// The scheduler's save_state/restore_state in each mode the CPU allows: the legacy region's
// MXCSR (offset 24, the same in FXSAVE and XSAVE layouts) is written by the save and loaded by
// the restore.
void check_mode_round_trip(sched::arch::SaveMode mode) {
  sched::arch::set_save_mode(mode);
  const std::uint32_t size = sched::arch::save_area_size();
  ASSERT_GE(size, 512u);
  void* area = std::aligned_alloc(sched::arch::kXsaveAlign, (size + 63) / 64 * 64);
  ASSERT_NE(area, nullptr);
  sched::arch::xsave_init(area, size);
  std::uint32_t original = 0;
  asm volatile("stmxcsr %0" : "=m"(original));
  sched::arch::save_state(area);
  std::uint32_t saved;
  std::memcpy(&saved, static_cast<char*>(area) + 24, sizeof saved);
  EXPECT_EQ(saved, original);
  // Round toward zero (RC = 11b, bits 13-14): a value the process does not run with.
  const std::uint32_t changed = original | (3u << 13);
  ASSERT_NE(changed, original);
  std::memcpy(static_cast<char*>(area) + 24, &changed, sizeof changed);
  sched::arch::restore_state(area);
  std::uint32_t now = 0;
  asm volatile("stmxcsr %0" : "=m"(now));
  asm volatile("ldmxcsr %0" : : "m"(original));
  EXPECT_EQ(now, changed);
  // A fresh area is a new thread's state: default MXCSR and x87 control word.
  sched::arch::xsave_init(area, size);
  std::uint16_t fcw_now = 0;
  asm volatile("fnstcw %0" : "=m"(fcw_now));
  sched::arch::restore_state(area);
  std::uint32_t fresh_mxcsr = 0;
  std::uint16_t fresh_fcw = 0;
  asm volatile("stmxcsr %0" : "=m"(fresh_mxcsr));
  asm volatile("fnstcw %0" : "=m"(fresh_fcw));
  asm volatile("ldmxcsr %0" : : "m"(original));
  asm volatile("fldcw %0" : : "m"(fcw_now));
  EXPECT_EQ(fresh_mxcsr, 0x1F80u);
  EXPECT_EQ(fresh_fcw, 0x037Fu);
  std::free(area);
  sched::arch::set_save_mode(sched::arch::SaveMode::kUnset);
}

TEST(ExtendedState, FxsaveModeSavesAndRestoresMxcsr) {
  check_mode_round_trip(sched::arch::SaveMode::kFxsave);
}

TEST(ExtendedState, XsaveModeSavesAndRestoresMxcsr) {
  if (!sched::arch::xsave_supported()) GTEST_SKIP() << "XSAVE not enabled on this CPU/OS";
  check_mode_round_trip(sched::arch::SaveMode::kXsave);
}

}  // namespace

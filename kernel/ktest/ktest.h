// In-kernel tests: registered at link time in the .kernel_tests section (kernel/linker.ld),
// run by `test` / `test=PATTERN` on the command line (kernel/ktest/runner.h).
//
//   KTEST(idt_has_32_gates) {
//     KCHECK(arch::read_idtr().limit >= 32 * 16 - 1);
//     KCHECK_EQ(arch::idt_gate_ist(8), 1);
//   }
//
// A failed check records file, line and expression (and both values for KCHECK_EQ) and
// returns from the test; KSKIP(reason) ends it as skipped. Each test starts with interrupts
// off, in the main thread (a kernel thread pinned to CPU 0 when the scheduler runs); a test that
// needs the tick, sleeping or wake-ups turns interrupts on itself (the runner restores them).
#pragma once

#include <cstddef>

#include "smp/klib/format.h"

namespace ktest {

class Context {
 public:
  void fail(const char* file, int line, const char* expression);
  void fail_eq(const char* file, int line, const char* expression, const fmt::Arg& a,
               const fmt::Arg& b);
  void skip(const char* reason);

  bool failed() const { return failed_; }
  bool skipped() const { return skipped_; }
  const char* message() const { return message_; }

 private:
  bool failed_ = false;
  bool skipped_ = false;
  char message_[256] = {};
};

// alignas(16): GCC gives section objects of 16 bytes and more 16-byte alignment; stating it
// makes the record stride in .kernel_tests equal to sizeof(Test), so the runner can walk the
// section as an array.
struct alignas(16) Test {
  const char* name;
  void (*run)(Context&);
};

}  // namespace ktest

#define KTEST(name)                                                                         \
  static void ktest_body_##name(::ktest::Context& ktest_context);                           \
  [[gnu::used, gnu::section(".kernel_tests")]] static const ::ktest::Test ktest_record_##name{ \
      #name, &ktest_body_##name};                                                            \
  static void ktest_body_##name([[maybe_unused]] ::ktest::Context& ktest_context)

#define KCHECK(condition)                                                      \
  do {                                                                         \
    if (!(condition)) {                                                        \
      ktest_context.fail(__FILE_NAME__, __LINE__, "KCHECK(" #condition ")");   \
      return;                                                                  \
    }                                                                          \
  } while (0)

#define KCHECK_EQ(a, b)                                                                  \
  do {                                                                                   \
    const auto& ktest_a = (a);                                                           \
    const auto& ktest_b = (b);                                                           \
    if (!(ktest_a == ktest_b)) {                                                         \
      ktest_context.fail_eq(__FILE_NAME__, __LINE__, "KCHECK_EQ(" #a ", " #b ")",        \
                            ::fmt::make_arg(ktest_a), ::fmt::make_arg(ktest_b));         \
      return;                                                                            \
    }                                                                                    \
  } while (0)

#define KSKIP(reason)              \
  do {                             \
    ktest_context.skip(reason);    \
    return;                        \
  } while (0)

#include "kernel/ktest/runner.h"

#include "kernel/console/log.h"
#include "kernel/console/raw.h"
#include "kernel/ktest/ktest.h"
#include "kernel/ktest/pattern.h"
#include "smp/platform/platform.h"

// Bounds of the .kernel_tests section (kernel/linker.ld).
extern "C" const ktest::Test __start_kernel_tests[];
extern "C" const ktest::Test __stop_kernel_tests[];

namespace ktest {

void Context::fail(const char* file, int line, const char* expression) {
  failed_ = true;
  fmt::FixedBuffer out(message_, sizeof(message_));
  fmt::format_to(out, "{}:{}: {}", file, line, expression);
}

void Context::fail_eq(const char* file, int line, const char* expression, const fmt::Arg& a,
                      const fmt::Arg& b) {
  failed_ = true;
  fmt::FixedBuffer out(message_, sizeof(message_));
  fmt::format_to(out, "{}:{}: {} (got ", file, line, expression);
  fmt::vformat(out, "{}", &a, 1);
  fmt::format_to(out, " vs ");
  fmt::vformat(out, "{}", &b, 1);
  fmt::format_to(out, ")");
}

void Context::skip(const char* reason) {
  skipped_ = true;
  fmt::FixedBuffer out(message_, sizeof(message_));
  fmt::format_to(out, "{}", reason);
}

static_assert(sizeof(Test) == 16, "records are walked as an array");

bool run_tests(fmt::StringView pattern) {
  unsigned passed = 0, failed = 0, skipped = 0;
  klog::info("ktest: {} tests registered, pattern \"{}\"",
             static_cast<std::size_t>(__stop_kernel_tests - __start_kernel_tests),
             pattern.length ? pattern : fmt::StringView("*"));
  for (const Test* t = __start_kernel_tests; t < __stop_kernel_tests; ++t) {
    if (!name_matches(pattern, t->name)) continue;
    Context context;
    {
      // Every test starts with interrupts off, the boot context the tests are written for
      // (tests that need the tick or wake-ups turn them on), whatever the previous test left;
      // the caller's state comes back after it.
      const platform::IrqState irq = platform::irq_save_disable();
      t->run(context);
      platform::irq_restore(irq);
    }
    if (context.failed()) {
      ++failed;
      klog::raw("[FAIL] {}: {}\n", t->name, context.message());
    } else if (context.skipped()) {
      ++skipped;
      klog::raw("[SKIP] {}: {}\n", t->name, context.message());
    } else {
      ++passed;
      klog::raw("[PASS] {}\n", t->name);
    }
  }
  if (skipped != 0) {
    klog::raw("{} passed, {} failed, {} skipped\n", passed, failed, skipped);
  } else {
    klog::raw("{} passed, {} failed\n", passed, failed);
  }
  if (passed + failed == 0) {
    klog::error("ktest: no test matched \"{}\"", pattern);
    return false;
  }
  return failed == 0;
}

}  // namespace ktest

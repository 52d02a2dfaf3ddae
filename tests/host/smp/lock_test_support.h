// Shared helpers of the lock tests: a recording lock-violation handler and bounded waits.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "smp/platform/host/platform_host.h"
#include "smp/platform/platform.h"

namespace locktest {

// Installs a handler that records every lock violation for the duration of a test and checks
// at the end that nothing was reported the test did not look at (take() / expect_none()).
class ViolationRecorder : public ::testing::Test {
 protected:
  void SetUp() override { platform::host::set_lock_violation_handler(&record, this); }
  void TearDown() override {
    platform::host::set_lock_violation_handler(nullptr, nullptr);
    std::lock_guard<std::mutex> lock(mutex_);
    EXPECT_TRUE(violations_.empty()) << violations_.size() << " unexpected lock violation(s), "
                                     << "first kind " << static_cast<int>(violations_[0].kind);
  }

  // Removes and returns what was recorded so far.
  std::vector<platform::LockViolation> take() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<platform::LockViolation> out;
    out.swap(violations_);
    return out;
  }
  std::size_t count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return violations_.size();
  }

 private:
  static void record(const platform::LockViolation& v, void* self) {
    auto* r = static_cast<ViolationRecorder*>(self);
    std::lock_guard<std::mutex> lock(r->mutex_);
    r->violations_.push_back(v);
  }

  std::mutex mutex_;
  std::vector<platform::LockViolation> violations_;
};

// Polls `done` until it holds or `limit` passes. Not a timing assertion: the limit only turns a
// hang (the bug the test looks for) into a failure.
template <typename Pred>
bool wait_until(Pred done, std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// N = 4 threads even on 2 cores: oversubscription is part of what the tests exercise.
inline constexpr int kThreads = 4;

}  // namespace locktest

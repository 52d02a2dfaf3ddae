// The vvar page's sequence count on host threads: one writer publishes updates whose fields
// depend on each other, readers take snapshots meanwhile; every snapshot must be one update's
// whole (run under ThreadSanitizer too: every access is atomic, so it must report nothing).
#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "kernel/vdso/vvar.h"
#include "kernel/vdso/vvar_writer.h"

namespace {

// Update k: every field a function of k, so a mix of two updates shows.
kvdso::ClockParams update(std::uint64_t k) {
  kvdso::ClockParams p;
  p.mode = static_cast<std::uint32_t>(k & 1);
  p.mult = k * 3 + 1;
  p.shift = static_cast<std::uint32_t>(k % 61);
  p.realtime_offset_ns = ~k;
  return p;
}

bool whole(const pleiades_vclock& c) {
  const std::uint64_t k = (c.mult - 1) / 3;
  return (c.mult - 1) % 3 == 0 && c.mode == (k & 1) && c.shift == k % 61 &&
         c.realtime_offset_ns == ~k;
}

TEST(VvarSeq, ReadersNeverSeeHalfAnUpdate) {
  pleiades_vvar page{};
  kvdso::publish_clock(page, update(0));
  constexpr std::uint64_t kUpdates = 200'000;
  constexpr int kReaders = 3;
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> torn{0}, taken{0}, gave_up{0}, went_back{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      std::uint64_t last = 0;
      // At least one snapshot after the writer has finished, however the threads were run.
      for (bool finished = false; !finished;) {
        finished = done.load(std::memory_order_acquire);
        pleiades_vclock c;
        if (!pleiades_vvar_snapshot(&page, &c)) {
          gave_up.fetch_add(1);
          continue;
        }
        taken.fetch_add(1);
        if (!whole(c)) torn.fetch_add(1);
        const std::uint64_t k = (c.mult - 1) / 3;
        if (k < last) went_back.fetch_add(1);  // updates are seen in order
        last = k;
      }
      EXPECT_EQ(last, kUpdates);  // the final update, once the writer is done
    });
  }
  for (std::uint64_t k = 1; k <= kUpdates; ++k) kvdso::publish_clock(page, update(k));
  done.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_EQ(went_back.load(), 0u);
  EXPECT_GE(taken.load(), static_cast<std::uint64_t>(kReaders));
  EXPECT_EQ(page.seq, 2 * (kUpdates + 1));
  (void)gave_up;  // allowed: a reader that kept finding the writer busy falls back
}

}  // namespace

// The memory API as the rest of the kernel sees it (kernel/mm/mm.h): heap through
// new/delete, aligned new, and the statistics.
#include <new>

#include "kernel/mm/mm.h"
#include "kernel/ktest/ktest.h"

namespace {

struct alignas(64) CacheLine {
  std::uint64_t words[8];
};

}  // namespace

KTEST(mm_heap_new_delete_round_trip) {
  auto* values = new std::uint64_t[512];
  KCHECK(values != nullptr);
  for (std::uint64_t i = 0; i < 512; ++i) values[i] = i * 3;
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < 512; ++i) sum += values[i];
  delete[] values;
  KCHECK_EQ(sum, 3u * 511u * 512u / 2u);
  auto* one = new int(7);
  KCHECK_EQ(*one, 7);
  delete one;
}

KTEST(mm_heap_aligned_new) {
  for (int i = 0; i < 8; ++i) {
    auto* line = new CacheLine{};
    KCHECK_EQ(reinterpret_cast<std::uint64_t>(line) % 64, 0u);
    KCHECK_EQ(line->words[7], 0u);
    delete line;
  }
  void* page = ::operator new(4096, std::align_val_t{4096});
  KCHECK(page != nullptr);
  KCHECK_EQ(reinterpret_cast<std::uint64_t>(page) % 4096, 0u);
  ::operator delete(page, std::align_val_t{4096});
}

KTEST(mm_stats_consistent) {
  const mm::Stats s = mm::stats();
  KCHECK(s.total_bytes > 0);
  KCHECK(s.usable_bytes <= s.total_bytes);
  KCHECK(s.free_bytes <= s.usable_bytes);
  KCHECK(s.free_bytes > 0);
  KCHECK(s.reclaimed_bytes > 0);  // reclaim_boot_memory ran before the tests
}

// A FrameSource over host memory for page-table tests. "Physical" addresses are fake numbers
// (frame n is 0x100000 + n * 4 KiB) so a test can tell table frames from mapped data, and the
// source can be told to run out after a number of frames.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "kernel/arch/x86_64/mmu/page_tables.h"

namespace paging_test {

class FakeFrameSource final : public paging::FrameSource {
 public:
  static constexpr std::uint64_t kBase = 0x100000;

  explicit FakeFrameSource(std::size_t limit) : limit_(limit) {}
  ~FakeFrameSource() {
    for (void* f : frames_) std::free(f);
  }
  FakeFrameSource(const FakeFrameSource&) = delete;
  FakeFrameSource& operator=(const FakeFrameSource&) = delete;

  std::uint64_t alloc_table_frame() override {
    if (in_use_.size() >= limit_) return 0;
    std::size_t i = 0;
    while (in_use_.count(i) != 0) ++i;
    if (i >= frames_.size()) frames_.resize(i + 1, nullptr);
    if (frames_[i] == nullptr) frames_[i] = std::aligned_alloc(4096, 4096);
    std::memset(frames_[i], 0, 4096);
    in_use_.insert(i);
    return kBase + i * 4096;
  }

  void* table_pointer(std::uint64_t phys) override {
    const std::size_t i = index_of(phys);
    if (phys < kBase || i >= frames_.size() || in_use_.count(i) == 0) {
      bad_access_ = true;  // reading a freed or never-allocated table: a test failure
      return scratch_;
    }
    return frames_[i];
  }

  void free_table_frame(std::uint64_t phys) override {
    const std::size_t i = index_of(phys);
    if (phys < kBase || in_use_.erase(i) == 0) double_free_ = true;
  }

  void set_limit(std::size_t limit) { limit_ = limit; }
  std::size_t in_use() const { return in_use_.size(); }
  bool bad_access() const { return bad_access_; }
  bool double_free() const { return double_free_; }

  // The raw entry for `virt` at `level` (4 = PML4 ... 1 = PT), 0 if the walk ends above it.
  std::uint64_t entry(std::uint64_t pml4, std::uint64_t virt, int level) {
    std::uint64_t table = pml4;
    for (int l = 4; l >= level; --l) {
      const auto* t = static_cast<const std::uint64_t*>(table_pointer(table));
      const std::uint64_t e = t[(virt >> (12 + 9 * (l - 1))) & 511];
      if (l == level) return e;
      if ((e & paging::pte::kPresent) == 0) return 0;
      if (l < 4 && (e & paging::pte::kLargePage) != 0) return 0;
      table = e & paging::pte::kAddress4K;
    }
    return 0;
  }

 private:
  static std::size_t index_of(std::uint64_t phys) { return (phys - kBase) / 4096; }

  std::vector<void*> frames_;
  std::set<std::size_t> in_use_;
  std::size_t limit_;
  bool bad_access_ = false;
  bool double_free_ = false;
  alignas(4096) std::uint64_t scratch_[512] = {};
};

}  // namespace paging_test

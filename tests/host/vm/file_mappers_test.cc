// The registry of which spaces map which files (kernel/vm/file_mappers.h) against fake spaces:
// counts per (file, space) pair, a shrink visiting every space that maps the file once and no
// other, a space already ending skipped, a space noted during a walk (as fork notes its child)
// still visited by it, and host threads (each playing one CPU) noting, forgetting, ending and
// freeing spaces while others walk the same file. Under ThreadSanitizer the run also checks
// that a walk never touches a space after its end.
#include "kernel/vm/file_mappers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "smp/platform/host/platform_host.h"

namespace {

using kvm::FileMapper;

// File keys: the registry never dereferences a node, it only compares the pointers.
alignas(64) char g_node_storage[3][64];
const ramfs::Node* node(int i) { return reinterpret_cast<const ramfs::Node*>(g_node_storage[i]); }

// A space as the registry sees it: references as AddressSpace counts them (the last put ends it:
// its regions forgotten, then freed when `owned`), its regions noted under its own lock, and the
// walks' visits counted.
class FakeSpace final : public FileMapper {
 public:
  explicit FakeSpace(bool owned = false) : owned_(owned) {}

  bool try_get() override {
    std::uint32_t refs = refs_.load(std::memory_order_relaxed);
    do {
      if (refs == 0) return false;
    } while (!refs_.compare_exchange_weak(refs, refs + 1, std::memory_order_relaxed));
    return true;
  }
  void put() override {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) end();
  }
  void drop_file_pages(const ramfs::Node* n, std::uint64_t size) override {
    std::function<void()> hook;
    {
      std::lock_guard<std::mutex> g(lock_);
      ++drops_;
      last_node_ = n;
      last_size_ = size;
      hook = std::move(on_drop_);
    }
    if (hook) hook();
  }

  // A region of `n` comes or goes, under the space's lock (as mmap, split and munmap do).
  bool map(const ramfs::Node* n) {
    std::lock_guard<std::mutex> g(lock_);
    if (!kvm::note_file_mapping(n, this)) return false;
    regions_.push_back(n);
    return true;
  }
  void unmap(const ramfs::Node* n) {
    std::lock_guard<std::mutex> g(lock_);
    for (auto it = regions_.begin(); it != regions_.end(); ++it) {
      if (*it == n) {
        regions_.erase(it);
        kvm::forget_file_mapping(n, this);
        return;
      }
    }
  }
  void set_on_drop(std::function<void()> hook) {
    std::lock_guard<std::mutex> g(lock_);
    on_drop_ = std::move(hook);
  }
  int drops() {
    std::lock_guard<std::mutex> g(lock_);
    return drops_;
  }
  const ramfs::Node* last_node() {
    std::lock_guard<std::mutex> g(lock_);
    return last_node_;
  }
  std::uint64_t last_size() {
    std::lock_guard<std::mutex> g(lock_);
    return last_size_;
  }
  std::uint32_t refs() const { return refs_.load(); }
  // Its last reference gone, its end not yet run (AddressSpace between put and destroy).
  void lose_last_reference() { refs_.store(0); }

 private:
  // The end of the space: past its last reference, its regions go (as AddressSpace::destroy
  // does, without its lock: nobody can reach it any more), then it is freed if owned.
  void end() {
    for (const ramfs::Node* n : regions_) kvm::forget_file_mapping(n, this);
    regions_.clear();
    if (owned_) delete this;
  }

  const bool owned_;
  std::atomic<std::uint32_t> refs_{1};
  std::mutex lock_;
  std::vector<const ramfs::Node*> regions_;  // lock_
  int drops_ = 0;                            // lock_
  const ramfs::Node* last_node_ = nullptr;   // lock_
  std::uint64_t last_size_ = 0;              // lock_
  std::function<void()> on_drop_;            // lock_
};

class FileMappers : public ::testing::Test {
 protected:
  void SetUp() override {
    platform::host::bind_cpu(platform::CpuNumber{0});
    ASSERT_EQ(kvm::file_mapping_records(), 0u);
  }
  void TearDown() override { EXPECT_EQ(kvm::file_mapping_records(), 0u); }
};

TEST_F(FileMappers, OneRecordPerFileAndSpaceCountsItsRegions) {
  FakeSpace a, b;
  ASSERT_TRUE(a.map(node(0)));
  ASSERT_TRUE(a.map(node(0)));  // a split: a second region of the same file
  ASSERT_TRUE(b.map(node(0)));
  ASSERT_TRUE(a.map(node(1)));
  EXPECT_EQ(kvm::file_mapping_records(), 3u);
  a.unmap(node(0));
  EXPECT_EQ(kvm::file_mapping_records(), 3u);  // a still maps node 0 once
  a.unmap(node(0));
  EXPECT_EQ(kvm::file_mapping_records(), 2u);
  b.unmap(node(0));
  a.unmap(node(1));
}

TEST_F(FileMappers, AShrinkVisitsEverySpaceMappingTheFileOnceAndNoOther) {
  FakeSpace a, b, c;
  ASSERT_TRUE(a.map(node(0)));
  ASSERT_TRUE(a.map(node(0)));
  ASSERT_TRUE(b.map(node(0)));
  ASSERT_TRUE(c.map(node(1)));
  kvm::unmap_file_tail(*node(0), 4196);
  EXPECT_EQ(a.drops(), 1);  // one visit per space, however many regions
  EXPECT_EQ(b.drops(), 1);
  EXPECT_EQ(c.drops(), 0);
  EXPECT_EQ(a.last_node(), node(0));
  EXPECT_EQ(b.last_size(), 4196u);
  EXPECT_EQ(a.refs(), 1u);  // the walk's references given back
  EXPECT_EQ(b.refs(), 1u);
  kvm::unmap_file_tail(*node(2), 0);  // a file nobody maps
  EXPECT_EQ(a.drops() + b.drops() + c.drops(), 2);
  a.unmap(node(0));
  a.unmap(node(0));
  b.unmap(node(0));
  c.unmap(node(1));
}

TEST_F(FileMappers, ASpacePastItsLastReferenceIsSkipped) {
  FakeSpace ending, live;
  ASSERT_TRUE(ending.map(node(0)));
  ASSERT_TRUE(live.map(node(0)));
  ending.lose_last_reference();
  kvm::unmap_file_tail(*node(0), 0);
  EXPECT_EQ(ending.drops(), 0);  // its end drops every page anyway
  EXPECT_EQ(ending.refs(), 0u);  // and it was not revived
  EXPECT_EQ(live.drops(), 1);
  ending.unmap(node(0));
  live.unmap(node(0));
}

TEST_F(FileMappers, ASpaceNotedDuringAWalkIsVisitedByIt) {
  // fork: while the walk visits the parent (the parent's mutex held by fork until then), the
  // child's regions are noted; the walk must reach the child after the parent.
  FakeSpace parent, other, child;
  ASSERT_TRUE(other.map(node(0)));
  ASSERT_TRUE(parent.map(node(0)));
  parent.set_on_drop([&] { ASSERT_TRUE(child.map(node(0))); });
  kvm::unmap_file_tail(*node(0), 100);
  EXPECT_EQ(parent.drops(), 1);
  EXPECT_EQ(other.drops(), 1);
  EXPECT_EQ(child.drops(), 1);
  parent.unmap(node(0));
  other.unmap(node(0));
  child.unmap(node(0));
}

TEST_F(FileMappers, ARecordForgottenWhileAWalkStandsOnItGoesAfterTheWalk) {
  FakeSpace first, second;
  ASSERT_TRUE(first.map(node(0)));
  ASSERT_TRUE(second.map(node(0)));
  // The walk holds first's record pinned while it visits: first's munmap forgets its only
  // region meanwhile, and the walk must still find its way on to second.
  first.set_on_drop([&] {
    first.unmap(node(0));
    EXPECT_EQ(kvm::file_mapping_records(), 2u);  // pinned: kept until the walk moves on
  });
  kvm::unmap_file_tail(*node(0), 0);
  EXPECT_EQ(second.drops(), 1);
  EXPECT_EQ(kvm::file_mapping_records(), 1u);
  // A space whose last reference the walk held ends in the walk, forgetting its regions.
  auto* owned = new FakeSpace(true);
  ASSERT_TRUE(owned->map(node(0)));
  owned->set_on_drop([owned] { owned->put(); });  // its owner lets go while the walk visits
  kvm::unmap_file_tail(*node(0), 0);              // the walk's put ends and frees it
  EXPECT_EQ(second.drops(), 2);
  second.unmap(node(0));
}

// Threads each playing one CPU: mappers start, note regions of one file (some twice, as a
// split), forget some, and end, their last reference dropped by whoever holds it last (the
// owner or a walk); walkers meanwhile shrink the file over and over. A space mapping the file
// throughout is visited by every walk; every space that ends is freed (ASan/TSan: never touched
// after), and no record or reference is left.
TEST_F(FileMappers, ThreadsMapForgetEndAndWalkOneFile) {
  constexpr int kMappers = 3;
  constexpr int kWalkers = 2;
  constexpr int kIterations = 3000;
  FakeSpace steady;
  ASSERT_TRUE(steady.map(node(0)));
  std::atomic<int> mappers_left{kMappers};
  std::atomic<int> walks{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kMappers; ++t) {
    threads.emplace_back([&, t] {
      platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(1 + t)});
      for (int i = 0; i < kIterations; ++i) {
        auto* s = new FakeSpace(true);
        const int regions = 1 + (i + t) % 3;
        for (int r = 0; r < regions; ++r) {
          if (!s->map(node(0))) failures.fetch_add(1);
        }
        if (!s->map(node(1))) failures.fetch_add(1);  // another file in the same table
        if (regions > 1) s->unmap(node(0));           // a munmap of one region
        s->put();  // the process ends: the last reference ends and frees the space
      }
      mappers_left.fetch_sub(1);
    });
  }
  for (int w = 0; w < kWalkers; ++w) {
    threads.emplace_back([&, w] {
      platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(1 + kMappers + w)});
      while (mappers_left.load() != 0) {
        kvm::unmap_file_tail(*node(0), 4096);
        walks.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  RecordProperty("walks", walks.load());
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(walks.load(), 0);
  EXPECT_EQ(steady.drops(), walks.load());  // the steady mapper was never missed
  EXPECT_EQ(steady.refs(), 1u);
  EXPECT_EQ(kvm::file_mapping_records(), 1u);
  steady.unmap(node(0));
}

}  // namespace

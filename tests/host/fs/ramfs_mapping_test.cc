// The file pages mappings use (kernel/fs/ramfs/page_store.h): share_page hands out the file's
// own page with a reference for the mapper, ENXIO wholly past the end, ENODEV from a store that
// cannot share; copy_page fills a private copy with zeros past the end; a truncate lets go of
// the file's reference only, so a page still mapped lives on until its mapper gives it back; a
// shrink tells the store first and withholds the pages it cuts from mappings meanwhile; and
// host threads sharing, writing and truncating one file at once leave every page accounted for.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kernel/fs/ramfs/page_store.h"
#include "tests/host/fs/ramfs_test_support.h"

namespace {

using namespace ramfstest;
using ramfs::PageStore;

// Pages from the heap with a reference count each; "physical" is the page's address.
class CountingStore final : public PageStore {
 public:
  std::uint8_t* alloc() override {
    auto* page = new std::uint8_t[kPageSize]();
    std::lock_guard<std::mutex> g(lock_);
    refs_[page] = 1;
    return page;
  }
  void release(std::uint8_t* page) override { drop(page); }
  bool share(std::uint8_t* page) override {
    std::lock_guard<std::mutex> g(lock_);
    ++refs_.at(page);
    return true;
  }
  std::uint64_t physical(const std::uint8_t* page) override {
    return reinterpret_cast<std::uint64_t>(page);
  }
  void shrinking(ramfs::Node& node, std::uint64_t size) override {
    std::function<void()> hook;
    {
      std::lock_guard<std::mutex> g(lock_);
      ++shrinks_;
      last_shrunk_ = &node;
      last_size_ = size;
      hook = std::move(on_shrinking_);
    }
    if (hook) hook();  // as the kernel's mappings would, with no node lock held
  }
  // Runs once, inside the next shrinking() call.
  void on_shrinking(std::function<void()> hook) {
    std::lock_guard<std::mutex> g(lock_);
    on_shrinking_ = std::move(hook);
  }
  int shrinks() {
    std::lock_guard<std::mutex> g(lock_);
    return shrinks_;
  }
  ramfs::Node* last_shrunk() { return last_shrunk_; }
  std::uint64_t last_size() { return last_size_; }
  // A mapper gives its reference back.
  void unmap(std::uint64_t phys) { drop(reinterpret_cast<std::uint8_t*>(phys)); }
  std::size_t live() {
    std::lock_guard<std::mutex> g(lock_);
    return refs_.size();
  }
  int refs(std::uint64_t phys) {
    std::lock_guard<std::mutex> g(lock_);
    auto it = refs_.find(reinterpret_cast<std::uint8_t*>(phys));
    return it == refs_.end() ? 0 : it->second;
  }

 private:
  void drop(std::uint8_t* page) {
    bool last;
    {
      std::lock_guard<std::mutex> g(lock_);
      last = --refs_.at(page) == 0;
      if (last) refs_.erase(page);
    }
    if (last) delete[] page;
  }
  std::mutex lock_;
  std::map<std::uint8_t*, int> refs_;
  int shrinks_ = 0;
  ramfs::Node* last_shrunk_ = nullptr;
  std::uint64_t last_size_ = 0;
  std::function<void()> on_shrinking_;
};

// Installs the counting store before the file system exists, and puts the previous one back
// after it is gone (every page goes back to the store it came from).
class RamfsMapping : public RamfsTest {
 protected:
  void SetUp() override {
    previous_ = &ramfs::page_store();
    ramfs::set_page_store(store_);
    RamfsTest::SetUp();
  }
  void TearDown() override {
    RamfsTest::TearDown();
    ramfs::set_page_store(*previous_);
    EXPECT_EQ(store_.live(), 0u) << "pages not given back";
  }
  CountingStore store_;
  PageStore* previous_ = nullptr;
};

constexpr std::uint64_t kPage = PageStore::kPageSize;

TEST_F(RamfsMapping, SharePageGivesTheFilesOwnPageWithAReference) {
  NodeRef f = file("f");
  put(*f, 0, std::string(kPage + 10, 'x'));
  auto shared = f->share_page(0);
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ(store_.refs(shared.value()), 2);
  // A write through the file is what the mapper sees, and the other way round.
  put(*f, 3, "abc");
  auto* page = reinterpret_cast<char*>(shared.value());
  EXPECT_EQ(std::string(page + 3, 3), "abc");
  std::memcpy(page + 100, "mapped", 6);
  EXPECT_EQ(contents(*f).substr(100, 6), "mapped");
  // Page 1 holds 10 bytes: still shareable; page 2 lies wholly past the end.
  auto second = f->share_page(1);
  ASSERT_TRUE(second.ok());
  auto past = f->share_page(2);
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error(), Errno::kENXIO);
  store_.unmap(shared.value());
  store_.unmap(second.value());
  ASSERT_TRUE(f->truncate(0, 2).ok());
  EXPECT_FALSE(f->share_page(0).ok());
}

TEST_F(RamfsMapping, SharingAHoleAllocatesItsPage) {
  NodeRef f = file("f");
  put(*f, 3 * kPage, "end");
  const std::uint64_t before = f->stat().blocks;
  auto hole = f->share_page(1);
  ASSERT_TRUE(hole.ok());
  EXPECT_GT(f->stat().blocks, before);
  EXPECT_EQ(reinterpret_cast<const std::uint8_t*>(hole.value())[17], 0);
  store_.unmap(hole.value());
}

TEST_F(RamfsMapping, TruncateLeavesAMappedPageToItsMapper) {
  NodeRef f = file("f");
  put(*f, 0, std::string(2 * kPage, 'y'));
  auto shared = f->share_page(1);
  ASSERT_TRUE(shared.ok());
  const std::size_t pages = store_.live();
  ASSERT_TRUE(f->truncate(kPage, 2).ok());
  // The file let go of page 1; the mapper's reference keeps it, with its contents.
  EXPECT_EQ(store_.refs(shared.value()), 1);
  EXPECT_EQ(store_.live(), pages);
  EXPECT_EQ(reinterpret_cast<const char*>(shared.value())[5], 'y');
  // Growing the file again gives it a new page of zeros, not the detached one.
  ASSERT_TRUE(f->truncate(2 * kPage, 3).ok());
  EXPECT_EQ(contents(*f).substr(kPage, 4), std::string(4, '\0'));
  store_.unmap(shared.value());
  EXPECT_EQ(store_.live(), pages - 1);
}

TEST_F(RamfsMapping, OnlyAShrinkTellsTheStore) {
  NodeRef f = file("f");
  put(*f, 0, std::string(3 * kPage, 'q'));
  ASSERT_TRUE(f->truncate(5 * kPage, 2).ok());  // growing
  ASSERT_TRUE(f->truncate(5 * kPage, 2).ok());  // the same size
  EXPECT_EQ(store_.shrinks(), 0);
  ASSERT_TRUE(f->truncate(kPage + 1, 3).ok());
  EXPECT_EQ(store_.shrinks(), 1);
  EXPECT_EQ(store_.last_shrunk(), f.get());
  EXPECT_EQ(store_.last_size(), kPage + 1);
}

TEST_F(RamfsMapping, AShrinkWithholdsThePagesItCutsUntilTheMappingsLetGo) {
  NodeRef f = file("f");
  put(*f, 0, std::string(3 * kPage, 'w'));
  std::vector<std::uint8_t> out(kPage, 0);
  bool ran = false;
  store_.on_shrinking([&] {
    ran = true;
    // While the mappings let go, no mapping gets a page wholly past the new end, though the
    // file still holds them (read() still sees them until the cut).
    auto shared = f->share_page(2);
    EXPECT_FALSE(shared.ok());
    if (!shared.ok()) {
      EXPECT_EQ(shared.error(), Errno::kENXIO);
    }
    auto copied = f->copy_page(2, out.data());
    EXPECT_FALSE(copied.ok());
    if (!copied.ok()) {
      EXPECT_EQ(copied.error(), Errno::kENXIO);
    }
    EXPECT_EQ(f->stat().size, 3 * kPage);
    // A write that grows the file meanwhile comes before the cut; its pages are withheld too.
    put(*f, 4 * kPage, "late");
    EXPECT_FALSE(f->share_page(4).ok());
    // The page the new end falls in is not withheld.
    auto last = f->share_page(1);
    ASSERT_TRUE(last.ok());
    store_.unmap(last.value());
    ASSERT_TRUE(f->copy_page(0, out.data()).ok());
  });
  ASSERT_TRUE(f->truncate(kPage + 1, 2).ok());
  EXPECT_TRUE(ran);
  EXPECT_EQ(f->stat().size, kPage + 1);  // the cut came last
  // Done: pages past the end are ENXIO for being past it; grown back, they are handed out.
  ASSERT_TRUE(f->truncate(3 * kPage, 3).ok());
  auto again = f->share_page(2);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(reinterpret_cast<const char*>(again.value())[0], 0);
  store_.unmap(again.value());
  ASSERT_TRUE(f->copy_page(2, out.data()).ok());
}

TEST_F(RamfsMapping, CopyPageFillsPastTheEndWithZeros) {
  NodeRef f = file("f");
  put(*f, 0, std::string(kPage + 10, 'z'));
  std::vector<std::uint8_t> out(kPage, 0xee);
  ASSERT_TRUE(f->copy_page(1, out.data()).ok());
  EXPECT_EQ(out[0], 'z');
  EXPECT_EQ(out[9], 'z');
  EXPECT_EQ(out[10], 0);
  EXPECT_EQ(out[kPage - 1], 0);
  auto past = f->copy_page(2, out.data());
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error(), Errno::kENXIO);
  NodeRef d = dir("d");
  EXPECT_EQ(d->copy_page(0, out.data()).error(), Errno::kENODEV);
  EXPECT_EQ(d->share_page(0).error(), Errno::kENODEV);
}

TEST_F(RamfsMapping, ThreadsSharingWritingAndTruncatingAccountForEveryPage) {
  NodeRef f = file("f");
  constexpr int kThreads = 4, kRounds = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::uint8_t> copy(kPage);
      for (int i = 0; i < kRounds; ++i) {
        const std::uint64_t index = static_cast<std::uint64_t>((i + t) % 4);
        if (t == 0 && i % 10 == 0) {
          (void)f->truncate(static_cast<std::uint64_t>(i % 3) * kPage, 1);
          continue;
        }
        (void)f->write_at(index * kPage, "w", 1, 1);
        if (auto shared = f->share_page(index); shared.ok()) store_.unmap(shared.value());
        (void)f->copy_page(index, copy.data());
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(f->truncate(0, 2).ok());
  EXPECT_EQ(store_.live(), 0u);
}

TEST(RamfsHeapStore, CannotSharePages) {
  // The default store (the heap) has nothing a page table could map.
  std::unique_ptr<ramfs::Filesystem> fs(ramfs::Filesystem::create(attrs(0755)));
  ASSERT_NE(fs, nullptr);
  NodeRef root = fs->root();
  auto made = fs->create(*root, "f", NodeType::kRegular, attrs(0644));
  ASSERT_TRUE(made.ok());
  NodeRef f = std::move(made.value());
  ASSERT_TRUE(f->write_at(0, "data", 4, 1).ok());
  auto shared = f->share_page(0);
  ASSERT_FALSE(shared.ok());
  EXPECT_EQ(shared.error(), Errno::kENODEV);
}

}  // namespace

// Out of memory in the in-memory file system: every allocation an operation makes is failed in
// turn (the Nth operator new(std::nothrow) of this thread returns nullptr), and each time the
// operation must report ENOMEM and leave the file system as it was: no crash, no half-made
// node, no leaked node. The replacement below applies to this test binary only; other
// allocations (gtest's, std::string's) use the throwing operator new and are never failed.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <new>
#include <vector>

#include "kernel/fs/ramfs/unpack.h"
#include "tests/host/fs/ramfs_test_support.h"

namespace {

// Allocations left before one fails: -1 never fails.
thread_local long t_allocations_left = -1;
thread_local long t_allocations_made = 0;
thread_local long t_refused = 0;

// Counts and maybe refuses; else the throwing form of the same operator (scalar or array),
// which the matching operator delete and a sanitizer's pairing checks expect.
bool may_allocate() {
  if (t_allocations_left == 0) {
    ++t_refused;
    return false;
  }
  if (t_allocations_left > 0) --t_allocations_left;
  ++t_allocations_made;
  return true;
}

}  // namespace

// The library's own allocations: all of them are nothrow (it is freestanding code).
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return may_allocate() ? ::operator new(size) : nullptr;
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return may_allocate() ? ::operator new[](size) : nullptr;
}

namespace {

using namespace ramfstest;

class RamfsOom : public RamfsTest {
 protected:
  // Runs `op` with the 0th, 1st, 2nd ... allocation failing until it succeeds without a
  // failure; before that every run must fail with ENOMEM and `unchanged` must hold after it.
  // Returns how many allocations the successful run made.
  template <typename Op, typename Check>
  long each_failure(Op op, Check unchanged) {
    for (long n = 0; n < 10000; ++n) {
      t_allocations_left = n;
      t_allocations_made = 0;
      t_refused = 0;
      const Errno e = op();
      const bool refused = t_refused != 0;
      t_allocations_left = -1;
      if (e == Errno{0}) {
        EXPECT_FALSE(refused) << "succeeded although allocation " << n << " failed";
        failures_ += n;
        return t_allocations_made;
      }
      EXPECT_EQ(e, Errno::kENOMEM) << "allocation " << n << ": " << ramfs::errno_name(e);
      unchanged();
      if (::testing::Test::HasFailure()) return -1;
    }
    ADD_FAILURE() << "never succeeded";
    return -1;
  }
  long failures_ = 0;  // failed runs in all each_failure calls of the test
};

template <typename R>
Errno error_of(const R& r) {
  return r.ok() ? Errno{0} : r.error();
}

TEST_F(RamfsOom, CreateInAGrowingDirectory) {
  NodeRef d = dir("d");
  for (int i = 0; i < 40; ++i) {
    const std::string name = "n" + std::to_string(i);
    const std::uint64_t live = fs_->live_nodes();
    const long made = each_failure(
        [&] { return error_of(fs_->create(*d, sv(name), NodeType::kSymlink, attrs(0777), "t")); },
        [&] {
          EXPECT_EQ(fs_->live_nodes(), live);
          EXPECT_FALSE(fs_->lookup(*d, sv(name)).ok());
          EXPECT_EQ(list(*d).size(), static_cast<std::size_t>(2 + i));
        });
    EXPECT_GE(made, 4);  // node, target, entry, name (+ tables as they grow)
  }
  EXPECT_GE(failures_, 40 * 4);
}

TEST_F(RamfsOom, WriteIsShortOrEnomemAndNeverCorrupts) {
  NodeRef f = file("f");
  const std::string data(3 * 4096 + 100, 'w');
  int enomem = 0, short_writes = 0;
  for (long n = 0; n < 20; ++n) {
    ASSERT_TRUE(f->truncate(0, 1).ok());
    t_allocations_left = n;
    auto wrote = f->write_at(10, data.data(), data.size(), 1);
    t_allocations_left = -1;
    if (!wrote.ok()) {
      EXPECT_EQ(wrote.error(), Errno::kENOMEM);
      EXPECT_EQ(f->stat().size, 0u);
      ++enomem;
      continue;
    }
    if (wrote.value() < data.size()) ++short_writes;
    // What was written is there; the size covers exactly that.
    EXPECT_EQ(f->stat().size, 10 + wrote.value());
    const std::string back = contents(*f);
    EXPECT_EQ(back.substr(0, 10), std::string(10, '\0'));
    EXPECT_EQ(back.substr(10), data.substr(0, wrote.value()));
    if (wrote.value() == data.size()) break;
  }
  EXPECT_GT(enomem, 0);
  EXPECT_GT(short_writes, 0);
}

TEST_F(RamfsOom, RenameAndLink) {
  NodeRef a = file("a");
  NodeRef d = dir("d");
  for (int i = 0; i < 12; ++i) mk(*d, "filler" + std::to_string(i), NodeType::kRegular);
  each_failure([&] { return error_of(fs_->rename(*root_, "a", *d, "b", 1)); },
               [&] {
                 EXPECT_TRUE(fs_->lookup(*root_, "a").ok());
                 EXPECT_FALSE(fs_->lookup(*d, "b").ok());
                 EXPECT_EQ(a->stat().nlink, 1u);
               });
  EXPECT_EQ(at("/d/b").get(), a.get());
  each_failure([&] { return error_of(fs_->link(*root_, "c", *a, 1)); },
               [&] {
                 EXPECT_FALSE(fs_->lookup(*root_, "c").ok());
                 EXPECT_EQ(a->stat().nlink, 1u);
               });
  EXPECT_EQ(a->stat().nlink, 2u);
}

TEST_F(RamfsOom, ResolveThroughASymlink) {
  dir("target");
  mk(*root_, "link", NodeType::kSymlink, "target");
  each_failure([&] { return error_of(ramfs::resolve(*root_, "/link/.", true)); }, [] {});
}

TEST_F(RamfsOom, UnpackReportsTheEntryAndLeaksNothing) {
  std::ifstream in(PLEIADES_SAMPLE_CPIO, std::ios::binary);
  const std::vector<std::uint8_t> archive(std::istreambuf_iterator<char>(in), {});
  ASSERT_FALSE(archive.empty());
  for (long n = 0; n < 10000; ++n) {
    std::unique_ptr<ramfs::Filesystem> fs(ramfs::Filesystem::create(attrs(0755)));
    ASSERT_NE(fs, nullptr);
    t_allocations_left = n;
    auto got = ramfs::unpack(*fs, archive.data(), archive.size());
    t_allocations_left = -1;
    if (got.ok()) {
      EXPECT_EQ(fs->live_nodes(), 9u);
      EXPECT_GT(n, 20);  // that many runs met a failure first
      return;
    }
    EXPECT_FALSE(got.error().in_archive);
    EXPECT_EQ(got.error().error, Errno::kENOMEM) << "allocation " << n;
    EXPECT_NE(got.error().name.length, 0u);
    // No half-made file stayed: every regular file there has its whole data.
    for (const char* path : {"/etc/motd", "/bin/script", "/etc/three"}) {
      auto f = ramfs::resolve(*fs->root(), path, true);
      if (f.ok()) {
        EXPECT_NE(f.value()->stat().size, 0u) << path << " after failing allocation " << n;
      }
    }
  }
  ADD_FAILURE() << "unpack never succeeded";
}

}  // namespace

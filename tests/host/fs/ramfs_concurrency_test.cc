// The in-memory file system on many CPUs at once: host threads (each playing one CPU) create,
// unlink, rename (files and directories, across directories, into their own subtrees), write,
// list and hold unlinked files open in shared directories, then the tree is checked whole: no
// lost or doubled entry, every link count equal to the names and subdirectories that exist,
// every node reachable, and after removing everything, only the root left alive. Under
// ThreadSanitizer the run also checks that the per-node locks order every access.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "smp/platform/host/platform_host.h"
#include "tests/host/fs/ramfs_test_support.h"

namespace {

using namespace ramfstest;

constexpr int kThreads = 6;
constexpr int kIterations = 3000;
constexpr int kTopDirs = 4;
constexpr int kOwnFiles = 4;
constexpr int kNames = 8;

// A small deterministic generator per thread (no timing, no shared state).
struct Rng {
  std::uint64_t s;
  std::uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::uint32_t>(s >> 33);
  }
  std::uint32_t below(std::uint32_t n) { return next() % n; }
};

class RamfsConcurrency : public RamfsTest {
 protected:
  // A directory path of up to three levels: "D1", "D1/s3", "D1/s3/s0".
  std::string dir_path(Rng& r) {
    std::string p = "D" + std::to_string(r.below(kTopDirs));
    for (std::uint32_t depth = r.below(3); depth > 0; --depth) {
      p += "/s" + std::to_string(r.below(kNames));
    }
    return p;
  }

  struct Own {
    NodeRef node;
    int dir;           // D<dir>
    std::string name;  // its name there
    std::string data;  // what it holds
  };

  void worker(int t) {
    platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(t)});
    Rng r{static_cast<std::uint64_t>(t) * 7919 + 1};
    std::vector<Own>& own = own_[t];
    std::int64_t now = 0;
    for (int i = 0; i < kIterations; ++i) {
      ++now;
      switch (r.below(11)) {
        case 0: {  // create a file
          auto d = ramfs::resolve(*root_, sv(dir_path(r)), true);
          if (!d.ok() || !d.value()->is_directory()) break;
          auto made = fs_->create(*d.value(), sv("f" + std::to_string(r.below(kNames))),
                                  NodeType::kRegular, attrs(0644, now));
          if (!made.ok()) {
            EXPECT_TRUE(made.error() == Errno::kEEXIST || made.error() == Errno::kENOENT)
                << ramfs::errno_name(made.error());
          }
          break;
        }
        case 1: {  // unlink a file
          auto d = ramfs::resolve(*root_, sv(dir_path(r)), true);
          if (!d.ok() || !d.value()->is_directory()) break;
          auto gone = fs_->unlink(*d.value(), sv("f" + std::to_string(r.below(kNames))), now);
          if (!gone.ok()) {  // a rename may have given the name to a directory
            EXPECT_TRUE(gone.error() == Errno::kENOENT || gone.error() == Errno::kEISDIR)
                << ramfs::errno_name(gone.error());
          }
          break;
        }
        case 2: {  // mkdir
          auto d = ramfs::resolve(*root_, sv(dir_path(r)), true);
          if (!d.ok() || !d.value()->is_directory()) break;
          (void)fs_->create(*d.value(), sv("s" + std::to_string(r.below(kNames))),
                            NodeType::kDirectory, attrs(0755, now));
          break;
        }
        case 3: {  // rmdir
          auto d = ramfs::resolve(*root_, sv(dir_path(r)), true);
          if (!d.ok() || !d.value()->is_directory()) break;
          auto gone = fs_->rmdir(*d.value(), sv("s" + std::to_string(r.below(kNames))), now);
          if (!gone.ok()) {
            EXPECT_TRUE(gone.error() == Errno::kENOENT || gone.error() == Errno::kENOTEMPTY ||
                        gone.error() == Errno::kENOTDIR)
                << ramfs::errno_name(gone.error());
          }
          break;
        }
        case 4: {  // rename a file or a directory anywhere, into its own subtree included
          auto a = ramfs::resolve(*root_, sv(dir_path(r)), true);
          auto b = ramfs::resolve(*root_, sv(dir_path(r)), true);
          if (!a.ok() || !b.ok() || !a.value()->is_directory() || !b.value()->is_directory()) break;
          const char* kinds = "fs";
          const std::string from = kinds[r.below(2)] + std::to_string(r.below(kNames));
          const std::string to = kinds[r.below(2)] + std::to_string(r.below(kNames));
          auto moved = fs_->rename(*a.value(), sv(from), *b.value(), sv(to), now);
          if (moved.ok() && a.value().get() != b.value().get() && from[0] == 's') {
            dir_moves_.fetch_add(1, std::memory_order_relaxed);
          }
          if (!moved.ok() && moved.error() == Errno::kEINVAL) {
            into_own_subtree_.fetch_add(1, std::memory_order_relaxed);
          }
          break;
        }
        case 5: {  // write into a shared file
          auto f = ramfs::resolve(*root_, sv(dir_path(r) + "/f" + std::to_string(r.below(kNames))),
                                  true);
          if (!f.ok() || f.value()->type() != NodeType::kRegular) break;
          const std::string data(1 + r.below(600), static_cast<char>('a' + t));
          auto wrote = f.value()->write_at(r.below(3 * 4096), data.data(), data.size(), now);
          EXPECT_TRUE(wrote.ok());
          char back[64];
          EXPECT_TRUE(f.value()->read_at(r.below(4096), back, sizeof(back)).ok());
          break;
        }
        case 6: {  // list a directory: every name listed is a valid name
          auto d = ramfs::resolve(*root_, sv(dir_path(r)), true);
          if (!d.ok() || !d.value()->is_directory()) break;
          for (const std::string& n : list(*d.value())) {
            EXPECT_TRUE(n == "." || n == ".." || n[0] == 'f' || n[0] == 's' || n[0] == 'o') << n;
          }
          break;
        }
        case 7: {  // a file unlinked while open stays readable and writable
          const std::string name = "o" + std::to_string(t) + "_tmp";
          auto d = ramfs::resolve(*root_, sv("D" + std::to_string(r.below(kTopDirs))), true);
          ASSERT_TRUE(d.ok());
          auto made = fs_->create(*d.value(), sv(name), NodeType::kRegular, attrs(0644, now));
          ASSERT_TRUE(made.ok()) << ramfs::errno_name(made.error());
          put(*made.value(), 0, "temporary");
          ASSERT_TRUE(fs_->unlink(*d.value(), sv(name), now).ok());
          put(*made.value(), 4, "ORARY!");
          EXPECT_EQ(contents(*made.value()), "tempORARY!");
          EXPECT_EQ(made.value()->stat().nlink, 0u);
          open_unlinked_.fetch_add(1, std::memory_order_relaxed);
          break;
        }
        case 8: {  // move a directory below itself: EINVAL while it is still there
          const std::string parent = dir_path(r);
          const std::string name = "s" + std::to_string(r.below(kNames));
          auto a = ramfs::resolve(*root_, sv(parent), true);
          auto below = ramfs::resolve(*root_, sv(parent + "/" + name + "/s" +
                                                 std::to_string(r.below(kNames))), true);
          if (!a.ok() || !below.ok() || !a.value()->is_directory() ||
              !below.value()->is_directory()) {
            break;
          }
          auto moved = fs_->rename(*a.value(), sv(name), *below.value(),
                                   sv("s" + std::to_string(r.below(kNames))), now);
          if (!moved.ok() && moved.error() == Errno::kEINVAL) {
            into_own_subtree_.fetch_add(1, std::memory_order_relaxed);
          }
          break;
        }
        default: {  // move one of this thread's own files to another top directory
          const std::uint32_t k = r.below(kOwnFiles);
          Own& o = own[k];
          const int to_dir = static_cast<int>(r.below(kTopDirs));
          // A name no other file ever has: the thread's and the file's numbers in it.
          const std::string to_name = "o" + std::to_string(t) + "_" + std::to_string(k) + "_" +
                                      std::to_string(r.below(100));
          auto from = ramfs::resolve(*root_, sv("D" + std::to_string(o.dir)), true);
          auto to = ramfs::resolve(*root_, sv("D" + std::to_string(to_dir)), true);
          ASSERT_TRUE(from.ok() && to.ok());
          auto moved = fs_->rename(*from.value(), sv(o.name), *to.value(), sv(to_name), now);
          if (moved.ok()) {
            o.dir = to_dir;
            o.name = to_name;
          } else {
            ADD_FAILURE() << o.name << " -> " << to_name << ": "
                          << ramfs::errno_name(moved.error());
          }
          break;
        }
      }
    }
  }

  void SetUpTree() {
    for (int d = 0; d < kTopDirs; ++d) top_.push_back(dir("D" + std::to_string(d)));
    for (int t = 0; t < kThreads; ++t) {
      for (int k = 0; k < kOwnFiles; ++k) {
        Own o;
        o.dir = k % kTopDirs;
        o.name = "o" + std::to_string(t) + "_own" + std::to_string(k);
        o.data = "owned by " + std::to_string(t) + "/" + std::to_string(k);
        o.node = mk(*top_[o.dir], o.name, NodeType::kRegular);
        put(*o.node, 0, o.data);
        own_[t].push_back(std::move(o));
      }
    }
  }

  struct Seen {
    ramfs::Node* node;
    int names = 0;
  };

  // Walks the whole tree from the root; checks link counts on the way.
  std::map<std::uint64_t, Seen> walk_and_check() {
    std::map<std::uint64_t, Seen> seen;
    std::vector<NodeRef> dirs;
    dirs.push_back(fs_->root());
    while (!dirs.empty()) {
      NodeRef d = std::move(dirs.back());
      dirs.pop_back();
      std::uint32_t subdirs = 0;
      for (const std::string& n : list(*d)) {
        if (n == "." || n == "..") continue;
        auto child = fs_->lookup(*d, sv(n));
        EXPECT_TRUE(child.ok()) << n << " listed but not found";
        if (!child.ok()) continue;
        Seen& s = seen[child.value()->ino()];
        s.node = child.value().get();
        ++s.names;
        if (child.value()->is_directory()) {
          ++subdirs;
          auto up = fs_->lookup(*child.value(), "..");
          EXPECT_TRUE(up.ok() && up.value().get() == d.get()) << n << ": '..' is not its parent";
          dirs.push_back(std::move(child.value()));
        }
      }
      EXPECT_EQ(d->stat().nlink, 2 + subdirs) << "directory " << d->ino();
    }
    for (auto& [ino, s] : seen) {
      if (s.node->is_directory()) {
        EXPECT_EQ(s.names, 1) << "directory " << ino << " named more than once";
      } else {
        EXPECT_EQ(s.node->stat().nlink, static_cast<std::uint32_t>(s.names)) << "node " << ino;
      }
    }
    return seen;
  }

  // Removes everything below `d`, deepest first.
  void remove_all(ramfs::Node& d) {
    for (const std::string& n : list(d)) {
      if (n == "." || n == "..") continue;
      auto child = fs_->lookup(d, sv(n));
      ASSERT_TRUE(child.ok());
      if (child.value()->is_directory()) {
        remove_all(*child.value());
        child.value().reset();
        ASSERT_TRUE(fs_->rmdir(d, sv(n), 0).ok()) << n;
      } else {
        child.value().reset();
        ASSERT_TRUE(fs_->unlink(d, sv(n), 0).ok()) << n;
      }
    }
  }

  std::vector<NodeRef> top_;
  std::vector<Own> own_[kThreads];
  // What the run did, so a run that never reached the interesting cases fails.
  std::atomic<int> dir_moves_{0};         // directories renamed between two directories
  std::atomic<int> into_own_subtree_{0};  // renames refused with EINVAL
  std::atomic<int> open_unlinked_{0};
};

TEST_F(RamfsConcurrency, SharedDirectoriesStayConsistent) {
  platform::host::set_cpu_count(kThreads + 1);
  SetUpTree();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back([this, t] { worker(t); });
  for (auto& th : threads) th.join();
  std::printf("directory moves %d, into own subtree refused %d, unlinked while open %d\n",
              dir_moves_.load(), into_own_subtree_.load(), open_unlinked_.load());
  EXPECT_GT(dir_moves_.load(), 0);
  EXPECT_GT(into_own_subtree_.load(), 0);
  EXPECT_GT(open_unlinked_.load(), 0);

  // Every thread's own files: exactly where their owner last put them, with their data.
  for (int t = 0; t < kThreads; ++t) {
    for (Own& o : own_[t]) {
      NodeRef found = at("/D" + std::to_string(o.dir) + "/" + o.name);
      EXPECT_EQ(found.get(), o.node.get()) << o.name;
      EXPECT_EQ(o.node->stat().nlink, 1u) << o.name;
      EXPECT_EQ(contents(*o.node), o.data);
    }
  }
  for (auto& list : own_) list.clear();
  top_.clear();

  // With no reference held, every live node is reachable, once for a directory.
  const std::map<std::uint64_t, Seen> seen = walk_and_check();
  EXPECT_EQ(fs_->live_nodes(), 1 + seen.size());
  remove_all(*root_);
  EXPECT_EQ(list(*root_).size(), 2u);
  EXPECT_EQ(root_->stat().nlink, 2u);
  EXPECT_EQ(fs_->live_nodes(), 1u);
}

// Many CPUs writing disjoint ranges of one file and growing it: every byte lands.
TEST_F(RamfsConcurrency, DisjointWritesToOneFileAllLand) {
  NodeRef f = file("shared");
  constexpr std::size_t kChunk = 1000;  // not page aligned: chunks share pages
  constexpr int kChunksPerThread = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(t)});
      const std::string data(kChunk, static_cast<char>('A' + t));
      for (int c = 0; c < kChunksPerThread; ++c) {
        const std::uint64_t offset = (static_cast<std::uint64_t>(c) * kThreads + t) * kChunk;
        auto wrote = f->write_at(offset, data.data(), data.size(), 1);
        EXPECT_TRUE(wrote.ok() && wrote.value() == kChunk);
      }
    });
  }
  for (auto& th : threads) th.join();
  const std::string all = contents(*f);
  ASSERT_EQ(all.size(), kChunk * kThreads * kChunksPerThread);
  for (std::size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i], static_cast<char>('A' + (i / kChunk) % kThreads)) << "byte " << i;
  }
}

// References taken and dropped on many CPUs while another CPU unlinks and recreates the
// name: the count never frees a node someone still holds, and reaches zero at the end.
TEST_F(RamfsConcurrency, LookupsRacingUnlinkKeepNodesAlive) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 1; t < kThreads; ++t) {
    readers.emplace_back([&, t] {
      platform::host::bind_cpu(platform::CpuNumber{static_cast<std::uint32_t>(t)});
      while (!stop.load(std::memory_order_acquire)) {
        auto got = fs_->lookup(*root_, "victim");
        if (!got.ok()) continue;
        char buf[8];
        auto n = got.value()->read_at(0, buf, sizeof(buf));
        EXPECT_TRUE(n.ok());
        if (n.ok() && n.value() != 0) {
          EXPECT_EQ(std::string(buf, n.value()), "content");
        }
      }
    });
  }
  platform::host::bind_cpu(platform::CpuNumber{0});
  for (int i = 0; i < 2000; ++i) {
    NodeRef f = file("victim");
    put(*f, 0, "content");
    f.reset();
    ASSERT_TRUE(fs_->unlink(*root_, "victim", 1).ok());
  }
  stop.store(true, std::memory_order_release);
  for (auto& th : readers) th.join();
  EXPECT_EQ(fs_->live_nodes(), 1u);
}

}  // namespace

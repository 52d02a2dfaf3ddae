// Shared helpers of the in-memory file system tests: a fresh file system per test (checked to
// free every node at the end), lock-violation recording, and short ways to make and read nodes.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "kernel/fs/ramfs/filesystem.h"
#include "kernel/fs/ramfs/path.h"
#include "tests/host/smp/lock_test_support.h"

namespace ramfstest {

using ramfs::Errno;
using ramfs::NodeRef;
using ramfs::NodeType;

inline fmt::StringView sv(const std::string& s) { return {s.data(), s.size()}; }
inline std::string str(fmt::StringView s) { return std::string(s.data, s.length); }

inline ramfs::NodeAttributes attrs(std::uint32_t mode, std::int64_t time_ns = 0) {
  ramfs::NodeAttributes a;
  a.mode = mode;
  a.time_ns = time_ns;
  return a;
}

// Every test gets its own file system; at the end every node but the root must be gone once
// the tree is emptied, and no lock-order violation may have been reported.
class RamfsTest : public locktest::ViolationRecorder {
 protected:
  void SetUp() override {
    locktest::ViolationRecorder::SetUp();
    fs_.reset(ramfs::Filesystem::create(attrs(0755)));
    ASSERT_NE(fs_, nullptr);
    root_ = fs_->root();
  }
  void TearDown() override {
    root_.reset();
    fs_.reset();
    locktest::ViolationRecorder::TearDown();
  }

  NodeRef mk(ramfs::Node& dir, const std::string& name, NodeType type,
             const std::string& target = {}) {
    auto made = fs_->create(dir, sv(name), type, attrs(type == NodeType::kDirectory ? 0755 : 0644),
                            sv(target));
    EXPECT_TRUE(made.ok()) << name << ": " << ramfs::errno_name(made.error());
    return made.ok() ? std::move(made.value()) : NodeRef{};
  }
  NodeRef file(const std::string& name) { return mk(*root_, name, NodeType::kRegular); }
  NodeRef dir(const std::string& name) { return mk(*root_, name, NodeType::kDirectory); }

  NodeRef at(const std::string& path, bool follow = true) {
    auto got = ramfs::resolve(*root_, sv(path), follow);
    EXPECT_TRUE(got.ok()) << path << ": " << ramfs::errno_name(got.error());
    return got.ok() ? std::move(got.value()) : NodeRef{};
  }
  Errno resolve_error(const std::string& path, bool follow = true) {
    auto got = ramfs::resolve(*root_, sv(path), follow);
    EXPECT_FALSE(got.ok()) << path << " resolved";
    return got.ok() ? Errno{0} : got.error();
  }

  static std::string contents(ramfs::Node& f) {
    std::string out(f.stat().size, '\0');
    auto got = f.read_at(0, out.data(), out.size());
    EXPECT_TRUE(got.ok());
    return out;
  }
  static void put(ramfs::Node& f, std::uint64_t offset, const std::string& data) {
    auto wrote = f.write_at(offset, data.data(), data.size(), 1);
    ASSERT_TRUE(wrote.ok()) << ramfs::errno_name(wrote.error());
    ASSERT_EQ(wrote.value(), data.size());
  }

  // The names readdir lists, "." and ".." included.
  std::vector<std::string> list(ramfs::Node& d) {
    struct Sink : ramfs::DirSink {
      std::vector<std::string> names;
      bool emit(fmt::StringView name, std::uint64_t, NodeType, std::uint64_t) override {
        names.push_back(str(name));
        return true;
      }
    } sink;
    auto got = fs_->readdir(d, 0, sink);
    EXPECT_TRUE(got.ok());
    return sink.names;
  }

  std::unique_ptr<ramfs::Filesystem> fs_;
  NodeRef root_;
};

}  // namespace ramfstest

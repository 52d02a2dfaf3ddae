// Path resolution in the in-memory file system: absolute and relative paths, "." and "..",
// symlinks (relative, absolute, chained, looping), the length limits and each errno.
#include <gtest/gtest.h>

#include "tests/host/fs/ramfs_test_support.h"

namespace {

using namespace ramfstest;

class RamfsPath : public RamfsTest {
 protected:
  void SetUp() override {
    RamfsTest::SetUp();
    // /etc/motd, /bin/sh, /bin/link -> ../etc/motd, /abs -> /etc, /usr/bin/ls, /lib -> usr
    etc_ = dir("etc");
    motd_ = mk(*etc_, "motd", NodeType::kRegular);
    bin_ = dir("bin");
    mk(*bin_, "sh", NodeType::kRegular);
    mk(*bin_, "link", NodeType::kSymlink, "../etc/motd");
    mk(*root_, "abs", NodeType::kSymlink, "/etc");
    NodeRef usr = dir("usr");
    mk(*mk(*usr, "bin", NodeType::kDirectory), "ls", NodeType::kRegular);
    mk(*root_, "lib", NodeType::kSymlink, "usr");
  }
  void TearDown() override {
    etc_.reset();
    motd_.reset();
    bin_.reset();
    RamfsTest::TearDown();
  }
  NodeRef etc_, motd_, bin_;
};

TEST_F(RamfsPath, AbsoluteRelativeAndDots) {
  EXPECT_EQ(at("/etc/motd").get(), motd_.get());
  EXPECT_EQ(at("etc/motd").get(), motd_.get());
  EXPECT_EQ(at("//etc///motd").get(), motd_.get());
  EXPECT_EQ(at("/etc/./../etc/motd").get(), motd_.get());
  EXPECT_EQ(at("/..").get(), root_.get());
  EXPECT_EQ(at("/").get(), root_.get());
  EXPECT_EQ(at(".").get(), root_.get());
  EXPECT_EQ(at("etc/").get(), etc_.get());
  auto rel = ramfs::resolve(*bin_, "../etc/motd", true);
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel.value().get(), motd_.get());
  auto abs = ramfs::resolve(*bin_, "/bin", true);
  ASSERT_TRUE(abs.ok());
  EXPECT_EQ(abs.value().get(), bin_.get());
}

TEST_F(RamfsPath, Symlinks) {
  EXPECT_EQ(at("/bin/link").get(), motd_.get());
  NodeRef link = at("/bin/link", false);
  EXPECT_EQ(link->type(), NodeType::kSymlink);
  EXPECT_EQ(at("/abs/motd").get(), motd_.get());
  EXPECT_EQ(at("/abs/motd", false).get(), motd_.get());  // only the last is not followed
  EXPECT_EQ(at("/abs", false)->type(), NodeType::kSymlink);
  EXPECT_EQ(at("/abs/").get(), etc_.get());  // a trailing slash follows
  EXPECT_EQ(at("/lib/bin/ls")->type(), NodeType::kRegular);
  EXPECT_EQ(at("/lib/bin/../bin/ls")->type(), NodeType::kRegular);
}

TEST_F(RamfsPath, Errors) {
  EXPECT_EQ(resolve_error(""), Errno::kENOENT);
  EXPECT_EQ(resolve_error("/nope"), Errno::kENOENT);
  EXPECT_EQ(resolve_error("/etc/motd/x"), Errno::kENOTDIR);
  EXPECT_EQ(resolve_error("/etc/motd/"), Errno::kENOTDIR);
  EXPECT_EQ(resolve_error("/bin/link/"), Errno::kENOTDIR);
  mk(*root_, "dangling", NodeType::kSymlink, "/nowhere");
  EXPECT_EQ(resolve_error("/dangling"), Errno::kENOENT);
  EXPECT_EQ(at("/dangling", false)->type(), NodeType::kSymlink);
  EXPECT_EQ(resolve_error("/" + std::string(256, 'n')), Errno::kENAMETOOLONG);
}

TEST_F(RamfsPath, PathLengthLimit) {
  // 4095 bytes resolve (to ENOENT here: the name does not exist), 4096 are too long.
  std::string path;
  while (path.size() < 4095) path += "./";
  path.resize(4095);
  path.back() = 'x';
  EXPECT_EQ(resolve_error(path), Errno::kENOENT);
  path += "y";
  EXPECT_EQ(resolve_error(path), Errno::kENAMETOOLONG);
  // A symlink whose expansion passes the limit.
  mk(*root_, "long", NodeType::kSymlink, std::string(4000, '/') + "etc");
  EXPECT_EQ(at("/long/motd").get(), motd_.get());
  EXPECT_EQ(resolve_error("/long/" + std::string(200, '/') + "motd"), Errno::kENAMETOOLONG);
}

TEST_F(RamfsPath, FortySymlinksResolveTheFortyFirstLoops) {
  // s0 -> s1 -> ... -> s39 -> etc: 40 follows.
  for (int i = 0; i < 40; ++i) {
    const std::string target = i == 39 ? "etc" : "s" + std::to_string(i + 1);
    mk(*root_, "s" + std::to_string(i), NodeType::kSymlink, target);
  }
  EXPECT_EQ(at("/s0").get(), etc_.get());
  mk(*root_, "t", NodeType::kSymlink, "s0");  // 41
  EXPECT_EQ(resolve_error("/t"), Errno::kELOOP);
  mk(*root_, "self", NodeType::kSymlink, "self");
  EXPECT_EQ(resolve_error("/self"), Errno::kELOOP);
  EXPECT_EQ(resolve_error("/self/x"), Errno::kELOOP);
}

TEST_F(RamfsPath, ParentAndLastComponent) {
  auto p = ramfs::resolve_parent(*root_, "/etc/new");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value().dir.get(), etc_.get());
  EXPECT_EQ(str(p.value().last()), "new");
  EXPECT_FALSE(p.value().trailing_slash);
  // Through a symlink: the name comes from the expansion.
  auto via = ramfs::resolve_parent(*root_, "/abs/motd");
  ASSERT_TRUE(via.ok());
  EXPECT_EQ(via.value().dir.get(), etc_.get());
  EXPECT_EQ(str(via.value().last()), "motd");
  // The last component is not followed.
  auto link = ramfs::resolve_parent(*root_, "bin/link");
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(link.value().dir.get(), bin_.get());
  EXPECT_EQ(str(link.value().last()), "link");
  auto slash = ramfs::resolve_parent(*root_, "etc/sub//");
  ASSERT_TRUE(slash.ok());
  EXPECT_EQ(str(slash.value().last()), "sub");
  EXPECT_TRUE(slash.value().trailing_slash);
  auto root = ramfs::resolve_parent(*root_, "/");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root.value().dir.get(), root_.get());
  EXPECT_EQ(root.value().length, 0u);
  EXPECT_EQ(fs_->rmdir(*root.value().dir, root.value().last(), 1).error(), Errno::kEBUSY);
  auto dots = ramfs::resolve_parent(*root_, "etc/..");
  ASSERT_TRUE(dots.ok());
  EXPECT_EQ(str(dots.value().last()), "..");
  auto missing = ramfs::resolve_parent(*root_, "/nope/x");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), Errno::kENOENT);
  auto not_dir = ramfs::resolve_parent(*root_, "/etc/motd/x");
  ASSERT_FALSE(not_dir.ok());
  EXPECT_EQ(not_dir.error(), Errno::kENOTDIR);
  // A create through the parent, as the system call layer will do it.
  auto made = fs_->create(*p.value().dir, p.value().last(), NodeType::kRegular, attrs(0644));
  EXPECT_TRUE(made.ok());
  EXPECT_EQ(at("/etc/new").get(), made.value().get());
}

}  // namespace

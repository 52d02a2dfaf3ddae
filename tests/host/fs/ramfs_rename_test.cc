// rename in the in-memory file system: the POSIX rules (replacing, a directory onto an empty
// directory, never into its own subtree), the link counts it moves, and its errnos.
#include <gtest/gtest.h>

#include "tests/host/fs/ramfs_test_support.h"

namespace {

using namespace ramfstest;

class RamfsRename : public RamfsTest {
 protected:
  Errno rename(ramfs::Node& a, const std::string& an, ramfs::Node& b, const std::string& bn) {
    auto got = fs_->rename(a, sv(an), b, sv(bn), 42);
    return got.ok() ? Errno{0} : got.error();
  }
};

TEST_F(RamfsRename, WithinOneDirectory) {
  NodeRef f = file("a");
  EXPECT_EQ(rename(*root_, "a", *root_, "b"), Errno{0});
  EXPECT_EQ(at("b").get(), f.get());
  EXPECT_EQ(resolve_error("a"), Errno::kENOENT);
  EXPECT_EQ(f->stat().ctime_ns, 42);
  EXPECT_EQ(f->stat().nlink, 1u);
  EXPECT_EQ(rename(*root_, "missing", *root_, "c"), Errno::kENOENT);
}

TEST_F(RamfsRename, ReplacesAFileAndFreesIt) {
  NodeRef a = file("a");
  put(*a, 0, "new");
  {
    NodeRef b = file("b");
    put(*b, 0, "old");
  }
  const std::uint64_t before = fs_->live_nodes();
  EXPECT_EQ(rename(*root_, "a", *root_, "b"), Errno{0});
  EXPECT_EQ(contents(*at("b")), "new");
  EXPECT_EQ(fs_->live_nodes(), before - 1);
  EXPECT_EQ(list(*root_), (std::vector<std::string>{".", "..", "b"}));
}

TEST_F(RamfsRename, SameNodeUnderBothNamesDoesNothing) {
  NodeRef f = file("a");
  ASSERT_TRUE(fs_->link(*root_, "b", *f, 1).ok());
  EXPECT_EQ(rename(*root_, "a", *root_, "b"), Errno{0});
  EXPECT_EQ(f->stat().nlink, 2u);
  EXPECT_TRUE(fs_->lookup(*root_, "a").ok());
  EXPECT_TRUE(fs_->lookup(*root_, "b").ok());
}

TEST_F(RamfsRename, DirectoryBetweenDirectoriesMovesItsDotDot) {
  NodeRef x = dir("x");
  NodeRef y = dir("y");
  NodeRef d = mk(*x, "d", NodeType::kDirectory);
  EXPECT_EQ(x->stat().nlink, 3u);
  EXPECT_EQ(rename(*x, "d", *y, "e"), Errno{0});
  EXPECT_EQ(x->stat().nlink, 2u);
  EXPECT_EQ(y->stat().nlink, 3u);
  auto up = fs_->lookup(*d, "..");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up.value().get(), y.get());
  EXPECT_EQ(at("y/e/..").get(), y.get());
  // x can go now: nothing holds its ".." any more.
  EXPECT_EQ(fs_->rmdir(*root_, "x", 1).ok(), true);
}

TEST_F(RamfsRename, DirectoryOntoDirectory) {
  NodeRef a = dir("a");
  NodeRef b = dir("b");
  mk(*b, "inside", NodeType::kRegular);
  EXPECT_EQ(rename(*root_, "a", *root_, "b"), Errno::kENOTEMPTY);
  ASSERT_TRUE(fs_->unlink(*b, "inside", 1).ok());
  EXPECT_EQ(root_->stat().nlink, 4u);
  EXPECT_EQ(rename(*root_, "a", *root_, "b"), Errno{0});
  EXPECT_EQ(root_->stat().nlink, 3u);
  EXPECT_EQ(b->stat().nlink, 0u);
  EXPECT_EQ(at("b").get(), a.get());
  auto in_replaced = fs_->create(*b, "x", NodeType::kRegular, attrs(0644));
  ASSERT_FALSE(in_replaced.ok());
  EXPECT_EQ(in_replaced.error(), Errno::kENOENT);
}

TEST_F(RamfsRename, TypeMismatches) {
  NodeRef d = dir("d");
  NodeRef f = file("f");
  NodeRef e = dir("e");
  NodeRef sub = dir("sub");
  EXPECT_EQ(rename(*root_, "d", *root_, "f"), Errno::kENOTDIR);
  EXPECT_EQ(rename(*root_, "f", *root_, "d"), Errno::kEISDIR);
  // Across directories too.
  EXPECT_EQ(rename(*root_, "f", *sub, "x"), Errno{0});
  EXPECT_EQ(rename(*root_, "d", *sub, "x"), Errno::kENOTDIR);
  EXPECT_EQ(rename(*sub, "x", *root_, "e"), Errno::kEISDIR);
  EXPECT_EQ(rename(*f, "x", *root_, "y"), Errno::kENOTDIR);
}

TEST_F(RamfsRename, NeverIntoItsOwnSubtree) {
  NodeRef a = dir("a");
  NodeRef b = mk(*a, "b", NodeType::kDirectory);
  NodeRef c = mk(*b, "c", NodeType::kDirectory);
  EXPECT_EQ(rename(*root_, "a", *c, "a"), Errno::kEINVAL);
  EXPECT_EQ(rename(*root_, "a", *b, "x"), Errno::kEINVAL);
  EXPECT_EQ(rename(*a, "b", *c, "x"), Errno::kEINVAL);
  // Onto an ancestor of the source's directory: that one is not empty.
  NodeRef empty_c = mk(*c, "d", NodeType::kDirectory);
  EXPECT_EQ(rename(*c, "d", *root_, "a"), Errno::kENOTEMPTY);
  // Up the tree is fine.
  EXPECT_EQ(rename(*b, "c", *root_, "c"), Errno{0});
  EXPECT_EQ(at("c/d").get(), empty_c.get());
}

TEST_F(RamfsRename, DotsAndRootAreBusy) {
  NodeRef a = dir("a");
  EXPECT_EQ(rename(*a, ".", *root_, "x"), Errno::kEBUSY);
  EXPECT_EQ(rename(*a, "..", *root_, "x"), Errno::kEBUSY);
  EXPECT_EQ(rename(*root_, "", *a, "x"), Errno::kEBUSY);
  EXPECT_EQ(rename(*root_, "a", *root_, "."), Errno::kEBUSY);
  EXPECT_EQ(rename(*root_, "a", *root_, "b/c"), Errno::kEINVAL);
  EXPECT_EQ(rename(*root_, "a", *root_, std::string(256, 'n')), Errno::kENAMETOOLONG);
}

TEST_F(RamfsRename, IntoARemovedDirectoryIsEnoent) {
  NodeRef f = file("f");
  NodeRef gone = dir("gone");
  ASSERT_TRUE(fs_->rmdir(*root_, "gone", 1).ok());
  EXPECT_EQ(rename(*root_, "f", *gone, "f"), Errno::kENOENT);
  EXPECT_TRUE(fs_->lookup(*root_, "f").ok());
}

TEST_F(RamfsRename, AcrossFileSystemsIsExdev) {
  std::unique_ptr<ramfs::Filesystem> other(ramfs::Filesystem::create(attrs(0755)));
  ASSERT_NE(other, nullptr);
  NodeRef other_root = other->root();
  NodeRef f = file("f");
  EXPECT_EQ(rename(*root_, "f", *other_root, "f"), Errno::kEXDEV);
  EXPECT_EQ(fs_->link(*other_root, "f", *f, 1).error(), Errno::kEXDEV);
}

}  // namespace

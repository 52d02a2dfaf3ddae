// The in-memory file system's operations one by one, each errno they give, and node lifetime:
// a file unlinked while open stays readable until its last reference goes.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "kernel/fs/ramfs/file_data.h"
#include "tests/host/fs/ramfs_test_support.h"

namespace {

using namespace ramfstest;
using ramfs::FileData;

class Ramfs : public RamfsTest {};

TEST_F(Ramfs, RootIsAnEmptyDirectory) {
  const ramfs::Stat s = root_->stat();
  EXPECT_EQ(s.mode, 0040755u);
  EXPECT_EQ(s.nlink, 2u);
  EXPECT_EQ(list(*root_), (std::vector<std::string>{".", ".."}));
  EXPECT_EQ(fs_->live_nodes(), 1u);
  auto up = fs_->lookup(*root_, "..");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up.value().get(), root_.get());
}

TEST_F(Ramfs, CreateGivesEachTypeItsModeAndLinks) {
  NodeRef f = file("f");
  NodeRef d = dir("d");
  NodeRef l = mk(*root_, "l", NodeType::kSymlink, "f");
  ramfs::NodeAttributes dev = attrs(0600, 7);
  dev.rdev_major = 5;
  dev.rdev_minor = 1;
  auto c = fs_->create(*root_, "console", NodeType::kCharDevice, dev);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(f->stat().mode, 0100644u);
  EXPECT_EQ(f->stat().nlink, 1u);
  EXPECT_EQ(d->stat().mode, 0040755u);
  EXPECT_EQ(d->stat().nlink, 2u);
  EXPECT_EQ(root_->stat().nlink, 3u);  // d's ".."
  EXPECT_EQ(l->stat().mode & 0170000u, 0120000u);
  EXPECT_EQ(l->stat().size, 1u);
  const ramfs::Stat cs = c.value()->stat();
  EXPECT_EQ(cs.mode, 0020600u);
  EXPECT_EQ(cs.rdev_major, 5u);
  EXPECT_EQ(cs.rdev_minor, 1u);
  EXPECT_EQ(cs.mtime_ns, 7);
  EXPECT_NE(f->ino(), d->ino());
  EXPECT_EQ(fs_->live_nodes(), 5u);
}

TEST_F(Ramfs, CreateRefusesBadNamesAndDuplicates) {
  NodeRef f = file("f");
  auto create = [&](const std::string& name) {
    auto got = fs_->create(*root_, sv(name), NodeType::kRegular, attrs(0644));
    return got.ok() ? Errno{0} : got.error();
  };
  EXPECT_EQ(create("f"), Errno::kEEXIST);
  EXPECT_EQ(create("."), Errno::kEEXIST);
  EXPECT_EQ(create(".."), Errno::kEEXIST);
  EXPECT_EQ(create(""), Errno::kEEXIST);
  EXPECT_EQ(create("a/b"), Errno::kEINVAL);
  EXPECT_EQ(create(std::string("a\0b", 3)), Errno::kEINVAL);
  EXPECT_EQ(create(std::string(256, 'x')), Errno::kENAMETOOLONG);
  EXPECT_EQ(create(std::string(255, 'x')), Errno{0});
  auto in_file = fs_->create(*f, "x", NodeType::kRegular, attrs(0644));
  ASSERT_FALSE(in_file.ok());
  EXPECT_EQ(in_file.error(), Errno::kENOTDIR);
  auto empty_link = fs_->create(*root_, "l", NodeType::kSymlink, attrs(0777), "");
  ASSERT_FALSE(empty_link.ok());
  EXPECT_EQ(empty_link.error(), Errno::kENOENT);
  const std::string long_target(4096, 'a');
  auto long_link = fs_->create(*root_, "l", NodeType::kSymlink, attrs(0777), sv(long_target));
  ASSERT_FALSE(long_link.ok());
  EXPECT_EQ(long_link.error(), Errno::kENAMETOOLONG);
  EXPECT_EQ(fs_->live_nodes(), 3u);  // root, f, the 255-byte name: the failures left nothing
}

TEST_F(Ramfs, LookupAnswersDotsAndMissingNames) {
  NodeRef d = dir("d");
  NodeRef sub = mk(*d, "sub", NodeType::kDirectory);
  auto dot = fs_->lookup(*sub, ".");
  ASSERT_TRUE(dot.ok());
  EXPECT_EQ(dot.value().get(), sub.get());
  auto up = fs_->lookup(*sub, "..");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up.value().get(), d.get());
  auto missing = fs_->lookup(*d, "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), Errno::kENOENT);
  NodeRef f = file("f");
  auto in_file = fs_->lookup(*f, "x");
  ASSERT_FALSE(in_file.ok());
  EXPECT_EQ(in_file.error(), Errno::kENOTDIR);
  auto too_long = fs_->lookup(*d, sv(std::string(256, 'y')));
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error(), Errno::kENAMETOOLONG);
}

TEST_F(Ramfs, FileReadWriteTruncate) {
  NodeRef f = file("f");
  put(*f, 0, "hello");
  EXPECT_EQ(contents(*f), "hello");
  put(*f, 3, "LOworld");
  EXPECT_EQ(contents(*f), "helLOworld");
  char buf[16] = {};
  auto past = f->read_at(100, buf, sizeof(buf));
  ASSERT_TRUE(past.ok());
  EXPECT_EQ(past.value(), 0u);
  auto tail = f->read_at(8, buf, sizeof(buf));
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(std::string(buf, tail.value()), "ld");
  ASSERT_TRUE(f->truncate(3, 9).ok());
  EXPECT_EQ(contents(*f), "hel");
  EXPECT_EQ(f->stat().mtime_ns, 9);
  ASSERT_TRUE(f->truncate(6, 10).ok());  // growing reads zeros, not the old bytes
  EXPECT_EQ(contents(*f), std::string("hel\0\0\0", 6));
  // Across a page boundary.
  const std::string big(3 * FileData::kPageSize + 17, 'q');
  put(*f, FileData::kPageSize - 5, big);
  EXPECT_EQ(f->stat().size, FileData::kPageSize - 5 + big.size());
  std::string back(big.size(), '\0');
  ASSERT_EQ(f->read_at(FileData::kPageSize - 5, back.data(), back.size()).value(), big.size());
  EXPECT_EQ(back, big);
}

TEST_F(Ramfs, SparseFileReadsZerosAndAllocatesOnlyWrittenPages) {
  NodeRef f = file("f");
  put(*f, 10 * FileData::kPageSize + 1, "x");
  const ramfs::Stat s = f->stat();
  EXPECT_EQ(s.size, 10 * FileData::kPageSize + 2);
  EXPECT_EQ(s.blocks, FileData::kPageSize / 512);  // one page
  std::string hole(FileData::kPageSize, 'z');
  ASSERT_EQ(f->read_at(3 * FileData::kPageSize, hole.data(), hole.size()).value(), hole.size());
  EXPECT_EQ(hole, std::string(FileData::kPageSize, '\0'));
  ASSERT_TRUE(f->truncate(FileData::kPageSize, 1).ok());
  EXPECT_EQ(f->stat().blocks, 0u);
}

TEST_F(Ramfs, MaximumFileSizeIsEfbig) {
  NodeRef f = file("f");
  char byte = 'b';
  auto at_limit = f->write_at(FileData::kMaxSize, &byte, 1, 1);
  ASSERT_FALSE(at_limit.ok());
  EXPECT_EQ(at_limit.error(), Errno::kEFBIG);
  const char two[2] = {'1', '2'};
  auto short_write = f->write_at(FileData::kMaxSize - 1, two, 2, 1);
  ASSERT_TRUE(short_write.ok());
  EXPECT_EQ(short_write.value(), 1u);
  EXPECT_EQ(f->stat().size, FileData::kMaxSize);
  auto big_truncate = f->truncate(FileData::kMaxSize + 1, 1);
  ASSERT_FALSE(big_truncate.ok());
  EXPECT_EQ(big_truncate.error(), Errno::kEFBIG);
  EXPECT_TRUE(f->truncate(0, 1).ok());
  EXPECT_EQ(f->stat().blocks, 0u);
}

TEST_F(Ramfs, DataCallsOnOtherTypes) {
  NodeRef d = dir("d");
  NodeRef l = mk(*root_, "l", NodeType::kSymlink, "target");
  char buf[8];
  EXPECT_EQ(d->read_at(0, buf, 1).error(), Errno::kEISDIR);
  EXPECT_EQ(d->write_at(0, buf, 1, 0).error(), Errno::kEISDIR);
  EXPECT_EQ(d->truncate(0, 0).error(), Errno::kEISDIR);
  EXPECT_EQ(l->read_at(0, buf, 1).error(), Errno::kEINVAL);
  EXPECT_EQ(d->readlink(buf, sizeof(buf)).error(), Errno::kEINVAL);
  auto n = l->readlink(buf, 3);  // truncated, no NUL, as readlink(2)
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, n.value()), "tar");
  auto whole = l->readlink(buf, sizeof(buf));
  EXPECT_EQ(std::string(buf, whole.value()), "target");
}

TEST_F(Ramfs, UnlinkRemovesNamesNotDirectories) {
  NodeRef f = file("f");
  NodeRef d = dir("d");
  EXPECT_TRUE(fs_->unlink(*root_, "f", 5).ok());
  EXPECT_EQ(f->stat().nlink, 0u);
  EXPECT_EQ(fs_->unlink(*root_, "f", 5).error(), Errno::kENOENT);
  EXPECT_EQ(fs_->unlink(*root_, "d", 5).error(), Errno::kEISDIR);
  EXPECT_EQ(fs_->unlink(*root_, ".", 5).error(), Errno::kEISDIR);
  EXPECT_EQ(fs_->unlink(*root_, "", 5).error(), Errno::kEISDIR);
  EXPECT_EQ(fs_->unlink(*f, "x", 5).error(), Errno::kENOTDIR);
  EXPECT_EQ(root_->stat().mtime_ns, 5);
}

TEST_F(Ramfs, UnlinkedFileStaysReadableWhileOpen) {
  NodeRef f = file("f");
  put(*f, 0, "still here");
  const std::uint64_t before = fs_->live_nodes();
  ASSERT_TRUE(fs_->unlink(*root_, "f", 1).ok());
  EXPECT_EQ(fs_->live_nodes(), before);  // `f` holds it
  EXPECT_EQ(contents(*f), "still here");
  put(*f, 0, "STILL");
  EXPECT_EQ(contents(*f), "STILL here");
  auto again = fs_->lookup(*root_, "f");
  EXPECT_FALSE(again.ok());
  f.reset();
  EXPECT_EQ(fs_->live_nodes(), before - 1);
}

TEST_F(Ramfs, HardLinksShareOneNode) {
  NodeRef f = file("f");
  NodeRef d = dir("d");
  put(*f, 0, "data");
  ASSERT_TRUE(fs_->link(*d, "g", *f, 3).ok());
  EXPECT_EQ(f->stat().nlink, 2u);
  EXPECT_EQ(fs_->link(*d, "g", *f, 3).error(), Errno::kEEXIST);
  EXPECT_EQ(fs_->link(*root_, "dd", *d, 3).error(), Errno::kEPERM);
  ASSERT_TRUE(fs_->unlink(*root_, "f", 4).ok());
  NodeRef g = at("d/g");
  EXPECT_EQ(g.get(), f.get());
  EXPECT_EQ(contents(*g), "data");
  ASSERT_TRUE(fs_->unlink(*d, "g", 4).ok());
  EXPECT_EQ(f->stat().nlink, 0u);
  EXPECT_EQ(fs_->link(*root_, "back", *f, 5).error(), Errno::kENOENT);  // as Linux
}

TEST_F(Ramfs, RmdirRules) {
  NodeRef d = dir("d");
  NodeRef sub = mk(*d, "sub", NodeType::kDirectory);
  NodeRef f = file("f");
  EXPECT_EQ(fs_->rmdir(*root_, "d", 1).error(), Errno::kENOTEMPTY);
  EXPECT_EQ(fs_->rmdir(*root_, "f", 1).error(), Errno::kENOTDIR);
  EXPECT_EQ(fs_->rmdir(*root_, "nope", 1).error(), Errno::kENOENT);
  EXPECT_EQ(fs_->rmdir(*d, ".", 1).error(), Errno::kEINVAL);
  EXPECT_EQ(fs_->rmdir(*d, "..", 1).error(), Errno::kENOTEMPTY);
  EXPECT_EQ(fs_->rmdir(*root_, "", 1).error(), Errno::kEBUSY);
  EXPECT_EQ(root_->stat().nlink, 3u);
  EXPECT_EQ(d->stat().nlink, 3u);
  ASSERT_TRUE(fs_->rmdir(*d, "sub", 2).ok());
  EXPECT_EQ(d->stat().nlink, 2u);
  EXPECT_EQ(sub->stat().nlink, 0u);
  // A removed directory held open: nothing can be made in it, it lists nothing, and its ".."
  // still leads to where it was.
  auto in_dead = fs_->create(*sub, "x", NodeType::kRegular, attrs(0644));
  ASSERT_FALSE(in_dead.ok());
  EXPECT_EQ(in_dead.error(), Errno::kENOENT);
  EXPECT_TRUE(list(*sub).empty());
  auto up = fs_->lookup(*sub, "..");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up.value().get(), d.get());
  ASSERT_TRUE(fs_->rmdir(*root_, "d", 3).ok());
  EXPECT_EQ(root_->stat().nlink, 2u);
}

TEST_F(Ramfs, ReaddirListsInCreationOrderAndResumesAtACookie) {
  NodeRef d = dir("d");
  for (int i = 0; i < 100; ++i) mk(*d, "n" + std::to_string(i), NodeType::kRegular);
  // A sink that takes three entries per call, as a small getdents buffer.
  struct Three : ramfs::DirSink {
    std::vector<std::string> names;
    int room = 0;
    bool emit(fmt::StringView name, std::uint64_t, NodeType, std::uint64_t) override {
      if (room == 0) return false;
      --room;
      names.push_back(str(name));
      return true;
    }
  } sink;
  std::uint64_t cookie = 0;
  int calls = 0;
  for (;;) {
    sink.room = 3;
    const std::size_t before = sink.names.size();
    auto next = fs_->readdir(*d, cookie, sink);
    ASSERT_TRUE(next.ok());
    cookie = next.value();
    ++calls;
    if (sink.names.size() == before) break;
    // Between calls: remove an entry already listed and one not yet listed, add one.
    if (calls == 5) {
      ASSERT_TRUE(fs_->unlink(*d, "n3", 1).ok());
      ASSERT_TRUE(fs_->unlink(*d, "n50", 1).ok());
      mk(*d, "late", NodeType::kRegular);
    }
  }
  std::vector<std::string> want{".", ".."};
  for (int i = 0; i < 100; ++i) {
    if (i != 50) want.push_back("n" + std::to_string(i));
  }
  want.push_back("late");
  EXPECT_EQ(sink.names, want);
  EXPECT_EQ(fs_->readdir(*file("f"), 0, sink).error(), Errno::kENOTDIR);
}

TEST_F(Ramfs, ReaddirSurvivesManyRemovalsAndReinserts) {
  NodeRef d = dir("d");
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 50; ++i) mk(*d, "x" + std::to_string(i), NodeType::kRegular);
    for (int i = 0; i < 50; i += (round % 3) + 1) {
      ASSERT_TRUE(fs_->unlink(*d, sv("x" + std::to_string(i)), 1).ok());
    }
    std::vector<std::string> names = list(*d);
    for (const std::string& n : names) {
      if (n == "." || n == "..") continue;
      EXPECT_TRUE(fs_->lookup(*d, sv(n)).ok()) << n;
    }
    for (int i = 0; i < 50; ++i) (void)fs_->unlink(*d, sv("x" + std::to_string(i)), 1);
    EXPECT_EQ(list(*d).size(), 2u);
  }
}

TEST_F(Ramfs, StatCountsAndAttributeSetters) {
  NodeRef f = file("f");
  f->set_mode(0100600, 11);  // type bits in the argument are ignored
  f->set_owner(1000, 100, 12);
  f->set_mtime(5, 13);
  const ramfs::Stat s = f->stat();
  EXPECT_EQ(s.mode, 0100600u);
  EXPECT_EQ(s.uid, 1000u);
  EXPECT_EQ(s.gid, 100u);
  EXPECT_EQ(s.mtime_ns, 5);
  EXPECT_EQ(s.ctime_ns, 13);
  EXPECT_EQ(s.ino, f->ino());
  EXPECT_EQ(s.blksize, 4096u);
}

TEST_F(Ramfs, DeepTreeIsFreedWithoutRecursion) {
  NodeRef cur = root_.get() ? ramfs::NodeRef::share(*root_) : NodeRef{};
  for (int i = 0; i < 100000; ++i) cur = mk(*cur, "d", NodeType::kDirectory);
  mk(*cur, "leaf", NodeType::kRegular);
  EXPECT_EQ(fs_->live_nodes(), 100002u);
  cur.reset();
  // TearDown deletes the file system: 100000 levels would overflow a recursive teardown.
}

}  // namespace

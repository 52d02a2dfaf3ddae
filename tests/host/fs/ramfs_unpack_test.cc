// Unpacking cpio archives into the in-memory file system: the archive GNU cpio wrote
// (make_sample_cpio.sh), archives made here for hard links, device nodes, duplicates and
// missing directories, and malformed ones, each refused with the entry and offset.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kernel/fs/ramfs/unpack.h"
#include "tests/host/fs/ramfs_test_support.h"

namespace {

using namespace ramfstest;
using initramfs::CpioError;

std::vector<std::uint8_t> read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

struct Fields {
  std::uint32_t mode = 0100644;
  std::uint32_t ino = 1;
  std::uint32_t nlink = 1;
  std::uint32_t mtime = 1700000000;
  std::uint32_t rdev_major = 0, rdev_minor = 0;
  std::uint32_t uid = 0, gid = 0;
};

// One newc entry as GNU cpio lays it out.
std::string entry(const std::string& name, const std::string& data, Fields f = {}) {
  char header[111];
  std::snprintf(header, sizeof(header), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
                f.ino, f.mode, f.uid, f.gid, f.nlink, f.mtime,
                static_cast<unsigned>(data.size()), 0u, 0u, f.rdev_major, f.rdev_minor,
                static_cast<unsigned>(name.size() + 1), 0u);
  std::string out(header, 110);
  out += name;
  out.push_back('\0');
  while (out.size() % 4 != 0) out.push_back('\0');
  out += data;
  while (out.size() % 4 != 0) out.push_back('\0');
  return out;
}
std::string trailer() { return entry("TRAILER!!!", "", Fields{0, 0, 1, 0}); }
Fields dir_fields(std::uint32_t mode = 040755) { return Fields{mode}; }

class RamfsUnpack : public RamfsTest {
 protected:
  klib::Result<ramfs::UnpackCounts, ramfs::UnpackProblem> unpack(const std::string& archive) {
    archive_.assign(archive.begin(), archive.end());
    return ramfs::unpack(*fs_, archive_.data(), archive_.size());
  }
  std::vector<std::uint8_t> archive_;  // problem names point into it
};

TEST_F(RamfsUnpack, WhatGnuCpioWrote) {
  archive_ = read_file(PLEIADES_SAMPLE_CPIO);
  ASSERT_FALSE(archive_.empty()) << PLEIADES_SAMPLE_CPIO;
  auto got = ramfs::unpack(*fs_, archive_.data(), archive_.size());
  ASSERT_TRUE(got.ok()) << got.error().reason() << " at " << got.error().offset;
  const ramfs::UnpackCounts& c = got.value();
  EXPECT_EQ(c.directories, 4u);  // ".", bin, empty, etc
  EXPECT_EQ(c.implied_directories, 0u);
  EXPECT_EQ(c.files, 4u);
  EXPECT_EQ(c.symlinks, 1u);
  EXPECT_EQ(c.specials, 0u);
  EXPECT_EQ(c.file_bytes, 6u + 18u + 0u + 3u);
  // The archive's memory can go: everything was copied.
  std::fill(archive_.begin(), archive_.end(), 0);
  EXPECT_EQ(contents(*at("/etc/motd")), "hello\n");
  EXPECT_EQ(contents(*at("/bin/script")), "#!/bin/sh\necho hi\n");
  EXPECT_EQ(at("/bin/script")->stat().mode, 0100755u);
  EXPECT_EQ(at("/etc/motd")->stat().mode, 0100644u);
  EXPECT_EQ(contents(*at("/bin/link")), "hello\n");  // followed: ../etc/motd
  char target[64];
  auto n = at("/bin/link", false)->readlink(target, sizeof(target));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(target, n.value()), "../etc/motd");
  EXPECT_EQ(at("/empty/file")->stat().size, 0u);
  EXPECT_EQ(contents(*at("/etc/three")), "abc");
  EXPECT_EQ(fs_->live_nodes(), 1u + 3u + 4u + 1u);
}

TEST_F(RamfsUnpack, MakesMissingDirectoriesAndKeepsAttributes) {
  Fields f;
  f.mode = 0100600;
  f.uid = 1000;
  f.gid = 50;
  f.mtime = 1234;
  auto got = unpack(entry("a/b/c/file", "x", f) + trailer());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value().implied_directories, 3u);
  EXPECT_EQ(got.value().files, 1u);
  const ramfs::Stat s = at("/a/b/c/file")->stat();
  EXPECT_EQ(s.mode, 0100600u);
  EXPECT_EQ(s.uid, 1000u);
  EXPECT_EQ(s.gid, 50u);
  EXPECT_EQ(s.mtime_ns, 1234 * 1000000000ll);
  EXPECT_EQ(at("/a/b")->stat().mode, 0040755u);
  EXPECT_EQ(at("/a")->stat().nlink, 3u);
}

TEST_F(RamfsUnpack, RootEntrySetsTheRootsAttributes) {
  Fields f = dir_fields(040700);
  f.uid = 7;
  auto got = unpack(entry(".", "", f) + trailer());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(root_->stat().mode, 0040700u);
  EXPECT_EQ(root_->stat().uid, 7u);
  EXPECT_EQ(got.value().directories, 1u);
}

TEST_F(RamfsUnpack, DevicesFifosAndUnknownTypes) {
  Fields console{020600};
  console.rdev_major = 5;
  console.rdev_minor = 1;
  Fields fifo{010644};
  Fields unknown{0170644};  // no file type has these bits
  auto got = unpack(entry("dev", "", dir_fields()) + entry("dev/console", "", console) +
                    entry("dev/fifo", "", fifo) + entry("dev/odd", "", unknown) + trailer());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value().specials, 2u);
  EXPECT_EQ(got.value().skipped, 1u);
  const ramfs::Stat s = at("/dev/console")->stat();
  EXPECT_EQ(s.mode, 0020600u);
  EXPECT_EQ(s.rdev_major, 5u);
  EXPECT_EQ(s.rdev_minor, 1u);
  EXPECT_EQ(at("/dev/fifo")->type(), NodeType::kFifo);
  EXPECT_EQ(resolve_error("/dev/odd"), Errno::kENOENT);
}

TEST_F(RamfsUnpack, HardLinksBecomeOneNodeWithTheLastEntrysData) {
  Fields link{0100644, 77, 3};
  auto got = unpack(entry("a", "", link) + entry("d/b", "", link) + entry("c", "shared", link) +
                    trailer());
  ASSERT_TRUE(got.ok()) << got.error().reason();
  EXPECT_EQ(got.value().files, 1u);
  EXPECT_EQ(got.value().hardlinks, 2u);
  NodeRef a = at("/a");
  EXPECT_EQ(at("/d/b").get(), a.get());
  EXPECT_EQ(at("/c").get(), a.get());
  EXPECT_EQ(a->stat().nlink, 3u);
  EXPECT_EQ(contents(*a), "shared");
}

TEST_F(RamfsUnpack, LaterEntriesWin) {
  auto got = unpack(entry("f", "first") + entry("f", "second") + entry("d", "", dir_fields()) +
                    entry("d", "", dir_fields(040700)) + entry("x", "file") +
                    entry("x", "", dir_fields()) + entry("l", "old", Fields{0120777}) +
                    entry("l", "new", Fields{0120777}) + trailer());
  ASSERT_TRUE(got.ok()) << got.error().reason();
  EXPECT_EQ(contents(*at("/f")), "second");
  EXPECT_EQ(at("/d")->stat().mode, 0040700u);
  EXPECT_EQ(at("/x")->type(), NodeType::kDirectory);
  char buf[8];
  auto n = at("/l", false)->readlink(buf, sizeof(buf));
  EXPECT_EQ(std::string(buf, n.value()), "new");
  EXPECT_EQ(fs_->live_nodes(), 1u + 4u);  // the replaced nodes are gone
}

TEST_F(RamfsUnpack, FollowsASymlinkedDirectoryLikeAMergedUsr) {
  auto got = unpack(entry("usr/bin", "", dir_fields()) + entry("bin", "usr/bin", Fields{0120777}) +
                    entry("bin/sh", "#!") + trailer());
  ASSERT_TRUE(got.ok()) << got.error().reason();
  EXPECT_EQ(contents(*at("/usr/bin/sh")), "#!");
}

TEST_F(RamfsUnpack, AnEntryThatCannotBeMadeIsNamedWithItsOffset) {
  const std::string first = entry("f", "a file");
  const std::string bad = entry("f/inside", "x");
  auto got = unpack(first + bad + trailer());
  ASSERT_FALSE(got.ok());
  const ramfs::UnpackProblem& p = got.error();
  EXPECT_FALSE(p.in_archive);
  EXPECT_EQ(p.error, Errno::kENOTDIR);
  EXPECT_EQ(p.offset, first.size());
  EXPECT_EQ(str(p.name), "f/inside");
  EXPECT_STREQ(p.reason(), "ENOTDIR");
  EXPECT_EQ(contents(*at("/f")), "a file");  // what came before stays
}

TEST_F(RamfsUnpack, AFileCannotReplaceANonEmptyDirectory) {
  auto got = unpack(entry("d/x", "1") + entry("d", "file now") + trailer());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().error, Errno::kENOTEMPTY);
  EXPECT_EQ(str(got.error().name), "d");
}

TEST_F(RamfsUnpack, BadSymlinksAndRootEntries) {
  auto empty_target = unpack(entry("l", "", Fields{0120777}) + trailer());
  ASSERT_FALSE(empty_target.ok());
  EXPECT_EQ(empty_target.error().error, Errno::kENOENT);
  auto file_root = unpack(entry(".", "x") + trailer());
  ASSERT_FALSE(file_root.ok());
  EXPECT_EQ(file_root.error().error, Errno::kENOTDIR);
}

TEST_F(RamfsUnpack, MalformedArchivesAreRefusedWithTheReadersProblem) {
  const std::string good = entry("ok", "data");
  auto missing_trailer = unpack(good);
  ASSERT_FALSE(missing_trailer.ok());
  EXPECT_TRUE(missing_trailer.error().in_archive);
  EXPECT_EQ(missing_trailer.error().cpio, CpioError::kMissingTrailer);
  EXPECT_EQ(contents(*at("/ok")), "data");  // entries before the problem stay

  auto escape = unpack(entry("../etc/passwd", "x") + trailer());
  ASSERT_FALSE(escape.ok());
  EXPECT_EQ(escape.error().cpio, CpioError::kBadPath);
  EXPECT_EQ(str(escape.error().name), "../etc/passwd");
  EXPECT_STREQ(escape.error().reason(), initramfs::cpio_error_name(CpioError::kBadPath));

  std::string truncated = good + entry("big", "12345678");
  truncated.resize(good.size() + 110 + 4 + 5);
  auto past_end = unpack(truncated);
  ASSERT_FALSE(past_end.ok());
  EXPECT_EQ(past_end.error().cpio, CpioError::kDataPastEnd);
  EXPECT_EQ(past_end.error().offset, good.size());

  std::string bad_magic = good + trailer();
  bad_magic[good.size()] = 'X';
  auto magic = unpack(bad_magic);
  ASSERT_FALSE(magic.ok());
  EXPECT_EQ(magic.error().cpio, CpioError::kBadMagic);
}

TEST_F(RamfsUnpack, EveryTruncationOfTheSampleIsRefusedWithoutLeaks) {
  const std::vector<std::uint8_t> whole = read_file(PLEIADES_SAMPLE_CPIO);
  ASSERT_FALSE(whole.empty());
  // GNU cpio pads the archive to 512-byte blocks: cuts in the padding after the trailer are
  // whole archives.
  initramfs::CpioReader reader(whole.data(), whole.size());
  initramfs::CpioEntry e;
  for (;;) {
    auto more = reader.next(e);
    ASSERT_TRUE(more.ok());
    if (!more.value()) break;
  }
  const std::uint64_t end = reader.offset();
  ASSERT_GT(end, 0u);
  for (std::size_t cut = 0; cut < end; cut += 7) {
    std::unique_ptr<ramfs::Filesystem> fs(ramfs::Filesystem::create(attrs(0755)));
    ASSERT_NE(fs, nullptr);
    auto got = ramfs::unpack(*fs, whole.data(), cut);
    EXPECT_FALSE(got.ok()) << "cut at " << cut;
    if (!got.ok()) {
      EXPECT_TRUE(got.error().in_archive);
      EXPECT_LE(got.error().offset, cut);
    }
  }
}

}  // namespace

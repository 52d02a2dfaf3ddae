// The initramfs cpio reader: an archive GNU cpio wrote (make_sample_cpio.sh) read entry by
// entry, and malformed archives, each refused with the error, offset and name it should report.
#include "kernel/fs/initramfs/cpio.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace {

using initramfs::CpioEntry;
using initramfs::CpioError;
using initramfs::CpioReader;

std::string str(fmt::StringView s) { return std::string(s.data, s.length); }

std::vector<std::uint8_t> read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

struct Read {
  std::vector<CpioEntry> entries;
  bool ended = false;  // reached the trailer
  initramfs::CpioProblem problem{CpioError::kMissingTrailer, 0, {}};
};

// Entries and problem names point into `archive`: keep it alive while they are used.
Read read_all(const std::vector<std::uint8_t>& archive) {
  Read r;
  CpioReader reader(archive.data(), archive.size());
  for (int guard = 0; guard < 1000; ++guard) {
    CpioEntry e;
    auto got = reader.next(e);
    if (!got) {
      r.problem = got.error();
      return r;
    }
    if (!got.value()) {
      r.ended = true;
      return r;
    }
    r.entries.push_back(e);
  }
  ADD_FAILURE() << "reader did not end";
  return r;
}

// One newc entry, as a writer would lay it out (for malformed variants of real archives).
std::string entry(const std::string& name, const std::string& data, std::uint32_t mode = 0100644,
                  const char* magic = "070701") {
  char header[111];
  std::snprintf(header, sizeof(header),
                "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", magic, 1u, mode, 0u,
                0u, 1u, 0u, static_cast<unsigned>(data.size()), 0u, 0u, 0u, 0u,
                static_cast<unsigned>(name.size() + 1), 0u);
  std::string out(header, 110);
  out += name;
  out.push_back('\0');
  while (out.size() % 4 != 0) out.push_back('\0');
  out += data;
  while (out.size() % 4 != 0) out.push_back('\0');
  return out;
}

std::string trailer() { return entry("TRAILER!!!", ""); }

std::vector<std::uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

TEST(CpioReader, ReadsWhatGnuCpioWrote) {
  const std::vector<std::uint8_t> archive = read_file(PLEIADES_SAMPLE_CPIO);
  ASSERT_FALSE(archive.empty()) << PLEIADES_SAMPLE_CPIO;
  const Read r = read_all(archive);
  ASSERT_TRUE(r.ended) << initramfs::cpio_error_name(r.problem.error) << " at "
                       << r.problem.offset;
  std::map<std::string, CpioEntry> by_path;
  for (const CpioEntry& e : r.entries) by_path[str(e.path)] = e;
  // ".", bin, bin/link, bin/script, empty, empty/file, etc, etc/motd, etc/three
  EXPECT_EQ(r.entries.size(), 9u);
  ASSERT_EQ(by_path.count(""), 1u);  // the root, "." in the archive
  EXPECT_EQ(by_path[""].type(), initramfs::kTypeDirectory);
  EXPECT_EQ(by_path["bin"].type(), initramfs::kTypeDirectory);
  const CpioEntry& motd = by_path["etc/motd"];
  EXPECT_EQ(motd.type(), initramfs::kTypeRegular);
  EXPECT_EQ(motd.mode & 07777, 0644u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(motd.data), motd.size), "hello\n");
  const CpioEntry& script = by_path["bin/script"];
  EXPECT_EQ(script.mode & 0111, 0111u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(script.data), script.size),
            "#!/bin/sh\necho hi\n");
  const CpioEntry& link = by_path["bin/link"];
  EXPECT_EQ(link.type(), initramfs::kTypeSymlink);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(link.data), link.size), "../etc/motd");
  EXPECT_EQ(by_path["empty/file"].size, 0u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(by_path["etc/three"].data), 3), "abc");
}

TEST(CpioReader, AcceptsTheCrcMagicAndLeadingSlashes) {
  const std::vector<std::uint8_t> archive =
      bytes(entry("/a", "x", 0100644, "070702") + entry("./b/c", "") + trailer());
  const Read r = read_all(archive);
  ASSERT_TRUE(r.ended);
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(str(r.entries[0].path), "a");
  EXPECT_EQ(str(r.entries[1].path), "b/c");
  // 110-byte header + "/a\0" padded to 116, then the data "x" padded to 120.
  EXPECT_EQ(r.entries[1].offset, 120u);
}

TEST(CpioReader, StopsAtTheTrailerAndStaysThere) {
  const std::string a = entry("a", "1") + trailer() + entry("after", "2");
  const std::vector<std::uint8_t> archive = bytes(a);
  CpioReader reader(archive.data(), archive.size());
  CpioEntry e;
  ASSERT_TRUE(reader.next(e).value());
  auto end = reader.next(e);
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end.value());
  EXPECT_FALSE(reader.next(e).value());  // never reads "after"
  EXPECT_EQ(reader.offset(), (entry("a", "1") + trailer()).size());
}

struct Bad {
  const char* what;
  std::string archive;
  CpioError error;
  std::uint64_t offset;
  const char* name;
};

TEST(CpioReader, RefusesMalformedArchivesWithErrorOffsetAndName) {
  const std::string good = entry("ok", "data");
  const std::uint64_t second = good.size();
  std::string bad_hex = entry("x", "y");
  bad_hex[6 + 8 * 6] = 'g';  // the file size field
  std::string unterminated = entry("abc", "");
  unterminated[110 + 3] = 'd';  // the NUL after the name
  std::string nul_inside = entry("abc", "");
  nul_inside[110 + 1] = '\0';
  std::string huge_name = entry("n", "");
  huge_name.replace(6 + 8 * 11, 8, "00001001");  // 4097 bytes
  std::string past_end_name = entry("name", "");
  past_end_name.replace(6 + 8 * 11, 8, "00000100");
  const std::string data_past_end = entry("big", "12345678").substr(0, 110 + 4 + 5);
  const std::vector<Bad> cases = {
      {"empty archive", "", CpioError::kMissingTrailer, 0, ""},
      {"no trailer", good, CpioError::kMissingTrailer, second, ""},
      {"truncated header", good + good.substr(0, 50), CpioError::kTruncatedHeader, second, ""},
      {"bad magic", good + "070707" + good.substr(6), CpioError::kBadMagic, second, ""},
      {"bad hex", good + bad_hex, CpioError::kBadField, second, ""},
      {"name not terminated", good + unterminated + trailer(), CpioError::kNameNotTerminated,
       second, ""},
      {"NUL inside the name", good + nul_inside + trailer(), CpioError::kNameNotTerminated,
       second, ""},
      {"name size above PATH_MAX", huge_name, CpioError::kBadNameSize, 0, ""},
      {"name past the end", past_end_name, CpioError::kNamePastEnd, 0, ""},
      {"data past the end", good + data_past_end, CpioError::kDataPastEnd, second, "big"},
      {"dot-dot", good + entry("../etc/passwd", "x") + trailer(), CpioError::kBadPath, second,
       "../etc/passwd"},
      {"dot-dot inside", entry("a/../../b", "") + trailer(), CpioError::kBadPath, 0,
       "a/../../b"},
      {"empty component", entry("a//b", "") + trailer(), CpioError::kBadPath, 0, "a//b"},
  };
  for (const Bad& c : cases) {
    const std::vector<std::uint8_t> archive = bytes(c.archive);  // the entries point into it
    const Read r = read_all(archive);
    EXPECT_FALSE(r.ended) << c.what;
    EXPECT_EQ(r.problem.error, c.error)
        << c.what << ": got " << initramfs::cpio_error_name(r.problem.error);
    EXPECT_EQ(r.problem.offset, c.offset) << c.what;
    EXPECT_EQ(str(r.problem.name), c.name) << c.what;
  }
}

TEST(CpioReader, ReportsTheSameProblemAgain) {
  const std::vector<std::uint8_t> archive(200, 'x');  // long enough for a header, not one
  CpioReader reader(archive.data(), archive.size());
  CpioEntry e;
  auto first = reader.next(e);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().error, CpioError::kBadMagic);
  auto again = reader.next(e);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().error, CpioError::kBadMagic);
}

TEST(CpioReader, EveryTruncationOfARealArchiveIsRefusedOrEndsCleanly) {
  const std::vector<std::uint8_t> archive = read_file(PLEIADES_SAMPLE_CPIO);
  ASSERT_FALSE(archive.empty());
  // Where the trailer's header starts in the whole archive.
  std::uint64_t trailer_at = 0;
  {
    CpioReader reader(archive.data(), archive.size());
    CpioEntry e;
    for (;;) {
      trailer_at = reader.offset();
      auto got = reader.next(e);
      ASSERT_TRUE(got.ok());
      if (!got.value()) break;
    }
  }
  const std::uint64_t trailer_name_end = trailer_at + initramfs::kCpioHeaderSize + 11;
  for (std::size_t n = 0; n < archive.size(); ++n) {
    const std::vector<std::uint8_t> cut(archive.begin(), archive.begin() + n);
    const Read r = read_all(cut);
    // Cut after the trailer's name (in its padding, or in GNU cpio's 512-byte block padding),
    // the archive is whole; cut anywhere before, it must be refused.
    EXPECT_EQ(r.ended, n >= trailer_name_end) << "cut at " << n;
    for (const CpioEntry& e : r.entries) {
      EXPECT_LE(e.data + e.size, cut.data() + cut.size()) << n;
    }
  }
}

}  // namespace

namespace {

TEST(CpioSummary, CountsWhatGnuCpioWrote) {
  const std::vector<std::uint8_t> archive = read_file(PLEIADES_SAMPLE_CPIO);
  auto sum = initramfs::summarize(archive.data(), archive.size());
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum.value().entries, 9u);
  EXPECT_EQ(sum.value().directories, 4u);  // ".", bin, empty, etc
  EXPECT_EQ(sum.value().files, 4u);        // bin/script, empty/file, etc/motd, etc/three
  EXPECT_EQ(sum.value().symlinks, 1u);
  EXPECT_EQ(sum.value().others, 0u);
  EXPECT_EQ(sum.value().file_bytes, 18u + 0u + 6u + 3u);
}

TEST(CpioSummary, GivesTheFirstProblem) {
  const std::vector<std::uint8_t> archive = bytes(entry("a", "1") + entry("../b", "2") + trailer());
  auto sum = initramfs::summarize(archive.data(), archive.size());
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.error().error, CpioError::kBadPath);
  EXPECT_EQ(str(sum.error().name), "../b");
}

}  // namespace

// The initramfs archive format: cpio "newc" (and "crc"), as GNU cpio writes it with
// `-H newc` and as Linux's initramfs reads it. Pure and freestanding: it reads bytes, checks
// every field against the end of the archive, and hands out entries whose name and data point
// into the archive; it allocates nothing and prints nothing. Host-tested and fuzzed.
//
// An entry is a 110-byte ASCII header ("070701" or "070702", then thirteen 8-digit hex fields),
// the NUL-terminated name, padding to a multiple of 4 bytes, the data, padding to 4 again. The
// archive ends with the entry named "TRAILER!!!".
#pragma once

#include <cstddef>
#include <cstdint>

#include "smp/klib/format.h"
#include "smp/klib/result.h"

namespace initramfs {

inline constexpr std::size_t kCpioHeaderSize = 110;
// Longest name accepted, NUL included (Linux's PATH_MAX).
inline constexpr std::uint32_t kMaxNameSize = 4096;

// Mode bits (S_IFMT and the file types of <sys/stat.h>).
inline constexpr std::uint32_t kTypeMask = 0170000;
inline constexpr std::uint32_t kTypeDirectory = 0040000;
inline constexpr std::uint32_t kTypeRegular = 0100000;
inline constexpr std::uint32_t kTypeSymlink = 0120000;
inline constexpr std::uint32_t kTypeCharDevice = 0020000;
inline constexpr std::uint32_t kTypeBlockDevice = 0060000;
inline constexpr std::uint32_t kTypeFifo = 0010000;
inline constexpr std::uint32_t kTypeSocket = 0140000;

struct CpioEntry {
  // The path with any leading "./" or "/" removed and no "." or ".." component: "bin/sh".
  // Empty for the archive's root entry ("." or "/"). Points into the archive; not
  // NUL-terminated.
  fmt::StringView path;
  std::uint32_t mode = 0;  // type and permission bits
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t nlink = 0;
  std::uint32_t mtime = 0;
  std::uint32_t ino = 0;
  std::uint32_t dev_major = 0, dev_minor = 0;    // of the file system it came from
  std::uint32_t rdev_major = 0, rdev_minor = 0;  // of a device node
  const std::uint8_t* data = nullptr;            // file contents, or a symlink's target
  std::uint32_t size = 0;
  std::uint64_t offset = 0;  // of the header within the archive

  std::uint32_t type() const { return mode & kTypeMask; }
};

enum class CpioError : std::uint8_t {
  kTruncatedHeader,   // fewer than 110 bytes left where a header should start
  kBadMagic,          // not "070701" or "070702"
  kBadField,          // a header field that is not 8 hex digits
  kBadNameSize,       // name size 0 or above kMaxNameSize
  kNamePastEnd,       // the name runs past the end of the archive
  kNameNotTerminated, // the name's last byte is not NUL, or it has a NUL inside
  kDataPastEnd,       // the data runs past the end of the archive
  kBadPath,           // a ".." component (would escape the root), or "." or empty inside
  kMissingTrailer,    // the archive ended without "TRAILER!!!"
};

// What went wrong, where: the header offset and, once read, the entry's name.
struct CpioProblem {
  CpioError error;
  std::uint64_t offset;
  fmt::StringView name;  // empty when the name could not be read
};

const char* cpio_error_name(CpioError error);

// Reads an archive front to back. The bytes must stay valid while entries are used.
class CpioReader {
 public:
  CpioReader(const std::uint8_t* archive, std::size_t size) : archive_(archive), size_(size) {}

  // The next entry into `out`: true for an entry, false at the trailer (the archive's end),
  // or the problem. After a problem or the trailer, every later call returns the same answer.
  klib::Result<bool, CpioProblem> next(CpioEntry& out);

  // Bytes consumed so far (the trailer's end once next() returned false).
  std::uint64_t offset() const { return offset_; }

 private:
  const std::uint8_t* archive_;
  std::size_t size_;
  std::uint64_t offset_ = 0;
  bool done_ = false;
  bool failed_ = false;
  CpioProblem problem_{CpioError::kMissingTrailer, 0, {}};
};

// What an archive holds, counted by type, with its files' total size.
struct CpioSummary {
  std::uint32_t entries = 0;  // everything before the trailer, the root entry included
  std::uint32_t directories = 0;
  std::uint32_t files = 0;
  std::uint32_t symlinks = 0;
  std::uint32_t others = 0;  // device nodes, FIFOs, sockets
  std::uint64_t file_bytes = 0;
};

// Reads the whole archive: its summary, or the first problem (nothing of it is used then).
klib::Result<CpioSummary, CpioProblem> summarize(const std::uint8_t* archive, std::size_t size);

}  // namespace initramfs

#include "kernel/fs/initramfs/cpio.h"

namespace initramfs {
namespace {

constexpr std::size_t kMagicSize = 6;
constexpr std::size_t kFieldSize = 8;
constexpr std::size_t kFieldCount = 13;
constexpr char kTrailer[] = "TRAILER!!!";

// Header fields in archive order, after the magic.
enum Field : std::size_t {
  kIno, kMode, kUid, kGid, kNlink, kMtime, kFileSize, kDevMajor, kDevMinor, kRdevMajor,
  kRdevMinor, kNameSize, kCheck
};

std::uint64_t align4(std::uint64_t n) { return (n + 3) & ~std::uint64_t{3}; }

bool parse_hex(const std::uint8_t* p, std::uint32_t& out) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < kFieldSize; ++i) {
    const std::uint8_t c = p[i];
    std::uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return false;
    }
    v = (v << 4) | digit;
  }
  out = v;
  return true;
}

bool equals(fmt::StringView s, const char* text) {
  std::size_t i = 0;
  for (; i < s.length; ++i) {
    if (text[i] == '\0' || text[i] != s.data[i]) return false;
  }
  return text[i] == '\0';
}

// `name` without leading "/" and "./" and without "." components; false when a component is
// "..". The result is a suffix of `name` when only leading parts were dropped; a "." in the
// middle ("a/./b") is refused as unusual rather than rewritten (no buffer to rewrite into).
bool clean_path(fmt::StringView name, fmt::StringView& out, bool& dot_inside) {
  std::size_t start = 0;
  for (;;) {
    if (start < name.length && name.data[start] == '/') {
      ++start;
    } else if (start + 1 < name.length && name.data[start] == '.' && name.data[start + 1] == '/') {
      start += 2;
    } else {
      break;
    }
  }
  fmt::StringView rest(name.data + start, name.length - start);
  if (equals(rest, ".")) rest = fmt::StringView(name.data + name.length, 0);
  // Drop trailing slashes ("dir/").
  while (rest.length > 0 && rest.data[rest.length - 1] == '/') --rest.length;
  dot_inside = false;
  std::size_t i = 0;
  while (i < rest.length) {
    std::size_t j = i;
    while (j < rest.length && rest.data[j] != '/') ++j;
    const fmt::StringView component(rest.data + i, j - i);
    if (equals(component, "..")) return false;
    if (equals(component, ".") || component.length == 0) dot_inside = true;
    i = j + 1;
  }
  out = rest;
  return true;
}

}  // namespace

const char* cpio_error_name(CpioError error) {
  switch (error) {
    case CpioError::kTruncatedHeader: return "truncated header";
    case CpioError::kBadMagic: return "bad magic (not a newc cpio header)";
    case CpioError::kBadField: return "header field is not 8 hex digits";
    case CpioError::kBadNameSize: return "name size out of range";
    case CpioError::kNamePastEnd: return "name runs past the end of the archive";
    case CpioError::kNameNotTerminated: return "name is not one NUL-terminated string";
    case CpioError::kDataPastEnd: return "data runs past the end of the archive";
    case CpioError::kBadPath: return "path has a '..' component, or '.' or an empty one inside";
    case CpioError::kMissingTrailer: return "archive ends without TRAILER!!!";
  }
  return "?";
}

klib::Result<bool, CpioProblem> CpioReader::next(CpioEntry& out) {
  if (failed_) return klib::make_error(problem_);
  if (done_) return false;
  const auto fail = [&](CpioError error, fmt::StringView name) -> klib::Result<bool, CpioProblem> {
    failed_ = true;
    problem_ = CpioProblem{error, offset_, name};
    return klib::make_error(problem_);
  };
  const std::uint64_t at = offset_;
  if (at == size_) return fail(CpioError::kMissingTrailer, {});
  if (size_ - at < kCpioHeaderSize) return fail(CpioError::kTruncatedHeader, {});
  const std::uint8_t* h = archive_ + at;
  static constexpr char kMagic[] = "07070";
  for (std::size_t i = 0; i < kMagicSize - 1; ++i) {
    if (h[i] != static_cast<std::uint8_t>(kMagic[i])) return fail(CpioError::kBadMagic, {});
  }
  if (h[kMagicSize - 1] != '1' && h[kMagicSize - 1] != '2') return fail(CpioError::kBadMagic, {});
  std::uint32_t f[kFieldCount];
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (!parse_hex(h + kMagicSize + i * kFieldSize, f[i])) return fail(CpioError::kBadField, {});
  }
  const std::uint32_t name_size = f[kNameSize];
  if (name_size == 0 || name_size > kMaxNameSize) return fail(CpioError::kBadNameSize, {});
  const std::uint64_t name_at = at + kCpioHeaderSize;
  if (name_size > size_ - name_at) return fail(CpioError::kNamePastEnd, {});
  const char* name_bytes = reinterpret_cast<const char*>(archive_ + name_at);
  if (name_bytes[name_size - 1] != '\0') return fail(CpioError::kNameNotTerminated, {});
  const fmt::StringView raw_name(name_bytes, name_size - 1);
  for (std::size_t i = 0; i < raw_name.length; ++i) {
    if (raw_name.data[i] == '\0') return fail(CpioError::kNameNotTerminated, {});
  }
  // Header and name are padded together to 4 bytes; so is the data. The padding of the
  // last entry may be missing (some writers stop at the trailer's name).
  const std::uint64_t data_at = align4(name_at + name_size);
  const std::uint32_t file_size = f[kFileSize];
  if (data_at > size_ || file_size > size_ - data_at) {
    if (equals(raw_name, kTrailer) && file_size == 0) {
      done_ = true;
      offset_ = size_;
      return false;
    }
    return fail(CpioError::kDataPastEnd, raw_name);
  }
  if (equals(raw_name, kTrailer)) {
    done_ = true;
    offset_ = align4(data_at + file_size) > size_ ? size_ : align4(data_at + file_size);
    return false;
  }
  fmt::StringView path;
  bool dot_inside = false;
  if (!clean_path(raw_name, path, dot_inside) || dot_inside) {
    return fail(CpioError::kBadPath, raw_name);
  }
  out = CpioEntry{};
  out.path = path;
  out.mode = f[kMode];
  out.uid = f[kUid];
  out.gid = f[kGid];
  out.nlink = f[kNlink];
  out.mtime = f[kMtime];
  out.ino = f[kIno];
  out.dev_major = f[kDevMajor];
  out.dev_minor = f[kDevMinor];
  out.rdev_major = f[kRdevMajor];
  out.rdev_minor = f[kRdevMinor];
  out.data = archive_ + data_at;
  out.size = file_size;
  out.offset = at;
  const std::uint64_t end = align4(data_at + file_size);
  offset_ = end > size_ ? size_ : end;
  return true;
}

klib::Result<CpioSummary, CpioProblem> summarize(const std::uint8_t* archive, std::size_t size) {
  CpioReader reader(archive, size);
  CpioSummary sum;
  // Every entry moves the reader forward by at least a header, so this ends.
  for (;;) {
    CpioEntry e;
    auto got = reader.next(e);
    if (!got.ok()) return klib::make_error(got.error());
    if (!got.value()) return sum;
    ++sum.entries;
    switch (e.type()) {
      case kTypeDirectory: ++sum.directories; break;
      case kTypeRegular:
        ++sum.files;
        sum.file_bytes += e.size;
        break;
      case kTypeSymlink: ++sum.symlinks; break;
      default: ++sum.others; break;
    }
  }
}

}  // namespace initramfs

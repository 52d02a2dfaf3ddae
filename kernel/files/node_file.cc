#include "kernel/files/node_file.h"

#include <new>

#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/fs/ramfs/filesystem.h"
#include "kernel/time/rtc.h"

namespace kfiles {
namespace {

constexpr std::int64_t kEFAULT = 14, kEISDIR = 21, kEINVAL = 22, kENOMEM = 12;
// Bytes moved per round between the node and user memory.
constexpr std::uint64_t kChunk = 1024;
// The device number stat reports for the root file system.
constexpr std::uint64_t kRootDevice = 1;

std::int64_t now() { return static_cast<std::int64_t>(ktime::realtime_ns()); }

// linux_dirent64: d_ino, d_off, d_reclen, d_type, d_name (NUL-terminated), padded to 8.
std::uint8_t dirent_type(ramfs::NodeType t) {
  switch (t) {
    case ramfs::NodeType::kFifo: return 1;
    case ramfs::NodeType::kCharDevice: return 2;
    case ramfs::NodeType::kDirectory: return 4;
    case ramfs::NodeType::kBlockDevice: return 6;
    case ramfs::NodeType::kRegular: return 8;
    case ramfs::NodeType::kSymlink: return 10;
    case ramfs::NodeType::kSocket: return 12;
  }
  return 0;
}

class DirentWriter final : public ramfs::DirSink {
 public:
  DirentWriter(std::uint8_t* out, std::uint64_t capacity) : out_(out), capacity_(capacity) {}
  bool emit(fmt::StringView name, std::uint64_t ino, ramfs::NodeType type,
            std::uint64_t next_cookie) override {
    const std::uint64_t length = (19 + name.length + 1 + 7) & ~7ull;
    if (used_ + length > capacity_) {
      refused_ = true;
      return false;
    }
    std::uint8_t* d = out_ + used_;
    for (std::uint64_t i = 0; i < length; ++i) d[i] = 0;
    const auto off = static_cast<std::int64_t>(next_cookie);
    const auto reclen = static_cast<std::uint16_t>(length);
    __builtin_memcpy(d, &ino, 8);
    __builtin_memcpy(d + 8, &off, 8);
    __builtin_memcpy(d + 16, &reclen, 2);
    d[18] = dirent_type(type);
    __builtin_memcpy(d + 19, name.data, name.length);
    used_ += length;
    cookie_ = next_cookie;
    return true;
  }
  std::uint64_t used() const { return used_; }
  std::uint64_t cookie() const { return cookie_; }
  bool refused() const { return refused_; }

 private:
  bool refused_ = false;
  std::uint8_t* out_;
  std::uint64_t capacity_;
  std::uint64_t used_ = 0;
  std::uint64_t cookie_ = 0;
};

class NodeFile final : public File {
 public:
  NodeFile(ramfs::NodeRef node, std::uint32_t flags)
      : File(flags), node_(static_cast<ramfs::NodeRef&&>(node)) {}

  bool seekable() const override { return true; }

  std::int64_t read(std::uint64_t buffer, std::uint64_t length, std::uint64_t* pos) override {
    if (node_->is_directory()) return -kEISDIR;
    std::uint8_t chunk[kChunk];
    std::uint64_t done = 0;
    while (done < length) {
      const std::uint64_t want = length - done < kChunk ? length - done : kChunk;
      auto got = node_->read_at(*pos, chunk, want);
      if (!got) return done != 0 ? static_cast<std::int64_t>(done) : errno_result(got.error());
      if (got.value() == 0) break;
      if (!arch::copy_to_user(buffer + done, chunk, got.value())) {
        return done != 0 ? static_cast<std::int64_t>(done) : -kEFAULT;
      }
      done += got.value();
      *pos += got.value();
      if (got.value() < want) break;
    }
    return static_cast<std::int64_t>(done);
  }

  std::int64_t write(std::uint64_t buffer, std::uint64_t length, std::uint64_t* pos) override {
    if (node_->is_directory()) return -kEISDIR;
    if (flags() & kAppend) *pos = node_->stat().size;
    std::uint8_t chunk[kChunk];
    std::uint64_t done = 0;
    while (done < length) {
      const std::uint64_t want = length - done < kChunk ? length - done : kChunk;
      if (!arch::copy_from_user(chunk, buffer + done, want)) {
        return done != 0 ? static_cast<std::int64_t>(done) : -kEFAULT;
      }
      auto put = node_->write_at(*pos, chunk, want, now());
      if (!put) return done != 0 ? static_cast<std::int64_t>(done) : errno_result(put.error());
      done += put.value();
      *pos += put.value();
      if (put.value() < want) break;
    }
    return static_cast<std::int64_t>(done);
  }

  std::int64_t size() override { return static_cast<std::int64_t>(node_->stat().size); }

  FileStat stat() override { return stat_of(*node_); }

  std::int64_t read_directory(std::uint64_t buffer, std::uint64_t length,
                              std::uint64_t* pos) override {
    if (!node_->is_directory()) return -20;  // ENOTDIR
    const std::uint64_t capacity = length < 4096 ? length : 4096;
    auto* out = new (std::nothrow) std::uint8_t[capacity == 0 ? 1 : capacity];
    if (out == nullptr) return -kENOMEM;
    DirentWriter writer(out, capacity);
    auto listed = node_->fs().readdir(*node_, *pos, writer);
    std::int64_t result;
    if (!listed) {
      result = errno_result(listed.error());
    } else if (writer.used() == 0) {
      // Nothing written: the end of the directory (0), or a buffer too small for the next
      // entry (EINVAL, as Linux).
      result = writer.refused() ? -kEINVAL : 0;
    } else if (!arch::copy_to_user(buffer, out, writer.used())) {
      result = -kEFAULT;
    } else {
      *pos = writer.cookie();
      result = static_cast<std::int64_t>(writer.used());
    }
    delete[] out;
    return result;
  }

  std::int64_t truncate(std::uint64_t length) override {
    if (node_->type() != ramfs::NodeType::kRegular) return -kEINVAL;
    auto r = node_->truncate(length, now());
    return r ? 0 : errno_result(r.error());
  }

  ramfs::Node* node() override { return node_.get(); }

 private:
  ramfs::NodeRef node_;
};

}  // namespace

FileStat stat_of(ramfs::Node& node) {
  const ramfs::Stat s = node.stat();
  FileStat out;
  out.dev = kRootDevice;
  out.ino = s.ino;
  out.mode = s.mode;
  out.nlink = s.nlink;
  out.uid = s.uid;
  out.gid = s.gid;
  out.rdev = (static_cast<std::uint64_t>(s.rdev_major) << 8) | s.rdev_minor;
  out.size = s.size;
  out.blocks = s.blocks;
  out.blksize = s.blksize;
  out.atime_ns = s.mtime_ns;
  out.mtime_ns = s.mtime_ns;
  out.ctime_ns = s.ctime_ns;
  return out;
}

File* open_node(ramfs::NodeRef node, std::uint32_t flags) {
  return new (std::nothrow) NodeFile(static_cast<ramfs::NodeRef&&>(node), flags);
}

}  // namespace kfiles

#include "kernel/fs/ramfs/unpack.h"

#include <new>

#include "kernel/fs/ramfs/path.h"

namespace ramfs {
namespace {

using initramfs::CpioEntry;

constexpr std::int64_t kNanosPerSecond = 1000000000;
constexpr std::uint32_t kImpliedDirectoryMode = 0755;

// The archive's hard-link sets: (device, inode) -> the node made for the first name.
class HardLinks {
 public:
  HardLinks() = default;
  ~HardLinks() { delete[] slots_; }
  HardLinks(const HardLinks&) = delete;
  HardLinks& operator=(const HardLinks&) = delete;

  Node* find(const CpioEntry& e) const {
    for (std::uint32_t i = 0; i < count_; ++i) {
      const Slot& s = slots_[i];
      if (s.ino == e.ino && s.dev_major == e.dev_major && s.dev_minor == e.dev_minor) {
        return s.node.get();
      }
    }
    return nullptr;
  }

  Result<void> add(const CpioEntry& e, NodeRef node) {
    if (count_ == capacity_) {
      const std::uint32_t n = capacity_ == 0 ? 8 : capacity_ * 2;
      Slot* fresh = new (std::nothrow) Slot[n];
      if (fresh == nullptr) return klib::make_error(Errno::kENOMEM);
      for (std::uint32_t i = 0; i < count_; ++i) {
        fresh[i].ino = slots_[i].ino;
        fresh[i].dev_major = slots_[i].dev_major;
        fresh[i].dev_minor = slots_[i].dev_minor;
        fresh[i].node = static_cast<NodeRef&&>(slots_[i].node);
      }
      delete[] slots_;
      slots_ = fresh;
      capacity_ = n;
    }
    Slot& s = slots_[count_++];
    s.ino = e.ino;
    s.dev_major = e.dev_major;
    s.dev_minor = e.dev_minor;
    s.node = static_cast<NodeRef&&>(node);
    return klib::Ok{};
  }

 private:
  struct Slot {
    std::uint32_t ino = 0, dev_major = 0, dev_minor = 0;
    NodeRef node;
  };
  Slot* slots_ = nullptr;
  std::uint32_t count_ = 0;
  std::uint32_t capacity_ = 0;
};

// The directory for `dir_path` ("a/b"), made where missing; a symlink on the way is followed
// (a merged-/usr tree has /bin -> usr/bin).
Result<NodeRef> parent_directory(Filesystem& fs, fmt::StringView dir_path, std::int64_t time_ns,
                                 UnpackCounts& counts) {
  NodeRef dir = fs.root();
  std::size_t i = 0;
  while (i < dir_path.length) {
    std::size_t n = 0;
    while (i + n < dir_path.length && dir_path.data[i + n] != '/') ++n;
    const fmt::StringView component{dir_path.data + i, n};
    i += n + 1;
    auto found = fs.lookup(*dir, component);
    if (!found && found.error() != Errno::kENOENT) return klib::make_error(found.error());
    NodeRef next;
    if (found) {
      next = static_cast<NodeRef&&>(found.value());
      if (next->type() == NodeType::kSymlink) next = TRY(resolve(*dir, component, true));
      if (!next->is_directory()) return klib::make_error(Errno::kENOTDIR);
    } else {
      NodeAttributes attrs;
      attrs.mode = kImpliedDirectoryMode;
      attrs.time_ns = time_ns;
      next = TRY(fs.create(*dir, component, NodeType::kDirectory, attrs));
      ++counts.implied_directories;
    }
    dir = static_cast<NodeRef&&>(next);
  }
  return dir;
}

// Removes what `name` names in `dir` (a directory only when empty); nothing if it is absent.
Result<void> remove_existing(Filesystem& fs, Node& dir, fmt::StringView name,
                             std::int64_t time_ns) {
  auto found = fs.lookup(dir, name);
  if (!found) return found.error() == Errno::kENOENT ? Result<void>(klib::Ok{})
                                                     : Result<void>(klib::make_error(found.error()));
  if (found.value()->is_directory()) return fs.rmdir(dir, name, time_ns);
  return fs.unlink(dir, name, time_ns);
}

Result<void> write_all(Node& file, const CpioEntry& e, std::int64_t time_ns) {
  std::uint64_t done = 0;
  while (done < e.size) {
    done += TRY(file.write_at(done, e.data + done, static_cast<std::size_t>(e.size - done),
                              time_ns));
  }
  return klib::Ok{};
}

// One entry below the root; `type` is its file type.
Result<void> unpack_entry(Filesystem& fs, const CpioEntry& e, NodeType type, HardLinks& links,
                          UnpackCounts& counts) {
  NodeAttributes attrs;
  attrs.mode = e.mode & Node::kPermissionBits;
  attrs.uid = e.uid;
  attrs.gid = e.gid;
  attrs.time_ns = static_cast<std::int64_t>(e.mtime) * kNanosPerSecond;
  attrs.rdev_major = e.rdev_major;
  attrs.rdev_minor = e.rdev_minor;
  std::size_t slash = e.path.length;
  while (slash > 0 && e.path.data[slash - 1] != '/') --slash;
  const fmt::StringView name{e.path.data + slash, e.path.length - slash};
  NodeRef dir = TRY(parent_directory(fs, {e.path.data, slash == 0 ? 0 : slash - 1},
                                     attrs.time_ns, counts));
  if (type == NodeType::kDirectory) {
    auto found = fs.lookup(*dir, name);
    if (found && found.value()->is_directory()) {
      Node& existing = *found.value();
      existing.set_mode(attrs.mode, attrs.time_ns);
      existing.set_owner(attrs.uid, attrs.gid, attrs.time_ns);
      existing.set_mtime(attrs.time_ns, attrs.time_ns);
      ++counts.directories;
      return klib::Ok{};
    }
  }
  if (type == NodeType::kRegular && e.nlink > 1) {
    if (Node* first = links.find(e)) {
      TRY_OK(remove_existing(fs, *dir, name, attrs.time_ns));
      TRY_OK(fs.link(*dir, name, *first, attrs.time_ns));
      if (e.size != 0) {  // GNU cpio stores the data with the last name of the set
        TRY_OK(first->truncate(0, attrs.time_ns));
        TRY_OK(write_all(*first, e, attrs.time_ns));
        counts.file_bytes += e.size;
      }
      ++counts.hardlinks;
      return klib::Ok{};
    }
  }
  TRY_OK(remove_existing(fs, *dir, name, attrs.time_ns));
  const fmt::StringView target{reinterpret_cast<const char*>(e.data), e.size};
  NodeRef node = TRY(fs.create(*dir, name, type, attrs, target));
  switch (type) {
    case NodeType::kDirectory: ++counts.directories; break;
    case NodeType::kSymlink: ++counts.symlinks; break;
    case NodeType::kRegular: {
      auto written = write_all(*node, e, attrs.time_ns);
      if (!written) {
        // No half-written file stays behind.
        (void)fs.unlink(*dir, name, attrs.time_ns);
        return written;
      }
      ++counts.files;
      counts.file_bytes += e.size;
      if (e.nlink > 1) TRY_OK(links.add(e, static_cast<NodeRef&&>(node)));
      break;
    }
    default: ++counts.specials; break;
  }
  return klib::Ok{};
}

}  // namespace

const char* UnpackProblem::reason() const {
  return in_archive ? initramfs::cpio_error_name(cpio) : errno_name(error);
}

klib::Result<UnpackCounts, UnpackProblem> unpack(Filesystem& fs, const std::uint8_t* archive,
                                                 std::uint64_t size) {
  UnpackCounts counts;
  HardLinks links;
  initramfs::CpioReader reader(archive, static_cast<std::size_t>(size));
  for (;;) {
    CpioEntry e;
    auto got = reader.next(e);
    if (!got) {
      const initramfs::CpioProblem& p = got.error();
      return klib::make_error(UnpackProblem{true, p.error, Errno::kEIO, p.offset, p.name});
    }
    if (!got.value()) return counts;
    NodeType type;
    if (!type_from_mode(e.mode, type)) {
      ++counts.skipped;
      continue;
    }
    auto problem = [&](Errno error) {
      return klib::make_error(
          UnpackProblem{false, initramfs::CpioError::kBadField, error, e.offset, e.path});
    };
    if (e.path.length == 0) {  // "." : the root's own attributes
      if (type != NodeType::kDirectory) return problem(Errno::kENOTDIR);
      const std::int64_t time_ns = static_cast<std::int64_t>(e.mtime) * kNanosPerSecond;
      NodeRef root = fs.root();
      root->set_mode(e.mode, time_ns);
      root->set_owner(e.uid, e.gid, time_ns);
      root->set_mtime(time_ns, time_ns);
      ++counts.directories;
      continue;
    }
    auto made = unpack_entry(fs, e, type, links, counts);
    if (!made) return problem(made.error());
  }
}

}  // namespace ramfs

// System calls on paths: open, openat, creat, stat, lstat, newfstatat, access, faccessat(2),
// chdir, fchdir, getcwd, mkdir(at), rmdir, unlink(at), rename(at)(2), symlink(at),
// readlink(at), truncate, umask. Paths resolve in the root file system from the working
// directory or a directory descriptor (file_helpers.h).
#include <new>

#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/files/devices.h"
#include "kernel/files/node_file.h"
#include "kernel/files/procfs.h"
#include "kernel/fs/initramfs/boot_archive.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/handlers.h"
#include "smp/locks/guard.h"

namespace ksys {
namespace {

using namespace kabi;

kproc::Process& process() { return *kproc::current_user_thread()->process; }

// A path buffer on the heap (4 KiB would crowd the kernel stack), freed at scope end.
struct PathBuffer {
  char* text = new (std::nothrow) char[kPathMax];
  std::int64_t length = 0;
  ~PathBuffer() { delete[] text; }
  fmt::StringView view() const { return {text, static_cast<std::size_t>(length)}; }
};

// Copies the user path; 0 or -errno.
std::int64_t read_path(std::uint64_t user, PathBuffer& out) {
  if (out.text == nullptr) return -kENOMEM;
  out.length = copy_path(user, out.text);
  return out.length < 0 ? out.length : 0;
}

std::int64_t cwd_text(PathBuffer& out);

// Records the path `path` was opened by on `file`, made absolute for a relative path from the
// working directory (/proc/PID/maps names file mappings by it). Best effort: a path that cannot
// be made (memory, a removed working directory) is left unrecorded.
void record_path(kfiles::File& file, std::int64_t dirfd, const PathBuffer& path) {
  if (path.length > 0 && path.text[0] == '/') {
    file.set_path(path.text, static_cast<std::size_t>(path.length));
    return;
  }
  if (dirfd != kAtFdcwd) return;
  PathBuffer full;
  const std::int64_t at = cwd_text(full);
  if (at < 0) return;
  std::int64_t length = static_cast<std::int64_t>(kPathMax) - 1 - at;
  if (length + 1 + path.length > static_cast<std::int64_t>(kPathMax) - 1) return;
  // Moved to the front, then "/" and the relative path appended.
  __builtin_memmove(full.text, full.text + at, static_cast<std::size_t>(length));
  if (full.text[length - 1] != '/') full.text[length++] = '/';
  __builtin_memcpy(full.text + length, path.text, static_cast<std::size_t>(path.length));
  file.set_path(full.text, static_cast<std::size_t>(length + path.length));
}

constexpr std::uint64_t kRenameNoreplace = 1, kRenameExchange = 2, kRenameWhiteout = 4;
constexpr std::uint64_t kFOk = 0, kXOk = 1, kWOk = 2, kROk = 4;

std::int64_t open_at(std::int64_t dirfd, std::uint64_t user_path, std::uint64_t flags_in,
                     std::uint64_t mode) {
  PathBuffer path;
  if (const std::int64_t e = read_path(user_path, path); e != 0) return e;
  auto flags = static_cast<std::uint32_t>(flags_in);
  // /proc, by absolute path (kernel/files/procfs.h).
  kfiles::ProcPath proc;
  switch (kfiles::lookup_proc(path.view(), process().pid, true, &proc)) {
    case kfiles::ProcLookup::kFound: {
      if ((flags & kfiles::kAccessMode) != kfiles::kReadOnly || (flags & kfiles::kCreate)) {
        return error(kEACCES);
      }
      kfiles::File* file = kfiles::open_proc(proc);
      if (file == nullptr) return error(kENOMEM);
      return fd_table().install(kfiles::FileRef{file}, (flags & kfiles::kCloexec) != 0, 0, fd_limit());
    }
    case kfiles::ProcLookup::kMissing:
      return error(kENOENT);
    case kfiles::ProcLookup::kNotProc:
      break;
  }
  const bool create = (flags & kfiles::kCreate) != 0;
  const bool want_dir = (flags & kfiles::kDirectory) != 0;
  const std::uint32_t access = flags & kfiles::kAccessMode;
  if (access == 3) return error(kEINVAL);
  ramfs::NodeRef node;
  if (create) {
    if (want_dir) return error(kEINVAL);  // O_CREAT | O_DIRECTORY, as Linux 6.4+
    auto parent = resolve_parent_at(dirfd, path.view());
    if (!parent) return error(parent.error());
    ramfs::ParentAndName& pn = parent.value();
    ramfs::Filesystem& fs = pn.dir->fs();
    auto existing = fs.lookup(*pn.dir, pn.last());
    if (existing) {
      if (flags & kfiles::kExclusive) return error(kEEXIST);
      // An existing symlink is followed (unless O_NOFOLLOW): resolve the whole path.
      if (existing.value()->type() == ramfs::NodeType::kSymlink) {
        if (flags & kfiles::kNoFollow) return error(kELOOP);
        auto target = resolve_at(dirfd, path.view(), true);
        if (!target) return error(target.error());
        node = static_cast<ramfs::NodeRef&&>(target.value());
      } else {
        node = static_cast<ramfs::NodeRef&&>(existing.value());
      }
    } else {
      if (pn.trailing_slash || pn.length == 0) return error(kEISDIR);
      ramfs::NodeAttributes attrs;
      attrs.mode = static_cast<std::uint32_t>(mode) & 07777 & ~process().umask.load();
      attrs.time_ns = file_time_now();
      auto made = fs.create(*pn.dir, pn.last(), ramfs::NodeType::kRegular, attrs);
      if (!made) return error(static_cast<int>(made.error()));
      node = static_cast<ramfs::NodeRef&&>(made.value());
    }
  } else {
    auto found = resolve_at(dirfd, path.view(), (flags & kfiles::kNoFollow) == 0);
    if (!found) return error(found.error());
    node = static_cast<ramfs::NodeRef&&>(found.value());
    if (node->type() == ramfs::NodeType::kSymlink) return error(kELOOP);  // O_NOFOLLOW
  }
  const ramfs::NodeType type = node->type();
  if (want_dir && type != ramfs::NodeType::kDirectory) return error(kENOTDIR);
  if (type == ramfs::NodeType::kDirectory && access != kfiles::kReadOnly) return error(kEISDIR);
  kfiles::File* file = nullptr;
  if (type == ramfs::NodeType::kCharDevice) {
    const ramfs::Stat st = node->stat();
    bool no_memory = false;
    file = kfiles::open_device(st.rdev_major, st.rdev_minor, flags, &no_memory);
    if (file == nullptr) return error(no_memory ? kENOMEM : kENXIO);
  } else if (type == ramfs::NodeType::kRegular || type == ramfs::NodeType::kDirectory) {
    if (type == ramfs::NodeType::kRegular && (flags & kfiles::kTruncate) &&
        access != kfiles::kReadOnly) {
      auto t = node->truncate(0, file_time_now());
      if (!t) return error(static_cast<int>(t.error()));
    }
    file = kfiles::open_node(static_cast<ramfs::NodeRef&&>(node), flags);
    if (file == nullptr) return error(kENOMEM);
    record_path(*file, dirfd, path);
  } else {
    return error(kENXIO);  // FIFOs, sockets and block devices come later
  }
  return fd_table().install(kfiles::FileRef{file}, (flags & kfiles::kCloexec) != 0, 0, fd_limit());
}

std::int64_t stat_at(std::int64_t dirfd, std::uint64_t user_path, std::uint64_t out,
                     std::uint64_t flags) {
  if ((flags & ~(kAtSymlinkNofollow | kAtEmptyPath)) != 0) return error(kEINVAL);
  kfiles::FileStat st;
  if (const std::int64_t e = stat_path_at(dirfd, user_path, flags, &st); e != 0) return e;
  return copy_stat_out(out, st);
}

std::int64_t access_at(std::int64_t dirfd, std::uint64_t user_path, std::uint64_t mode,
                       std::uint64_t flags) {
  if ((mode & ~(kROk | kWOk | kXOk)) != 0) return error(kEINVAL);
  if ((flags & ~(kAtSymlinkNofollow | kAtEaccess | kAtEmptyPath)) != 0) return error(kEINVAL);
  PathBuffer path;
  if (const std::int64_t e = read_path(user_path, path); e != 0) return e;
  kfiles::ProcPath proc;
  switch (kfiles::lookup_proc(path.view(), process().pid, true, &proc)) {
    case kfiles::ProcLookup::kFound: return (mode & kWOk) ? error(kEACCES) : 0;
    case kfiles::ProcLookup::kMissing: return error(kENOENT);
    case kfiles::ProcLookup::kNotProc: break;
  }
  auto found = resolve_at(dirfd, path.view(), (flags & kAtSymlinkNofollow) == 0);
  if (!found) return error(found.error());
  // Root may read and write anything; execute needs some execute bit (or a directory).
  if (mode & kXOk) {
    const ramfs::Stat st = found.value()->stat();
    const bool directory = found.value()->is_directory();
    if (!directory && (st.mode & 0111) == 0) return error(kEACCES);
  }
  (void)kFOk;
  return 0;
}

std::int64_t mkdir_at(std::int64_t dirfd, std::uint64_t user_path, std::uint64_t mode) {
  PathBuffer path;
  if (const std::int64_t e = read_path(user_path, path); e != 0) return e;
  auto parent = resolve_parent_at(dirfd, path.view());
  if (!parent) return error(parent.error());
  ramfs::ParentAndName& pn = parent.value();
  if (pn.length == 0) return error(kEEXIST);  // "/"
  ramfs::NodeAttributes attrs;
  attrs.mode = static_cast<std::uint32_t>(mode) & 07777 & ~process().umask.load();
  attrs.time_ns = file_time_now();
  auto made = pn.dir->fs().create(*pn.dir, pn.last(), ramfs::NodeType::kDirectory, attrs);
  return made ? 0 : error(static_cast<int>(made.error()));
}

std::int64_t unlink_at(std::int64_t dirfd, std::uint64_t user_path, std::uint64_t flags) {
  if ((flags & ~kAtRemovedir) != 0) return error(kEINVAL);
  PathBuffer path;
  if (const std::int64_t e = read_path(user_path, path); e != 0) return e;
  auto parent = resolve_parent_at(dirfd, path.view());
  if (!parent) return error(parent.error());
  ramfs::ParentAndName& pn = parent.value();
  ramfs::Filesystem& fs = pn.dir->fs();
  if (flags & kAtRemovedir) {
    auto r = fs.rmdir(*pn.dir, pn.last(), file_time_now());
    return r ? 0 : error(static_cast<int>(r.error()));
  }
  if (pn.trailing_slash) {
    auto found = fs.lookup(*pn.dir, pn.last());
    if (found && found.value()->is_directory()) return error(kEISDIR);
    return error(found ? kENOTDIR : static_cast<int>(found.error()));
  }
  auto r = fs.unlink(*pn.dir, pn.last(), file_time_now());
  return r ? 0 : error(static_cast<int>(r.error()));
}

std::int64_t rename_at(std::int64_t old_dirfd, std::uint64_t old_user, std::int64_t new_dirfd,
                       std::uint64_t new_user, std::uint64_t flags) {
  if ((flags & ~(kRenameNoreplace | kRenameExchange | kRenameWhiteout)) != 0) return error(kEINVAL);
  if (flags & (kRenameExchange | kRenameWhiteout)) return error(kEINVAL);  // not supported here
  PathBuffer from, to;
  if (const std::int64_t e = read_path(old_user, from); e != 0) return e;
  if (const std::int64_t e = read_path(new_user, to); e != 0) return e;
  auto a = resolve_parent_at(old_dirfd, from.view());
  if (!a) return error(a.error());
  auto b = resolve_parent_at(new_dirfd, to.view());
  if (!b) return error(b.error());
  ramfs::ParentAndName& pa = a.value();
  ramfs::ParentAndName& pb = b.value();
  if ((flags & kRenameNoreplace) && pb.dir->fs().lookup(*pb.dir, pb.last())) return error(kEEXIST);
  auto r = pa.dir->fs().rename(*pa.dir, pa.last(), *pb.dir, pb.last(), file_time_now());
  return r ? 0 : error(static_cast<int>(r.error()));
}

std::int64_t symlink_at(std::uint64_t target_user, std::int64_t dirfd, std::uint64_t link_user) {
  PathBuffer target, link;
  if (const std::int64_t e = read_path(target_user, target); e != 0) return e;
  if (const std::int64_t e = read_path(link_user, link); e != 0) return e;
  auto parent = resolve_parent_at(dirfd, link.view());
  if (!parent) return error(parent.error());
  ramfs::ParentAndName& pn = parent.value();
  if (pn.length == 0) return error(kEEXIST);
  ramfs::NodeAttributes attrs;
  attrs.mode = 0777;
  attrs.time_ns = file_time_now();
  auto made = pn.dir->fs().create(*pn.dir, pn.last(), ramfs::NodeType::kSymlink, attrs,
                                  target.view());
  return made ? 0 : error(static_cast<int>(made.error()));
}

std::int64_t readlink_at(std::int64_t dirfd, std::uint64_t user_path, std::uint64_t buffer,
                         std::uint64_t size) {
  if (static_cast<std::int64_t>(size) <= 0) return error(kEINVAL);
  PathBuffer path;
  if (const std::int64_t e = read_path(user_path, path); e != 0) return e;
  kfiles::ProcPath proc;
  switch (kfiles::lookup_proc(path.view(), process().pid, false, &proc)) {
    case kfiles::ProcLookup::kFound: {
      char target[256];
      const std::int64_t n = kfiles::readlink_proc(proc, process().pid, target, sizeof(target));
      if (n < 0) return n;
      const std::uint64_t m = static_cast<std::uint64_t>(n) < size ? static_cast<std::uint64_t>(n) : size;
      return arch::copy_to_user(buffer, target, m) ? static_cast<std::int64_t>(m) : error(kEFAULT);
    }
    case kfiles::ProcLookup::kMissing: return error(kENOENT);
    case kfiles::ProcLookup::kNotProc: break;
  }
  auto found = resolve_at(dirfd, path.view(), false);
  if (!found) return error(found.error());
  if (found.value()->type() != ramfs::NodeType::kSymlink) return error(kEINVAL);
  const fmt::StringView target = found.value()->symlink_target();
  const std::uint64_t n = target.length < size ? target.length : size;
  if (!arch::copy_to_user(buffer, target.data, n)) return error(kEFAULT);
  return static_cast<std::int64_t>(n);
}

// getcwd: the path from the root to the working directory, found by walking ".." and looking
// each directory up in its parent by inode number (correct after renames).
class FindIno final : public ramfs::DirSink {
 public:
  explicit FindIno(std::uint64_t ino) : ino_(ino) {}
  bool emit(fmt::StringView name, std::uint64_t ino, ramfs::NodeType, std::uint64_t) override {
    if (found_ || ino != ino_ || (name.length == 1 && name.data[0] == '.') ||
        (name.length == 2 && name.data[0] == '.' && name.data[1] == '.')) {
      return true;
    }
    for (std::size_t i = 0; i < name.length && i < sizeof(name_); ++i) name_[i] = name.data[i];
    length_ = name.length < sizeof(name_) ? name.length : sizeof(name_);
    found_ = true;
    return true;
  }
  bool found() const { return found_; }
  fmt::StringView name() const { return {name_, length_}; }

 private:
  std::uint64_t ino_;
  bool found_ = false;
  char name_[256];
  std::size_t length_ = 0;
};

}  // namespace

std::int64_t stat_path_at(std::int64_t dirfd, std::uint64_t user_path, std::uint64_t flags,
                          kfiles::FileStat* out) {
  PathBuffer path;
  const std::int64_t e = read_path(user_path, path);
  if (e == -kENOENT && (flags & kAtEmptyPath)) {
    // fstatat(fd, "", AT_EMPTY_PATH): the descriptor itself (AT_FDCWD: the working directory).
    if (static_cast<std::int32_t>(dirfd) != kAtFdcwd) {
      kfiles::FileRef f = file_of(static_cast<std::uint64_t>(dirfd));
      if (!f) return error(kEBADF);
      *out = f->stat();
      return 0;
    }
    auto cwd = resolve_at(kAtFdcwd, ".", true);
    if (!cwd) return error(cwd.error());
    *out = kfiles::stat_of(*cwd.value());
    return 0;
  }
  if (e != 0) return e;
  kfiles::ProcPath proc;
  switch (kfiles::lookup_proc(path.view(), process().pid, (flags & kAtSymlinkNofollow) == 0, &proc)) {
    case kfiles::ProcLookup::kFound: *out = kfiles::stat_proc(proc); return 0;
    case kfiles::ProcLookup::kMissing: return error(kENOENT);
    case kfiles::ProcLookup::kNotProc: break;
  }
  auto found = resolve_at(dirfd, path.view(), (flags & kAtSymlinkNofollow) == 0);
  if (!found) return error(found.error());
  *out = kfiles::stat_of(*found.value());
  return 0;
}


PLEIADES_SYSCALL(sys_open) {
  (void)frame;
  return open_at(kAtFdcwd, args.a0, args.a1, args.a2);
}

PLEIADES_SYSCALL(sys_openat) {
  (void)frame;
  return open_at(static_cast<std::int32_t>(args.a0), args.a1, args.a2, args.a3);
}

PLEIADES_SYSCALL(sys_creat) {
  (void)frame;
  return open_at(kAtFdcwd, args.a0, kfiles::kCreate | kfiles::kWriteOnly | kfiles::kTruncate,
                 args.a1);
}

PLEIADES_SYSCALL(sys_stat) {
  (void)frame;
  return stat_at(kAtFdcwd, args.a0, args.a1, 0);
}

PLEIADES_SYSCALL(sys_lstat) {
  (void)frame;
  return stat_at(kAtFdcwd, args.a0, args.a1, kAtSymlinkNofollow);
}

PLEIADES_SYSCALL(sys_newfstatat) {
  (void)frame;
  return stat_at(static_cast<std::int32_t>(args.a0), args.a1, args.a2, args.a3);
}

PLEIADES_SYSCALL(sys_access) {
  (void)frame;
  return access_at(kAtFdcwd, args.a0, args.a1, 0);
}

PLEIADES_SYSCALL(sys_faccessat) {
  (void)frame;
  return access_at(static_cast<std::int32_t>(args.a0), args.a1, args.a2, 0);
}

PLEIADES_SYSCALL(sys_faccessat2) {
  (void)frame;
  return access_at(static_cast<std::int32_t>(args.a0), args.a1, args.a2, args.a3);
}

PLEIADES_SYSCALL(sys_chdir) {
  (void)frame;
  PathBuffer path;
  if (const std::int64_t e = read_path(args.a0, path); e != 0) return e;
  auto found = resolve_at(kAtFdcwd, path.view(), true);
  if (!found) return error(found.error());
  if (!found.value()->is_directory()) return error(kENOTDIR);
  kproc::Process& p = process();
  ramfs::NodeRef old;
  {
    smp::Guard g{p.cwd_lock};
    old = static_cast<ramfs::NodeRef&&>(p.cwd);
    p.cwd = static_cast<ramfs::NodeRef&&>(found.value());
  }
  return 0;  // `old` goes here, outside the lock
}

PLEIADES_SYSCALL(sys_fchdir) {
  (void)frame;
  kfiles::FileRef f = file_of(args.a0);
  if (!f) return error(kEBADF);
  ramfs::Node* n = f->node();
  if (n == nullptr || !n->is_directory()) return error(kENOTDIR);
  kproc::Process& p = process();
  ramfs::NodeRef next = ramfs::NodeRef::share(*n);
  ramfs::NodeRef old;
  {
    smp::Guard g{p.cwd_lock};
    old = static_cast<ramfs::NodeRef&&>(p.cwd);
    p.cwd = static_cast<ramfs::NodeRef&&>(next);
  }
  return 0;
}

namespace {

// The working directory's path, built backwards into the end of `out`: the offset where it
// starts (NUL-terminated at kPathMax - 1), or -errno.
std::int64_t cwd_text(PathBuffer& out) {
  ramfs::Filesystem* fs = initramfs::root_filesystem();
  if (fs == nullptr) return -kENOENT;
  auto cwd = resolve_at(kAtFdcwd, ".", true);
  if (!cwd) return -static_cast<std::int64_t>(cwd.error());
  if (out.text == nullptr) return -kENOMEM;
  std::int64_t at = static_cast<std::int64_t>(kPathMax) - 1;
  out.text[at] = '\0';
  ramfs::NodeRef node = static_cast<ramfs::NodeRef&&>(cwd.value());
  for (int depth = 0; !fs->is_root(*node); ++depth) {
    if (depth > 2048) return -kENAMETOOLONG;
    auto parent = fs->lookup(*node, "..");
    if (!parent) return -kENOENT;  // the working directory was removed
    FindIno finder(node->ino());
    if (!fs->readdir(*parent.value(), 0, finder) || !finder.found()) return -kENOENT;
    const fmt::StringView name = finder.name();
    if (at < static_cast<std::int64_t>(name.length) + 1) return -kENAMETOOLONG;
    at -= static_cast<std::int64_t>(name.length);
    __builtin_memcpy(out.text + at, name.data, name.length);
    out.text[--at] = '/';
    node = static_cast<ramfs::NodeRef&&>(parent.value());
  }
  if (at == static_cast<std::int64_t>(kPathMax) - 1) out.text[--at] = '/';
  return at;
}

}  // namespace

PLEIADES_SYSCALL(sys_getcwd) {
  (void)frame;
  const std::uint64_t buffer = args.a0, size = args.a1;
  if (size == 0) return error(kEINVAL);
  PathBuffer out;
  const std::int64_t at = cwd_text(out);
  if (at < 0) return at;
  const std::uint64_t length = static_cast<std::uint64_t>(kPathMax - 1 - at) + 1;  // with NUL
  if (length > size) return error(kERANGE);
  if (!arch::copy_to_user(buffer, out.text + at, length)) return error(kEFAULT);
  return static_cast<std::int64_t>(length);
}

PLEIADES_SYSCALL(sys_mkdir) {
  (void)frame;
  return mkdir_at(kAtFdcwd, args.a0, args.a1);
}

PLEIADES_SYSCALL(sys_mkdirat) {
  (void)frame;
  return mkdir_at(static_cast<std::int32_t>(args.a0), args.a1, args.a2);
}

PLEIADES_SYSCALL(sys_rmdir) {
  (void)frame;
  return unlink_at(kAtFdcwd, args.a0, kAtRemovedir);
}

PLEIADES_SYSCALL(sys_unlink) {
  (void)frame;
  return unlink_at(kAtFdcwd, args.a0, 0);
}

PLEIADES_SYSCALL(sys_unlinkat) {
  (void)frame;
  return unlink_at(static_cast<std::int32_t>(args.a0), args.a1, args.a2);
}

PLEIADES_SYSCALL(sys_rename) {
  (void)frame;
  return rename_at(kAtFdcwd, args.a0, kAtFdcwd, args.a1, 0);
}

PLEIADES_SYSCALL(sys_renameat) {
  (void)frame;
  return rename_at(static_cast<std::int32_t>(args.a0), args.a1, static_cast<std::int32_t>(args.a2),
                   args.a3, 0);
}

PLEIADES_SYSCALL(sys_renameat2) {
  (void)frame;
  return rename_at(static_cast<std::int32_t>(args.a0), args.a1, static_cast<std::int32_t>(args.a2),
                   args.a3, args.a4);
}

PLEIADES_SYSCALL(sys_symlink) {
  (void)frame;
  return symlink_at(args.a0, kAtFdcwd, args.a1);
}

PLEIADES_SYSCALL(sys_symlinkat) {
  (void)frame;
  return symlink_at(args.a0, static_cast<std::int32_t>(args.a1), args.a2);
}

PLEIADES_SYSCALL(sys_readlink) {
  (void)frame;
  return readlink_at(kAtFdcwd, args.a0, args.a1, args.a2);
}

PLEIADES_SYSCALL(sys_readlinkat) {
  (void)frame;
  return readlink_at(static_cast<std::int32_t>(args.a0), args.a1, args.a2, args.a3);
}

PLEIADES_SYSCALL(sys_truncate) {
  (void)frame;
  if (static_cast<std::int64_t>(args.a1) < 0) return error(kEINVAL);
  PathBuffer path;
  if (const std::int64_t e = read_path(args.a0, path); e != 0) return e;
  auto found = resolve_at(kAtFdcwd, path.view(), true);
  if (!found) return error(found.error());
  if (found.value()->is_directory()) return error(kEISDIR);
  if (found.value()->type() != ramfs::NodeType::kRegular) return error(kEINVAL);
  auto r = found.value()->truncate(args.a1, file_time_now());
  return r ? 0 : error(static_cast<int>(r.error()));
}

PLEIADES_SYSCALL(sys_umask) {
  (void)frame;
  return process().umask.exchange(static_cast<std::uint32_t>(args.a0) & 0777);
}

}  // namespace ksys

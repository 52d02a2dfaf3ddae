#include "kernel/syscalls/file_helpers.h"

#include "kernel/abi/errno.h"
#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/fs/initramfs/boot_archive.h"
#include "kernel/proc/process.h"
#include "kernel/time/rtc.h"
#include "smp/locks/guard.h"

namespace ksys {
namespace {

using namespace kabi;

kproc::Process& process() { return *kproc::current_user_thread()->process; }

// struct stat of x86-64 Linux (arch/x86/include/uapi/asm/stat.h): 144 bytes.
struct LinuxStat {
  std::uint64_t dev, ino, nlink;
  std::uint32_t mode, uid, gid, pad0;
  std::uint64_t rdev;
  std::int64_t size, blksize, blocks;
  std::int64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
  std::int64_t unused[3];
};
static_assert(sizeof(LinuxStat) == 144);

// The directory a relative path starts from.
klib::Result<ramfs::NodeRef, int> start_of(std::int64_t dirfd, fmt::StringView path) {
  ramfs::Filesystem* fs = initramfs::root_filesystem();
  if (fs == nullptr) return klib::make_error(kENOENT);
  if (path.length != 0 && path.data[0] == '/') return fs->root();
  if (static_cast<std::int32_t>(dirfd) == kAtFdcwd) {
    kproc::Process& p = process();
    smp::Guard g{p.cwd_lock};
    if (!p.cwd) return fs->root();
    return ramfs::NodeRef::share(*p.cwd);
  }
  kfiles::FileRef f = file_of(static_cast<std::uint64_t>(dirfd));
  if (!f) return klib::make_error(kEBADF);
  ramfs::Node* n = f->node();
  if (n == nullptr || !n->is_directory()) return klib::make_error(kENOTDIR);
  return ramfs::NodeRef::share(*n);
}

}  // namespace

kfiles::FdTable& fd_table() { return *process().files; }

int fd_limit() {
  kproc::Process& p = process();
  std::uint64_t soft;
  {
    smp::Guard g{p.actions_lock};
    soft = p.limits[kproc::kRlimitNofile].current;
  }
  return soft < kfiles::FdTable::kMaxFds ? static_cast<int>(soft) : kfiles::FdTable::kMaxFds;
}

kfiles::FileRef file_of(std::uint64_t fd) {
  if (fd > 0x7fffffff) return kfiles::FileRef{};
  return fd_table().get(static_cast<int>(fd));
}

std::int64_t copy_stat_out(std::uint64_t user, const kfiles::FileStat& st) {
  LinuxStat out{};
  out.dev = st.dev;
  out.ino = st.ino;
  out.nlink = st.nlink;
  out.mode = st.mode;
  out.uid = st.uid;
  out.gid = st.gid;
  out.rdev = st.rdev;
  out.size = static_cast<std::int64_t>(st.size);
  out.blksize = st.blksize;
  out.blocks = static_cast<std::int64_t>(st.blocks);
  constexpr std::int64_t kNs = 1'000'000'000;
  out.atime = st.atime_ns / kNs;
  out.atime_ns = st.atime_ns % kNs;
  out.mtime = st.mtime_ns / kNs;
  out.mtime_ns = st.mtime_ns % kNs;
  out.ctime = st.ctime_ns / kNs;
  out.ctime_ns = st.ctime_ns % kNs;
  return arch::copy_to_user(user, &out, sizeof(out)) ? 0 : -kEFAULT;
}

std::int64_t copy_path(std::uint64_t user, char* out) {
  const std::int64_t n = arch::strncpy_from_user(out, user, kPathMax);
  if (n == -1) return -kEFAULT;
  if (n == -2) return -kENAMETOOLONG;
  if (n == 0) return -kENOENT;
  return n;
}

klib::Result<ramfs::NodeRef, int> resolve_at(std::int64_t dirfd, fmt::StringView path,
                                            bool follow_last) {
  auto start = start_of(dirfd, path);
  if (!start) return klib::make_error(start.error());
  auto found = ramfs::resolve(*start.value(), path, follow_last);
  if (!found) return klib::make_error(static_cast<int>(found.error()));
  return static_cast<ramfs::NodeRef&&>(found.value());
}

klib::Result<ramfs::ParentAndName, int> resolve_parent_at(std::int64_t dirfd,
                                                          fmt::StringView path) {
  auto start = start_of(dirfd, path);
  if (!start) return klib::make_error(start.error());
  auto found = ramfs::resolve_parent(*start.value(), path);
  if (!found) return klib::make_error(static_cast<int>(found.error()));
  return static_cast<ramfs::ParentAndName&&>(found.value());
}

std::int64_t file_time_now() { return static_cast<std::int64_t>(ktime::realtime_ns()); }

}  // namespace ksys

// statx(2): the status of any file (ramfs nodes, devices, pipes, message queues, /proc) in
// struct statx, from the same FileStat newfstatat reports, so both give the same numbers.
#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/handlers.h"

namespace ksys {
namespace {

using namespace kabi;

// struct statx (include/uapi/linux/stat.h): 256 bytes.
struct StatxTimestamp {
  std::int64_t seconds;
  std::uint32_t nanoseconds;
  std::int32_t reserved;
};
struct LinuxStatx {
  std::uint32_t mask, blksize;
  std::uint64_t attributes;
  std::uint32_t nlink, uid, gid;
  std::uint16_t mode, spare0;
  std::uint64_t ino, size, blocks, attributes_mask;
  StatxTimestamp atime, btime, ctime, mtime;
  std::uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
  std::uint64_t spare[14];
};
static_assert(sizeof(LinuxStatx) == 256);
static_assert(__builtin_offsetof(LinuxStatx, atime) == 64);
static_assert(__builtin_offsetof(LinuxStatx, rdev_major) == 128);

// AT_ flags statx takes, and its sync-type field (both bits set is invalid).
constexpr std::uint64_t kAtNoAutomount = 0x800;
constexpr std::uint64_t kAtStatxSyncType = 0x6000;
// STATX_BASIC_STATS: type, mode, nlink, uid, gid, atime, mtime, ctime, ino, size, blocks: what
// FileStat holds, so what stx_mask reports (no birth time, no mount id).
constexpr std::uint32_t kStatxBasicStats = 0x7ff;
constexpr std::uint32_t kStatxReserved = 0x80000000u;

// The halves of a device number in Linux's encoding (new_encode_dev, what st_dev holds), as
// glibc's and musl's major() and minor() take it apart.
std::uint32_t major_of(std::uint64_t dev) {
  return static_cast<std::uint32_t>(((dev >> 32) & 0xfffff000u) | ((dev >> 8) & 0xfffu));
}
std::uint32_t minor_of(std::uint64_t dev) {
  return static_cast<std::uint32_t>(((dev >> 12) & 0xffffff00u) | (dev & 0xffu));
}

StatxTimestamp timestamp(std::int64_t ns) {
  constexpr std::int64_t kNs = 1'000'000'000;
  std::int64_t s = ns / kNs, rest = ns % kNs;
  if (rest < 0) {  // times before 1970: the nanoseconds stay in [0, 1e9)
    rest += kNs;
    --s;
  }
  return {s, static_cast<std::uint32_t>(rest), 0};
}

}  // namespace

PLEIADES_SYSCALL(sys_statx) {
  (void)frame;
  const std::int64_t dirfd = static_cast<std::int32_t>(args.a0);
  const std::uint64_t flags = args.a2 & 0xffffffffu;
  const auto mask = static_cast<std::uint32_t>(args.a3);
  if ((mask & kStatxReserved) != 0) return error(kEINVAL);
  if ((flags & kAtStatxSyncType) == kAtStatxSyncType) return error(kEINVAL);
  if ((flags & ~(kAtSymlinkNofollow | kAtNoAutomount | kAtEmptyPath | kAtStatxSyncType)) != 0) {
    return error(kEINVAL);
  }
  kfiles::FileStat st;
  if (const std::int64_t e =
          stat_path_at(dirfd, args.a1, flags & (kAtSymlinkNofollow | kAtEmptyPath), &st);
      e != 0) {
    return e;
  }
  LinuxStatx out{};
  out.mask = kStatxBasicStats;
  out.blksize = st.blksize;
  out.nlink = st.nlink;
  out.uid = st.uid;
  out.gid = st.gid;
  out.mode = static_cast<std::uint16_t>(st.mode);
  out.ino = st.ino;
  out.size = st.size;
  out.blocks = st.blocks;
  out.atime = timestamp(st.atime_ns);
  out.mtime = timestamp(st.mtime_ns);
  out.ctime = timestamp(st.ctime_ns);
  out.rdev_major = major_of(st.rdev);
  out.rdev_minor = minor_of(st.rdev);
  out.dev_major = major_of(st.dev);
  out.dev_minor = minor_of(st.dev);
  return arch::copy_to_user(args.a4, &out, sizeof(out)) ? 0 : error(kEFAULT);
}

}  // namespace ksys

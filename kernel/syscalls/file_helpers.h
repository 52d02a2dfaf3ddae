// What the file system calls share: the caller's descriptor table, descriptor lookup, the
// stat layout, user paths and resolving them against a directory descriptor.
#pragma once

#include <cstdint>

#include "kernel/files/fd_table.h"
#include "kernel/files/file.h"
#include "kernel/fs/ramfs/path.h"
#include "smp/klib/result.h"

namespace ksys {

inline constexpr int kAtFdcwd = -100;
inline constexpr std::uint64_t kAtSymlinkNofollow = 0x100;
inline constexpr std::uint64_t kAtRemovedir = 0x200;
inline constexpr std::uint64_t kAtEaccess = 0x200;
inline constexpr std::uint64_t kAtEmptyPath = 0x1000;
inline constexpr std::uint64_t kPathMax = 4096;

kfiles::FdTable& fd_table();
// The calling process's RLIMIT_NOFILE soft limit, capped at the table's size.
int fd_limit();
// The file at descriptor `fd` (an empty reference: EBADF).
kfiles::FileRef file_of(std::uint64_t fd);

// Writes `st` as struct stat (x86-64 layout) to user memory: 0 or -EFAULT.
std::int64_t copy_stat_out(std::uint64_t user, const kfiles::FileStat& st);

// The status of what `user_path` names relative to `dirfd` (flags: AT_SYMLINK_NOFOLLOW,
// AT_EMPTY_PATH; the caller checks them), /proc included, into `*out`: 0 or -errno
// (copy_path's, resolve_at's, EBADF). (paths.cc)
std::int64_t stat_path_at(std::int64_t dirfd, std::uint64_t user_path, std::uint64_t flags,
                          kfiles::FileStat* out);

// A user path, copied into `out` (kPathMax bytes): its length, or -EFAULT / -ENAMETOOLONG /
// -ENOENT (empty).
std::int64_t copy_path(std::uint64_t user, char* out);

// The node `path` names, relative to `dirfd` (AT_FDCWD: the working directory) unless
// absolute. -errno: EBADF, ENOTDIR (dirfd), and resolve's errors.
klib::Result<ramfs::NodeRef, int> resolve_at(std::int64_t dirfd, fmt::StringView path,
                                            bool follow_last);
klib::Result<ramfs::ParentAndName, int> resolve_parent_at(std::int64_t dirfd,
                                                          fmt::StringView path);

// The current time for file times.
std::int64_t file_time_now();

}  // namespace ksys

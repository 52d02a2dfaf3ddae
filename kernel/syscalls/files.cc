// Descriptor system calls: read, write, readv, writev, pread64, pwrite64, lseek, ioctl, close,
// dup, dup2, dup3, fcntl, fstat, getdents64, ftruncate, fsync, fdatasync, syncfs, sync. Each looks its descriptor up once (a
// counted reference: a close on another CPU meanwhile only drops the table's reference).
#include <new>

#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/files/fd_table.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/handlers.h"
#include "sched/sync/mutex.h"

namespace ksys {
namespace {

using namespace kabi;

// Linux's MAX_RW_COUNT and UIO_MAXIOV.
constexpr std::uint64_t kMaxRwCount = 0x7ffff000;
constexpr std::int64_t kMaxIov = 1024;

constexpr std::uint64_t kSeekSet = 0, kSeekCur = 1, kSeekEnd = 2;
constexpr std::uint64_t kFDupfd = 0, kFGetfd = 1, kFSetfd = 2, kFGetfl = 3, kFSetfl = 4,
                        kFDupfdCloexec = 1030;
constexpr std::uint64_t kFdCloexec = 1;

struct IoVec {
  std::uint64_t base;
  std::uint64_t length;
};

// One transfer at `*pos` (or the file's own position when pos is null and it has one).
std::int64_t transfer(kfiles::File& f, bool write, std::uint64_t buffer, std::uint64_t length,
                      const std::uint64_t* at) {
  if (write ? !f.writable() : !f.readable()) return error(kEBADF);
  if (length > kMaxRwCount) length = kMaxRwCount;
  if (!arch::user_range_ok(buffer, length)) return error(kEFAULT);
  if (at != nullptr) {
    if (!f.seekable() && !f.offset_ignored()) return error(kESPIPE);
    std::uint64_t pos = *at;
    return write ? f.write(buffer, length, &pos) : f.read(buffer, length, &pos);
  }
  if (!f.seekable()) {
    std::uint64_t ignored = 0;
    return write ? f.write(buffer, length, &ignored) : f.read(buffer, length, &ignored);
  }
  sched::MutexGuard g(f.position_lock);
  return write ? f.write(buffer, length, &f.position) : f.read(buffer, length, &f.position);
}

template <bool kWrite>
std::int64_t vector_io(const Args& args, const std::uint64_t* at) {
  kfiles::FileRef f = file_of(args.a0);
  if (!f) return error(kEBADF);
  const std::uint64_t iov = args.a1;
  const auto count = static_cast<std::int64_t>(args.a2);
  if (count < 0 || count > kMaxIov) return error(kEINVAL);
  // The vector is copied into the kernel once (at most 1024 entries, 16 KiB) and only the copy
  // is used: every length is checked before anything moves, and the same lengths drive the
  // transfers, whatever another thread writes to the user's array meanwhile.
  auto* vec = new (std::nothrow) IoVec[count == 0 ? 1 : count];
  if (vec == nullptr) return error(kENOMEM);
  struct FreeVec {
    IoVec* p;
    ~FreeVec() { delete[] p; }
  } free_vec{vec};
  if (!arch::copy_from_user(vec, iov, static_cast<std::uint64_t>(count) * sizeof(IoVec))) {
    return error(kEFAULT);
  }
  std::uint64_t total = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    if (static_cast<std::int64_t>(vec[i].length) < 0) return error(kEINVAL);
    total += vec[i].length;
    if (total > 0x7fffffffffffffffull) return error(kEINVAL);
  }
  std::uint64_t position = at != nullptr ? *at : 0;
  std::int64_t done = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    const IoVec& v = vec[i];
    if (v.length == 0) continue;
    const std::int64_t n = transfer(*f, kWrite, v.base, v.length, at != nullptr ? &position : nullptr);
    if (n < 0) return done != 0 ? done : n;
    done += n;
    position += static_cast<std::uint64_t>(n);
    if (static_cast<std::uint64_t>(n) < v.length) break;  // a short transfer ends the call
  }
  return done;
}

}  // namespace

PLEIADES_SYSCALL(sys_read) {
  (void)frame;
  kfiles::FileRef f = file_of(args.a0);
  return f ? transfer(*f, false, args.a1, args.a2, nullptr) : error(kEBADF);
}

PLEIADES_SYSCALL(sys_write) {
  (void)frame;
  kfiles::FileRef f = file_of(args.a0);
  return f ? transfer(*f, true, args.a1, args.a2, nullptr) : error(kEBADF);
}

PLEIADES_SYSCALL(sys_pread64) {
  (void)frame;
  kfiles::FileRef f = file_of(args.a0);
  if (!f) return error(kEBADF);
  if (static_cast<std::int64_t>(args.a3) < 0) return error(kEINVAL);
  return transfer(*f, false, args.a1, args.a2, &args.a3);
}

PLEIADES_SYSCALL(sys_pwrite64) {
  (void)frame;
  kfiles::FileRef f = file_of(args.a0);
  if (!f) return error(kEBADF);
  if (static_cast<std::int64_t>(args.a3) < 0) return error(kEINVAL);
  return transfer(*f, true, args.a1, args.a2, &args.a3);
}

PLEIADES_SYSCALL(sys_readv) {
  (void)frame;
  return vector_io<false>(args, nullptr);
}

PLEIADES_SYSCALL(sys_writev) {
  (void)frame;
  return vector_io<true>(args, nullptr);
}

PLEIADES_SYSCALL(sys_lseek) {
  (void)frame;
  kfiles::FileRef f = file_of(args.a0);
  if (!f) return error(kEBADF);
  if (f->offset_ignored()) return 0;
  if (!f->seekable()) return error(kESPIPE);
  const auto offset = static_cast<std::int64_t>(args.a1);
  sched::MutexGuard g(f->position_lock);
  std::int64_t base;
  switch (args.a2) {
    case kSeekSet: base = 0; break;
    case kSeekCur: base = static_cast<std::int64_t>(f->position); break;
    case kSeekEnd: base = f->size(); break;
    default: return error(kEINVAL);
  }
  if (base < 0) return base;
  if ((offset > 0 && base > 0x7fffffffffffffffll - offset)) return error(kEOVERFLOW);
  const std::int64_t target = base + offset;
  if (target < 0) return error(kEINVAL);
  f->position = static_cast<std::uint64_t>(target);
  return target;
}

PLEIADES_SYSCALL(sys_ioctl) {
  (void)frame;
  kfiles::FileRef f = file_of(args.a0);
  return f ? f->ioctl(args.a1, args.a2) : error(kEBADF);
}

PLEIADES_SYSCALL(sys_close) {
  (void)frame;
  if (args.a0 > 0x7fffffff) return error(kEBADF);
  return fd_table().close(static_cast<int>(args.a0));
}

PLEIADES_SYSCALL(sys_dup) {
  (void)frame;
  kfiles::FileRef f = file_of(args.a0);
  if (!f) return error(kEBADF);
  return fd_table().install(static_cast<kfiles::FileRef&&>(f), false, 0, fd_limit());
}

PLEIADES_SYSCALL(sys_dup2) {
  (void)frame;
  kfiles::FileRef f = file_of(args.a0);
  if (!f) return error(kEBADF);
  if (args.a0 == args.a1) return static_cast<std::int64_t>(args.a1);
  if (args.a1 >= static_cast<std::uint64_t>(fd_limit())) return error(kEBADF);
  return fd_table().install_at(static_cast<int>(args.a1), static_cast<kfiles::FileRef&&>(f), false,
                               fd_limit());
}

PLEIADES_SYSCALL(sys_dup3) {
  (void)frame;
  if ((args.a2 & ~static_cast<std::uint64_t>(kfiles::kCloexec)) != 0) return error(kEINVAL);
  if (args.a0 == args.a1) return error(kEINVAL);
  kfiles::FileRef f = file_of(args.a0);
  if (!f) return error(kEBADF);
  if (args.a1 >= static_cast<std::uint64_t>(fd_limit())) return error(kEBADF);
  return fd_table().install_at(static_cast<int>(args.a1), static_cast<kfiles::FileRef&&>(f),
                               (args.a2 & kfiles::kCloexec) != 0, fd_limit());
}

PLEIADES_SYSCALL(sys_fcntl) {
  (void)frame;
  const auto fd = static_cast<int>(args.a0);
  kfiles::FileRef f = file_of(args.a0);
  if (!f) return error(kEBADF);
  switch (args.a1) {
    case kFDupfd:
    case kFDupfdCloexec: {
      const auto lowest = static_cast<std::int64_t>(static_cast<std::int32_t>(args.a2));
      if (lowest < 0 || lowest >= fd_limit()) return error(kEINVAL);
      return fd_table().install(static_cast<kfiles::FileRef&&>(f), args.a1 == kFDupfdCloexec,
                                static_cast<int>(lowest), fd_limit());
    }
    case kFGetfd: {
      const int c = fd_table().cloexec(fd);
      return c < 0 ? c : (c != 0 ? kFdCloexec : 0);
    }
    case kFSetfd:
      return fd_table().set_cloexec(fd, (args.a2 & kFdCloexec) != 0);
    case kFGetfl:
      return f->flags() | kfiles::kLargefile;
    case kFSetfl:
      f->set_status_flags(static_cast<std::uint32_t>(args.a2));
      return 0;
    default:
      return error(kEINVAL);
  }
}

PLEIADES_SYSCALL(sys_fstat) {
  (void)frame;
  kfiles::FileRef f = file_of(args.a0);
  if (!f) return error(kEBADF);
  return copy_stat_out(args.a1, f->stat());
}

PLEIADES_SYSCALL(sys_getdents64) {
  (void)frame;
  kfiles::FileRef f = file_of(args.a0);
  if (!f) return error(kEBADF);
  if (!arch::user_range_ok(args.a1, args.a2)) return error(kEFAULT);
  sched::MutexGuard g(f->position_lock);
  return f->read_directory(args.a1, args.a2, &f->position);
}

PLEIADES_SYSCALL(sys_ftruncate) {
  (void)frame;
  kfiles::FileRef f = file_of(args.a0);
  if (!f) return error(kEBADF);
  if (static_cast<std::int64_t>(args.a1) < 0) return error(kEINVAL);
  if (!f->writable()) return error(kEINVAL);
  return f->truncate(args.a1);
}

// Every file system here lives in memory: there is nothing to write back, so syncing a file of
// one succeeds once the descriptor is checked. As Linux, files without a sync operation (pipes,
// terminals, devices, /proc) give EINVAL to fsync and fdatasync; syncfs takes any descriptor.
PLEIADES_SYSCALL(sys_fsync) {
  (void)frame;
  kfiles::FileRef f = file_of(args.a0);
  if (!f) return error(kEBADF);
  return f->node() != nullptr ? 0 : error(kEINVAL);
}

PLEIADES_SYSCALL(sys_syncfs) {
  (void)frame;
  return file_of(args.a0) ? 0 : error(kEBADF);
}

PLEIADES_SYSCALL(sys_sync) {
  (void)frame;
  (void)args;
  return 0;
}

}  // namespace ksys

// mmap (anonymous memory, regular files of the root file system, /dev/zero), munmap, mprotect,
// msync, madvise and brk on the calling process's address space (kernel/vm/address_space.h;
// docs/user-space.md, "File mappings").
#include "kernel/files/file.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/file_helpers.h"
#include "kernel/syscalls/handlers.h"
#include "kernel/vm/address_space.h"

namespace ksys {
namespace {

using namespace kabi;

constexpr std::uint64_t kMapShared = 0x01;
constexpr std::uint64_t kMapPrivate = 0x02;
constexpr std::uint64_t kMapSharedValidate = 0x03;
constexpr std::uint64_t kMapType = 0x0f;
constexpr std::uint64_t kMapFixed = 0x10;
constexpr std::uint64_t kMapAnonymous = 0x20;
constexpr std::uint64_t kMapFixedNoReplace = 0x100000;
// Every flag Linux 6.x knows for mmap (MAP_SHARED_VALIDATE refuses the others).
constexpr std::uint64_t kMapKnown = 0x1fff3f;

constexpr std::uint64_t kMadvNormal = 0, kMadvRandom = 1, kMadvSequential = 2,
                        kMadvWillNeed = 3, kMadvDontNeed = 4, kMadvFree = 8;

constexpr std::uint64_t kMsAsync = 1, kMsInvalidate = 2, kMsSync = 4;

// /dev/zero's device number as stat reports it ((major << 8) | minor: 1, 5).
constexpr std::uint64_t kDevZero = (1 << 8) | 5;
constexpr std::uint32_t kTypeMask = 0170000, kTypeCharDevice = 0020000;

kvm::AddressSpace* space() { return kproc::current_user_thread()->process->space; }

// What a descriptor's file gives a mapping, checked in Linux's order (do_mmap): EACCES for a
// shared writable mapping of a file not open for writing and for any mapping of a file not open
// for reading, then ENODEV for a file that cannot be mapped (pipes, terminals, directories,
// /proc, devices other than /dev/zero). `*anonymous` for /dev/zero: its mappings are anonymous
// memory, as on Linux.
int check_file(kfiles::File& file, std::uint64_t prot, bool shared, bool* anonymous,
               bool* may_write) {
  if (shared && (prot & kvm::kProtWrite) != 0 && !file.writable()) return kEACCES;
  if (!file.readable()) return kEACCES;
  *may_write = file.writable();
  const kfiles::FileStat st = file.stat();
  if ((st.mode & kTypeMask) == kTypeCharDevice && st.rdev == kDevZero && file.node() == nullptr) {
    *anonymous = true;
    return 0;
  }
  ramfs::Node* node = file.node();
  if (node == nullptr || node->type() != ramfs::NodeType::kRegular) return kENODEV;
  return 0;
}

bool prot_ok(std::uint64_t prot) {
  return (prot & ~static_cast<std::uint64_t>(kvm::kProtRead | kvm::kProtWrite | kvm::kProtExec)) == 0;
}

}  // namespace

PLEIADES_SYSCALL(sys_mmap) {
  (void)frame;
  const std::uint64_t addr = args.a0, length = args.a1, prot = args.a2, flags = args.a3;
  const std::uint64_t fd = args.a4, offset = args.a5;
  if (length == 0) return error(kEINVAL);
  const std::uint64_t type = flags & kMapType;
  if (type != kMapShared && type != kMapPrivate && type != kMapSharedValidate) {
    return error(kEINVAL);
  }
  if (type == kMapSharedValidate && (flags & ~kMapKnown) != 0) return error(kEOPNOTSUPP);
  if (!prot_ok(prot)) return error(kEINVAL);
  if (offset % kvm::kPageSize != 0) return error(kEINVAL);
  const bool noreplace = (flags & kMapFixedNoReplace) != 0;
  const bool fixed = (flags & kMapFixed) != 0 || noreplace;
  std::uint32_t kind = type == kMapPrivate ? 0 : kvm::kVmaShared;
  kvm::FileBacking backing;
  kfiles::FileRef file;
  if ((flags & kMapAnonymous) == 0) {
    file = file_of(fd);
    if (!file) return error(kEBADF);
    bool anonymous = false, may_write = false;
    if (const int e = check_file(*file, prot, kind != 0, &anonymous, &may_write); e != 0) {
      return error(e);
    }
    if (!anonymous) {
      // The last page's file offset must fit (Linux's EOVERFLOW for pgoff + pages wrapping).
      if (length > ~0ull - offset) return error(kEOVERFLOW);
      backing.file = file.get();
      backing.offset = offset;
      if (kind != 0 && !may_write) kind |= kvm::kVmaNoWrite;
    }
  }
  auto mapped = space()->map(addr, length, static_cast<std::uint32_t>(prot), kind, fixed,
                             noreplace, backing);
  if (!mapped) return error(mapped.error());
  return static_cast<std::int64_t>(mapped.value());
}

PLEIADES_SYSCALL(sys_munmap) {
  (void)frame;
  const int e = space()->unmap(args.a0, args.a1);
  return e == 0 ? 0 : error(e);
}

PLEIADES_SYSCALL(sys_mprotect) {
  (void)frame;
  if (!prot_ok(args.a2)) return error(kEINVAL);
  const int e = space()->protect(args.a0, args.a1, static_cast<std::uint32_t>(args.a2));
  return e == 0 ? 0 : error(e);
}

PLEIADES_SYSCALL(sys_msync) {
  (void)frame;
  const std::uint64_t addr = args.a0, length = args.a1, flags = args.a2;
  if ((flags & ~(kMsAsync | kMsInvalidate | kMsSync)) != 0) return error(kEINVAL);
  if ((flags & kMsAsync) != 0 && (flags & kMsSync) != 0) return error(kEINVAL);
  // A shared file mapping maps the file's own pages, and a private one never writes back:
  // there is nothing to write or invalidate, only the range to check.
  const int e = space()->sync(addr, length);
  return e == 0 ? 0 : error(e);
}

PLEIADES_SYSCALL(sys_madvise) {
  (void)frame;
  const std::uint64_t addr = args.a0, length = args.a1, advice = args.a2;
  if (addr % kvm::kPageSize != 0) return error(kEINVAL);
  switch (advice) {
    case kMadvDontNeed:
    case kMadvFree: {
      // MADV_FREE may drop the pages at any time; dropping them now is one valid choice.
      const int e = space()->discard(addr, length);
      return e == 0 ? 0 : error(e);
    }
    case kMadvNormal:
    case kMadvRandom:
    case kMadvSequential:
    case kMadvWillNeed:
      return 0;  // access-pattern hints: this kernel does no read-ahead to tune
    default:
      return error(kEINVAL);
  }
}

PLEIADES_SYSCALL(sys_brk) {
  (void)frame;
  return static_cast<std::int64_t>(space()->brk(args.a0));
}

}  // namespace ksys

// mmap (anonymous), munmap, mprotect, madvise and brk on the calling process's address space
// (kernel/vm/address_space.h). Files come with the VFS: a file mapping is refused (EBADF for a
// descriptor that is not open, ENODEV for the console, as Linux answers for a terminal).
#include "kernel/proc/process.h"
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

kvm::AddressSpace* space() { return kproc::current_user_thread()->process->space; }

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
  if ((flags & kMapAnonymous) == 0) {
    return static_cast<std::int64_t>(fd) >= 0 && fd <= 2 ? error(kENODEV) : error(kEBADF);
  }
  const bool noreplace = (flags & kMapFixedNoReplace) != 0;
  const bool fixed = (flags & kMapFixed) != 0 || noreplace;
  const std::uint32_t kind = type == kMapPrivate ? 0 : kvm::kVmaShared;
  auto mapped = space()->map(addr, length, static_cast<std::uint32_t>(prot), kind, fixed,
                             noreplace);
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

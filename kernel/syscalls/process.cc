// Identity, exit, thread bookkeeping (set_tid_address, set_robust_list, arch_prctl), signal
// actions and masks (recorded; delivery comes with signals), resource limits and uname.
#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/arch/x86_64/user_mode.h"
#include "kernel/console/log.h"
#include "kernel/core/boot_state.h"
#include "kernel/core/power.h"
#include "kernel/mm/mm.h"
#include "kernel/proc/load_average.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/time/clock.h"
#include "kernel/syscalls/handlers.h"
#include "smp/locks/guard.h"

namespace ksys {
namespace {

using namespace kabi;

kproc::UserThread& self() { return kproc::calling_user_thread(); }
kproc::Process& process() { return *self().process; }

constexpr std::uint64_t kArchSetGs = 0x1001, kArchSetFs = 0x1002, kArchGetFs = 0x1003,
                        kArchGetGs = 0x1004;
constexpr std::uint64_t kSigsetSize = 8;
constexpr int kSigKill = 9, kSigStop = 19;
constexpr std::uint64_t kUnblockable = (1ull << (kSigKill - 1)) | (1ull << (kSigStop - 1));
constexpr std::uint64_t kSigBlock = 0, kSigUnblock = 1, kSigSetmask = 2;
// struct robust_list_head: three words.
constexpr std::uint64_t kRobustListHeadSize = 24;

struct Utsname {
  char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

void copy_field(char (&to)[65], const char* from) {
  std::size_t i = 0;
  for (; from[i] != '\0' && i < 64; ++i) to[i] = from[i];
  for (; i < 65; ++i) to[i] = '\0';
}

}  // namespace

PLEIADES_SYSCALL(sys_exit) {
  (void)frame;
  kproc::exit_thread(static_cast<int>(args.a0 & 0xff));
}

PLEIADES_SYSCALL(sys_exit_group) {
  (void)frame;
  kproc::exit_process(kproc::exited_status(static_cast<int>(args.a0 & 0xff)));
}

PLEIADES_SYSCALL(sys_getpid) {
  (void)args, (void)frame;
  return process().pid;
}

PLEIADES_SYSCALL(sys_gettid) {
  (void)args, (void)frame;
  return self().tid;
}

PLEIADES_SYSCALL(sys_setpgid) {
  (void)frame;
  return kproc::set_process_group(static_cast<std::int32_t>(args.a0), static_cast<std::int32_t>(args.a1));
}

PLEIADES_SYSCALL(sys_getpgid) {
  (void)frame;
  return kproc::process_group_of(static_cast<std::int32_t>(args.a0));
}

PLEIADES_SYSCALL(sys_getpgrp) {
  (void)args, (void)frame;
  return kproc::process_group_of(0);
}

PLEIADES_SYSCALL(sys_setsid) {
  (void)args, (void)frame;
  return kproc::new_session();
}

PLEIADES_SYSCALL(sys_getsid) {
  (void)frame;
  return kproc::session_of(static_cast<std::int32_t>(args.a0));
}

PLEIADES_SYSCALL(sys_getppid) {
  (void)args, (void)frame;
  return process().parent_pid;
}

// getuid, geteuid, getgid, getegid: every process runs as root (uid and gid 0).
PLEIADES_SYSCALL(sys_getuid) {
  (void)args, (void)frame;
  return 0;
}

PLEIADES_SYSCALL(sys_set_tid_address) {
  (void)frame;
  self().clear_child_tid = args.a0;
  return self().tid;
}

PLEIADES_SYSCALL(sys_set_robust_list) {
  (void)frame;
  if (args.a1 != kRobustListHeadSize) return error(kEINVAL);
  self().robust_list = args.a0;
  self().robust_list_length = args.a1;
  return 0;
}

PLEIADES_SYSCALL(sys_arch_prctl) {
  (void)frame;
  const std::uint64_t code = args.a0, addr = args.a1;
  switch (code) {
    case kArchSetFs:
    case kArchSetGs:
      // Only user addresses: the paranoid entry tells kernel from user GS by the sign bit.
      if (addr >= arch::kUserTop) return error(kEPERM);
      if (code == kArchSetFs) {
        kproc::set_fs_base(self(), addr);
      } else {
        kproc::set_gs_base(self(), addr);
      }
      return 0;
    case kArchGetFs:
    case kArchGetGs: {
      const std::uint64_t value = code == kArchGetFs ? self().fs_base : self().gs_base;
      return arch::copy_to_user(addr, &value, sizeof(value)) ? 0 : error(kEFAULT);
    }
    default:
      return error(kEINVAL);
  }
}

PLEIADES_SYSCALL(sys_rt_sigaction) {
  (void)frame;
  const auto signal = static_cast<std::int64_t>(args.a0);
  const std::uint64_t act = args.a1, old = args.a2;
  if (args.a3 != kSigsetSize) return error(kEINVAL);
  if (signal < 1 || signal > kproc::kSignalCount) return error(kEINVAL);
  kproc::SignalAction incoming;
  if (act != 0) {
    if (signal == kSigKill || signal == kSigStop) return error(kEINVAL);
    if (!arch::copy_from_user(&incoming, act, sizeof(incoming))) return error(kEFAULT);
    incoming.mask &= ~kUnblockable;
  }
  kproc::SignalAction previous;
  kproc::change_action(process(), static_cast<int>(signal), act != 0 ? &incoming : nullptr, &previous);
  if (old != 0 && !arch::copy_to_user(old, &previous, sizeof(previous))) return error(kEFAULT);
  return 0;
}

PLEIADES_SYSCALL(sys_rt_sigprocmask) {
  (void)frame;
  const std::uint64_t how = args.a0, set = args.a1, old = args.a2;
  if (args.a3 != kSigsetSize) return error(kEINVAL);
  const std::uint64_t previous = self().signal_mask.load();
  if (set != 0) {
    std::uint64_t mask;
    if (!arch::copy_from_user(&mask, set, sizeof(mask))) return error(kEFAULT);
    std::uint64_t next;
    switch (how) {
      case kSigBlock: next = previous | mask; break;
      case kSigUnblock: next = previous & ~mask; break;
      case kSigSetmask: next = mask; break;
      default: return error(kEINVAL);
    }
    self().signal_mask.store(next & ~kUnblockable);
  }
  if (old != 0 && !arch::copy_to_user(old, &previous, sizeof(previous))) return error(kEFAULT);
  return 0;
}

PLEIADES_SYSCALL(sys_prlimit64) {
  (void)frame;
  const auto pid = static_cast<std::int64_t>(static_cast<std::int32_t>(args.a0));
  const std::uint64_t resource = args.a1, incoming = args.a2, old = args.a3;
  if (pid != 0 && pid != process().pid) return error(kESRCH);
  if (resource >= kproc::kResourceCount) return error(kEINVAL);
  kproc::ResourceLimit next{};
  if (incoming != 0) {
    if (!arch::copy_from_user(&next, incoming, sizeof(next))) return error(kEFAULT);
    if (next.current > next.maximum) return error(kEINVAL);
  }
  kproc::ResourceLimit previous;
  {
    smp::Guard g{process().actions_lock};
    previous = process().limits[resource];
    if (incoming != 0) process().limits[resource] = next;
  }
  if (old != 0 && !arch::copy_to_user(old, &previous, sizeof(previous))) return error(kEFAULT);
  return 0;
}

PLEIADES_SYSCALL(sys_getrlimit) {
  (void)frame;
  if (args.a0 >= kproc::kResourceCount) return error(kEINVAL);
  kproc::ResourceLimit value;
  {
    smp::Guard g{process().actions_lock};
    value = process().limits[args.a0];
  }
  return arch::copy_to_user(args.a1, &value, sizeof(value)) ? 0 : error(kEFAULT);
}

PLEIADES_SYSCALL(sys_prctl) {
  (void)frame;
  constexpr std::uint64_t kPrSetName = 15, kPrGetName = 16;
  kproc::Process& p = process();
  switch (args.a0) {
    case kPrSetName: {
      // The thread's name on Linux; here the process's (its comm), at most 15 bytes.
      char name[16] = {};
      const std::int64_t n = arch::strncpy_from_user(name, args.a1, sizeof(name));
      if (n == -1) return error(kEFAULT);
      name[15] = '\0';
      smp::Guard g{p.actions_lock};
      __builtin_memcpy(p.name, name, sizeof(name));
      return 0;
    }
    case kPrGetName: {
      char name[16];
      {
        smp::Guard g{p.actions_lock};
        __builtin_memcpy(name, p.name, sizeof(name));
      }
      return arch::copy_to_user(args.a1, name, sizeof(name)) ? 0 : error(kEFAULT);
    }
    default:
      return error(kEINVAL);  // the other options are not implemented
  }
}

PLEIADES_SYSCALL(sys_sysinfo) {
  (void)frame;
  struct SysInfo {
    std::int64_t uptime;
    std::uint64_t loads[3];
    std::uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    std::uint16_t procs;
    std::uint16_t pad;
    std::uint32_t pad2;
    std::uint64_t totalhigh, freehigh;
    std::uint32_t mem_unit;
    char reserved[4];
  };
  static_assert(sizeof(SysInfo) == 112);
  SysInfo info{};
  info.uptime = static_cast<std::int64_t>(ktime::now_ns() / 1'000'000'000);
  const mm::Stats m = mm::stats();
  info.totalram = m.usable_bytes;
  info.freeram = m.free_bytes;
  info.procs = static_cast<std::uint16_t>(kproc::live_user_threads());
  info.mem_unit = 1;
  // The load averages in 16 bits of fraction (SI_LOAD_SHIFT), from the kernel's 11.
  const kproc::LoadAverage load = kproc::load_average();
  for (int i = 0; i < 3; ++i) info.loads[i] = load.load[i] << (16 - kproc::kLoadShift);
  return arch::copy_to_user(args.a0, &info, sizeof(info)) ? 0 : error(kEFAULT);
}

PLEIADES_SYSCALL(sys_reboot) {
  (void)frame;
  constexpr std::uint64_t kMagic1 = 0xfee1dead;
  constexpr std::uint64_t kMagic2[] = {672274793, 85072278, 369367448, 537993216};
  constexpr std::uint32_t kRestart = 0x01234567, kHalt = 0xCDEF0123, kPowerOff = 0x4321FEDC,
                          kCadOn = 0x89ABCDEF, kCadOff = 0;
  const auto magic2 = static_cast<std::uint32_t>(args.a1);
  bool magic_ok = static_cast<std::uint32_t>(args.a0) == kMagic1;
  bool second_ok = false;
  for (std::uint64_t m : kMagic2) second_ok = second_ok || magic2 == m;
  if (!magic_ok || !second_ok) return error(kEINVAL);
  switch (static_cast<std::uint32_t>(args.a2)) {
    case kCadOn:
    case kCadOff:
      return 0;  // Ctrl-Alt-Del has no keyboard handler here to change
    case kPowerOff:
    case kHalt:
      klog::info("reboot: power down (requested by pid {})", process().pid);
      if (core::options().core.qemu_exit) power::qemu_exit(power::QemuExit::kSuccess);
      power::power_off();
    case kRestart:
      klog::info("reboot: restarting (requested by pid {})", process().pid);
      power::reboot();
    default:
      return error(kEINVAL);
  }
}

PLEIADES_SYSCALL(sys_uname) {
  (void)frame;
  Utsname u;
  copy_field(u.sysname, "Linux");  // what programs compare against (as Linux-ABI kernels report)
  copy_field(u.nodename, "pleiades");
  // A Linux-style version number: C libraries compare it with the minimum they need.
  copy_field(u.release, "6.1.0-pleiades");
  copy_field(u.version, "#1 SMP PREEMPT");
  copy_field(u.machine, "x86_64");
  copy_field(u.domainname, "(none)");
  return arch::copy_to_user(args.a0, &u, sizeof(u)) ? 0 : error(kEFAULT);
}

}  // namespace ksys

#include <atomic>

#include "kernel/abi/errno.h"
#include "kernel/console/log.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/handlers.h"
#include "kernel/syscalls/numbers.h"
#include "kernel/syscalls/syscalls.h"

namespace ksys {
namespace {

struct Table {
  Handler handlers[nr::kTableSize] = {};

  constexpr Table() {
    handlers[nr::kRead] = &sys_read;
    handlers[nr::kWrite] = &sys_write;
    handlers[nr::kReadv] = &sys_readv;
    handlers[nr::kWritev] = &sys_writev;
    handlers[nr::kIoctl] = &sys_ioctl;
    handlers[nr::kMmap] = &sys_mmap;
    handlers[nr::kMunmap] = &sys_munmap;
    handlers[nr::kMprotect] = &sys_mprotect;
    handlers[nr::kMadvise] = &sys_madvise;
    handlers[nr::kMsync] = &sys_msync;
    handlers[nr::kBrk] = &sys_brk;
    handlers[nr::kExit] = &sys_exit;
    handlers[nr::kExitGroup] = &sys_exit_group;
    handlers[nr::kGetpid] = &sys_getpid;
    handlers[nr::kGettid] = &sys_gettid;
    handlers[nr::kGetppid] = &sys_getppid;
    handlers[nr::kGetuid] = &sys_getuid;
    handlers[nr::kGeteuid] = &sys_getuid;
    handlers[nr::kGetgid] = &sys_getuid;
    handlers[nr::kGetegid] = &sys_getuid;
    handlers[nr::kSetTidAddress] = &sys_set_tid_address;
    handlers[nr::kSetRobustList] = &sys_set_robust_list;
    handlers[nr::kArchPrctl] = &sys_arch_prctl;
    handlers[nr::kRtSigaction] = &sys_rt_sigaction;
    handlers[nr::kRtSigprocmask] = &sys_rt_sigprocmask;
    handlers[nr::kPrlimit64] = &sys_prlimit64;
    handlers[nr::kGetrlimit] = &sys_getrlimit;
    handlers[nr::kUname] = &sys_uname;
    handlers[nr::kClockGettime] = &sys_clock_gettime;
    handlers[nr::kClockGetres] = &sys_clock_getres;
    handlers[nr::kGettimeofday] = &sys_gettimeofday;
    handlers[nr::kNanosleep] = &sys_nanosleep;
    handlers[nr::kClockNanosleep] = &sys_clock_nanosleep;
    handlers[nr::kSchedYield] = &sys_sched_yield;
    handlers[nr::kSchedGetaffinity] = &sys_sched_getaffinity;
    handlers[nr::kSchedSetaffinity] = &sys_sched_setaffinity;
    handlers[nr::kGetcpu] = &sys_getcpu;
    handlers[nr::kGetrandom] = &sys_getrandom;
    handlers[nr::kClone] = &sys_clone;
    handlers[nr::kFutex] = &sys_futex;
    handlers[nr::kFork] = &sys_fork;
    handlers[nr::kVfork] = &sys_vfork;
    handlers[nr::kExecve] = &sys_execve;
    handlers[nr::kWait4] = &sys_wait4;
    handlers[nr::kWaitid] = &sys_waitid;
    handlers[nr::kGetitimer] = &sys_getitimer;
    handlers[nr::kAlarm] = &sys_alarm;
    handlers[nr::kSetitimer] = &sys_setitimer;
    handlers[nr::kGetrusage] = &sys_getrusage;
    handlers[nr::kTimes] = &sys_times;
    handlers[nr::kReboot] = &sys_reboot;
    handlers[nr::kSysinfo] = &sys_sysinfo;
    handlers[nr::kPrctl] = &sys_prctl;
    handlers[nr::kTime] = &sys_time;

    handlers[nr::kSetpgid] = &sys_setpgid;
    handlers[nr::kGetpgrp] = &sys_getpgrp;
    handlers[nr::kSetsid] = &sys_setsid;
    handlers[nr::kGetpgid] = &sys_getpgid;
    handlers[nr::kGetsid] = &sys_getsid;

    handlers[nr::kRtSigreturn] = &sys_rt_sigreturn;
    handlers[nr::kPause] = &sys_pause;
    handlers[nr::kKill] = &sys_kill;
    handlers[nr::kRtSigpending] = &sys_rt_sigpending;
    handlers[nr::kRtSigsuspend] = &sys_rt_sigsuspend;
    handlers[nr::kSigaltstack] = &sys_sigaltstack;
    handlers[nr::kTkill] = &sys_tkill;
    handlers[nr::kTgkill] = &sys_tgkill;

    handlers[nr::kPoll] = &sys_poll;
    handlers[nr::kPipe] = &sys_pipe;
    handlers[nr::kSelect] = &sys_select;
    handlers[nr::kPselect6] = &sys_pselect6;
    handlers[nr::kPpoll] = &sys_ppoll;
    handlers[nr::kPipe2] = &sys_pipe2;

    handlers[nr::kOpen] = &sys_open;
    handlers[nr::kClose] = &sys_close;
    handlers[nr::kStat] = &sys_stat;
    handlers[nr::kFstat] = &sys_fstat;
    handlers[nr::kLstat] = &sys_lstat;
    handlers[nr::kLseek] = &sys_lseek;
    handlers[nr::kPread64] = &sys_pread64;
    handlers[nr::kPwrite64] = &sys_pwrite64;
    handlers[nr::kAccess] = &sys_access;
    handlers[nr::kDup] = &sys_dup;
    handlers[nr::kDup2] = &sys_dup2;
    handlers[nr::kFcntl] = &sys_fcntl;
    handlers[nr::kTruncate] = &sys_truncate;
    handlers[nr::kFtruncate] = &sys_ftruncate;
    handlers[nr::kFsync] = handlers[nr::kFdatasync] = &sys_fsync;
    handlers[nr::kSyncfs] = &sys_syncfs;
    handlers[nr::kSync] = &sys_sync;
    handlers[nr::kGetcwd] = &sys_getcwd;
    handlers[nr::kChdir] = &sys_chdir;
    handlers[nr::kFchdir] = &sys_fchdir;
    handlers[nr::kRename] = &sys_rename;
    handlers[nr::kMkdir] = &sys_mkdir;
    handlers[nr::kRmdir] = &sys_rmdir;
    handlers[nr::kCreat] = &sys_creat;
    handlers[nr::kUnlink] = &sys_unlink;
    handlers[nr::kSymlink] = &sys_symlink;
    handlers[nr::kReadlink] = &sys_readlink;
    handlers[nr::kUmask] = &sys_umask;
    handlers[nr::kGetdents64] = &sys_getdents64;
    handlers[nr::kOpenat] = &sys_openat;
    handlers[nr::kMkdirat] = &sys_mkdirat;
    handlers[nr::kNewfstatat] = &sys_newfstatat;
    handlers[nr::kStatx] = &sys_statx;
    handlers[nr::kMqOpen] = &sys_mq_open;
    handlers[nr::kMqUnlink] = &sys_mq_unlink;
    handlers[nr::kMqTimedsend] = &sys_mq_timedsend;
    handlers[nr::kMqTimedreceive] = &sys_mq_timedreceive;
    handlers[nr::kMqNotify] = &sys_mq_notify;
    handlers[nr::kMqGetsetattr] = &sys_mq_getsetattr;
    handlers[nr::kUnlinkat] = &sys_unlinkat;
    handlers[nr::kRenameat] = &sys_renameat;
    handlers[nr::kSymlinkat] = &sys_symlinkat;
    handlers[nr::kReadlinkat] = &sys_readlinkat;
    handlers[nr::kFaccessat] = &sys_faccessat;
    handlers[nr::kDup3] = &sys_dup3;
    handlers[nr::kRenameat2] = &sys_renameat2;
    handlers[nr::kFaccessat2] = &sys_faccessat2;

  }
};
constexpr Table kTable;

// One bit per number: reported once as unknown (the rate limit of the report).
std::atomic<std::uint64_t> g_reported[nr::kTableSize / 64];

void report_unknown(std::uint64_t number) {
  if (number < nr::kTableSize) {
    const std::uint64_t bit = 1ull << (number % 64);
    if ((g_reported[number / 64].fetch_or(bit, std::memory_order_relaxed) & bit) != 0) return;
  } else if ((g_reported[0].fetch_or(1, std::memory_order_relaxed) & 1) != 0) {
    return;  // numbers past the table share bit 0 (number 0, read, is never unknown)
  }
  const kproc::UserThread* t = kproc::current_user_thread();
  klog::warn("syscall: pid {} ({}) called unknown system call {}: ENOSYS (reported once)",
             t ? t->process->pid : 0, t ? t->process->name : "?", number);
}

}  // namespace

void dispatch(arch::InterruptFrame& frame) {
  // The arguments, copied once: handlers never read the frame's registers again.
  const Args args{frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9};
  const std::uint64_t number = frame.rax;
  // The bounds check and the load cannot be reordered by speculation into an out-of-table
  // load: the index is clamped with a data dependency (the mask is 0 when out of range).
  std::uint64_t in_range = 0 - static_cast<std::uint64_t>(number < nr::kTableSize);
  asm("" : "+r"(in_range));  // keep it a value, not a branch the CPU could predict past
  const Handler handler = kTable.handlers[number & in_range & (nr::kTableSize - 1)];
  if (in_range == 0 || handler == nullptr) {
    report_unknown(number);
    frame.rax = static_cast<std::uint64_t>(-static_cast<std::int64_t>(kabi::kENOSYS));
    return;
  }
  frame.rax = static_cast<std::uint64_t>(handler(args, frame));
}

}  // namespace ksys

// The system-call handlers, one per Linux call (the table is table.cc). Each returns the value
// for rax: the result, or -errno. Grouped by file: io.cc, memory.cc, process.cc, time.cc,
// random.cc.
#pragma once

#include <cstdint>

#include "kernel/abi/errno.h"
#include "kernel/syscalls/syscalls.h"

namespace ksys {

inline std::int64_t error(int errno_value) { return -static_cast<std::int64_t>(errno_value); }

#define PLEIADES_SYSCALL(name) std::int64_t name(const Args& args, arch::InterruptFrame& frame)

PLEIADES_SYSCALL(sys_read);
PLEIADES_SYSCALL(sys_write);
PLEIADES_SYSCALL(sys_readv);
PLEIADES_SYSCALL(sys_writev);
PLEIADES_SYSCALL(sys_ioctl);
PLEIADES_SYSCALL(sys_mmap);
PLEIADES_SYSCALL(sys_munmap);
PLEIADES_SYSCALL(sys_mprotect);
PLEIADES_SYSCALL(sys_madvise);
PLEIADES_SYSCALL(sys_msync);
PLEIADES_SYSCALL(sys_brk);
PLEIADES_SYSCALL(sys_exit);
PLEIADES_SYSCALL(sys_exit_group);
PLEIADES_SYSCALL(sys_getpid);
PLEIADES_SYSCALL(sys_gettid);
PLEIADES_SYSCALL(sys_getppid);
PLEIADES_SYSCALL(sys_getuid);
PLEIADES_SYSCALL(sys_set_tid_address);
PLEIADES_SYSCALL(sys_set_robust_list);
PLEIADES_SYSCALL(sys_arch_prctl);
PLEIADES_SYSCALL(sys_rt_sigaction);
PLEIADES_SYSCALL(sys_rt_sigprocmask);
PLEIADES_SYSCALL(sys_prlimit64);
PLEIADES_SYSCALL(sys_getrlimit);
PLEIADES_SYSCALL(sys_uname);
PLEIADES_SYSCALL(sys_clock_gettime);
PLEIADES_SYSCALL(sys_clock_getres);
PLEIADES_SYSCALL(sys_gettimeofday);
PLEIADES_SYSCALL(sys_nanosleep);
PLEIADES_SYSCALL(sys_clock_nanosleep);
PLEIADES_SYSCALL(sys_sched_yield);
PLEIADES_SYSCALL(sys_sched_getaffinity);
PLEIADES_SYSCALL(sys_sched_setaffinity);
PLEIADES_SYSCALL(sys_getcpu);
PLEIADES_SYSCALL(sys_getrandom);
PLEIADES_SYSCALL(sys_clone);
PLEIADES_SYSCALL(sys_futex);
PLEIADES_SYSCALL(sys_fork);
PLEIADES_SYSCALL(sys_vfork);
PLEIADES_SYSCALL(sys_execve);
PLEIADES_SYSCALL(sys_wait4);
PLEIADES_SYSCALL(sys_waitid);
PLEIADES_SYSCALL(sys_getitimer);
PLEIADES_SYSCALL(sys_alarm);
PLEIADES_SYSCALL(sys_setitimer);
PLEIADES_SYSCALL(sys_getrusage);
PLEIADES_SYSCALL(sys_times);
PLEIADES_SYSCALL(sys_reboot);
PLEIADES_SYSCALL(sys_sysinfo);
PLEIADES_SYSCALL(sys_prctl);
PLEIADES_SYSCALL(sys_time);

PLEIADES_SYSCALL(sys_setpgid);
PLEIADES_SYSCALL(sys_getpgrp);
PLEIADES_SYSCALL(sys_setsid);
PLEIADES_SYSCALL(sys_getpgid);
PLEIADES_SYSCALL(sys_getsid);

PLEIADES_SYSCALL(sys_rt_sigreturn);
PLEIADES_SYSCALL(sys_pause);
PLEIADES_SYSCALL(sys_kill);
PLEIADES_SYSCALL(sys_rt_sigpending);
PLEIADES_SYSCALL(sys_rt_sigsuspend);
PLEIADES_SYSCALL(sys_sigaltstack);
PLEIADES_SYSCALL(sys_tkill);
PLEIADES_SYSCALL(sys_tgkill);

PLEIADES_SYSCALL(sys_poll);
PLEIADES_SYSCALL(sys_pipe);
PLEIADES_SYSCALL(sys_select);
PLEIADES_SYSCALL(sys_pselect6);
PLEIADES_SYSCALL(sys_ppoll);
PLEIADES_SYSCALL(sys_pipe2);

PLEIADES_SYSCALL(sys_open);
PLEIADES_SYSCALL(sys_close);
PLEIADES_SYSCALL(sys_stat);
PLEIADES_SYSCALL(sys_fstat);
PLEIADES_SYSCALL(sys_lstat);
PLEIADES_SYSCALL(sys_lseek);
PLEIADES_SYSCALL(sys_pread64);
PLEIADES_SYSCALL(sys_pwrite64);
PLEIADES_SYSCALL(sys_access);
PLEIADES_SYSCALL(sys_dup);
PLEIADES_SYSCALL(sys_dup2);
PLEIADES_SYSCALL(sys_fcntl);
PLEIADES_SYSCALL(sys_truncate);
PLEIADES_SYSCALL(sys_ftruncate);
PLEIADES_SYSCALL(sys_fsync);  // also fdatasync
PLEIADES_SYSCALL(sys_syncfs);
PLEIADES_SYSCALL(sys_sync);
PLEIADES_SYSCALL(sys_getcwd);
PLEIADES_SYSCALL(sys_chdir);
PLEIADES_SYSCALL(sys_fchdir);
PLEIADES_SYSCALL(sys_rename);
PLEIADES_SYSCALL(sys_mkdir);
PLEIADES_SYSCALL(sys_rmdir);
PLEIADES_SYSCALL(sys_creat);
PLEIADES_SYSCALL(sys_unlink);
PLEIADES_SYSCALL(sys_symlink);
PLEIADES_SYSCALL(sys_readlink);
PLEIADES_SYSCALL(sys_umask);
PLEIADES_SYSCALL(sys_getdents64);
PLEIADES_SYSCALL(sys_openat);
PLEIADES_SYSCALL(sys_mkdirat);
PLEIADES_SYSCALL(sys_newfstatat);
PLEIADES_SYSCALL(sys_unlinkat);
PLEIADES_SYSCALL(sys_renameat);
PLEIADES_SYSCALL(sys_symlinkat);
PLEIADES_SYSCALL(sys_readlinkat);
PLEIADES_SYSCALL(sys_faccessat);
PLEIADES_SYSCALL(sys_dup3);
PLEIADES_SYSCALL(sys_renameat2);
PLEIADES_SYSCALL(sys_faccessat2);
PLEIADES_SYSCALL(sys_statx);

PLEIADES_SYSCALL(sys_mq_open);
PLEIADES_SYSCALL(sys_mq_unlink);
PLEIADES_SYSCALL(sys_mq_timedsend);
PLEIADES_SYSCALL(sys_mq_timedreceive);
PLEIADES_SYSCALL(sys_mq_notify);
PLEIADES_SYSCALL(sys_mq_getsetattr);


}  // namespace ksys

// Starting programs: fork (copy-on-write), vfork, execve, and waiting for children: wait4, waitid.
#include <new>

#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/exec/initial_stack.h"
#include "kernel/proc/exec.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/handlers.h"
#include "kernel/syscalls/rusage.h"

namespace ksys {
namespace {

using namespace kabi;

constexpr std::uint64_t kPathMax = 4096;
constexpr std::uint64_t kWnohang = 1, kWuntraced = 2, kWstopped = 2, kWexited = 4,
                        kWcontinued = 8, kWnowait = 0x01000000, kWnothread = 0x20000000,
                        kWall = 0x40000000, kWclone = 0x80000000;

// The strings of argv or envp, copied into one kernel buffer.
struct StringTable {
  fmt::StringView* views = nullptr;
  std::uint32_t count = 0;
  ~StringTable() { delete[] views; }
};

struct ArgBuffer {
  char* bytes = nullptr;
  std::uint64_t used = 0;
  std::uint64_t capacity = 0;
  ~ArgBuffer() { delete[] bytes; }
};

// Reads the NULL-terminated pointer array at `user` and every string it points to.
std::int64_t copy_strings(std::uint64_t user, StringTable& out, ArgBuffer& buffer,
                          std::uint32_t room) {
  if (user == 0) return 0;  // Linux accepts a NULL argv or envp as empty
  std::uint32_t n = 0;
  for (;; ++n) {
    std::uint64_t pointer;
    if (n > room) return -kE2BIG;
    if (!arch::copy_from_user(&pointer, user + n * 8ull, sizeof(pointer))) return -kEFAULT;
    if (pointer == 0) break;
  }
  out.views = new (std::nothrow) fmt::StringView[n == 0 ? 1 : n];
  if (out.views == nullptr) return -kENOMEM;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint64_t pointer;
    if (!arch::copy_from_user(&pointer, user + i * 8ull, sizeof(pointer))) return -kEFAULT;
    char* at = buffer.bytes + buffer.used;
    const std::int64_t length = arch::strncpy_from_user(at, pointer, buffer.capacity - buffer.used);
    if (length == -1) return -kEFAULT;
    if (length < 0) return -kE2BIG;
    out.views[i] = fmt::StringView(at, static_cast<std::size_t>(length));
    buffer.used += static_cast<std::uint64_t>(length) + 1;
  }
  out.count = n;
  return 0;
}

}  // namespace

PLEIADES_SYSCALL(sys_fork) {
  (void)args;
  auto child = kproc::fork_process(frame, kproc::ForkOptions{});
  return child ? child.value() : error(child.error());
}

PLEIADES_SYSCALL(sys_vfork) {
  (void)args;
  return kproc::vfork_process(frame, 0);
}

PLEIADES_SYSCALL(sys_execve) {
  char* path = new (std::nothrow) char[kPathMax];
  ArgBuffer buffer;
  buffer.capacity = kexec::kMaxArgBytes;
  buffer.bytes = new (std::nothrow) char[buffer.capacity];
  if (path == nullptr || buffer.bytes == nullptr) {
    delete[] path;
    return error(kENOMEM);
  }
  const std::int64_t path_length = arch::strncpy_from_user(path, args.a0, kPathMax);
  std::int64_t result = 0;
  if (path_length == -1) result = -kEFAULT;
  if (path_length == -2) result = -kENAMETOOLONG;
  if (path_length == 0) result = -kENOENT;
  StringTable argv, envp;
  if (result == 0) result = copy_strings(args.a1, argv, buffer, kexec::kMaxArgStrings);
  if (result == 0) result = copy_strings(args.a2, envp, buffer, kexec::kMaxArgStrings - argv.count);
  if (result == 0) {
    kproc::ProgramArgs program;
    program.argv = argv.views;
    program.argc = argv.count;
    program.envp = envp.views;
    program.envc = envp.count;
    program.path = fmt::StringView(path, static_cast<std::size_t>(path_length));
    result = kproc::exec_current(program, frame);
  }
  delete[] path;
  return result;
}

PLEIADES_SYSCALL(sys_wait4) {
  (void)frame;
  const auto pid = static_cast<std::int32_t>(args.a0);
  const std::uint64_t status_out = args.a1, options = args.a2, usage_out = args.a3;
  if ((options & ~(kWnohang | kWuntraced | kWcontinued | kWnothread | kWall | kWclone)) != 0) {
    return error(kEINVAL);
  }
  if (pid == -0x7fffffff - 1) return error(kESRCH);  // INT_MIN, as Linux
  kproc::WaitRequest request;
  request.which = pid > 0 ? kproc::WaitWhich::kPid : pid == -1 ? kproc::WaitWhich::kAny
                                                               : kproc::WaitWhich::kGroup;
  request.id = pid > 0 ? pid : pid < -1 ? -pid : 0;
  request.stopped = (options & kWuntraced) != 0;
  request.continued = (options & kWcontinued) != 0;
  request.nohang = (options & kWnohang) != 0;
  kproc::WaitResult found;
  const std::int64_t r = kproc::wait_child(request, &found);
  if (r <= 0) return r;
  if (status_out != 0 && !arch::copy_to_user(status_out, &found.status, sizeof(found.status))) {
    return error(kEFAULT);
  }
  if (usage_out != 0) {
    const Rusage usage = make_rusage(found.user_ns, found.system_ns);
    if (!arch::copy_to_user(usage_out, &usage, sizeof(usage))) return error(kEFAULT);
  }
  return r;
}

PLEIADES_SYSCALL(sys_waitid) {
  (void)frame;
  constexpr std::uint64_t kPAll = 0, kPPid = 1, kPPgid = 2, kPPidfd = 3;
  const std::uint64_t type = args.a0, info_out = args.a2, options = args.a3, usage_out = args.a4;
  const auto id = static_cast<std::int32_t>(args.a1);
  if ((options & ~(kWnohang | kWstopped | kWexited | kWcontinued | kWnowait | kWnothread | kWall |
                   kWclone)) != 0 ||
      (options & (kWexited | kWstopped | kWcontinued)) == 0) {
    return error(kEINVAL);
  }
  kproc::WaitRequest request;
  switch (type) {
    case kPAll: request.which = kproc::WaitWhich::kAny; break;
    case kPPid:
      if (id <= 0) return error(kEINVAL);
      request.which = kproc::WaitWhich::kPid;
      request.id = id;
      break;
    case kPPgid:
      if (id < 0) return error(kEINVAL);
      request.which = kproc::WaitWhich::kGroup;
      request.id = id;  // 0: the caller's group
      break;
    case kPPidfd: return error(kEBADF);  // no descriptor here is a pidfd
    default: return error(kEINVAL);
  }
  request.exited = (options & kWexited) != 0;
  request.stopped = (options & kWstopped) != 0;
  request.continued = (options & kWcontinued) != 0;
  request.nohang = (options & kWnohang) != 0;
  request.nowait = (options & kWnowait) != 0;
  kproc::WaitResult found;
  const std::int64_t r = kproc::wait_child(request, &found);
  if (r < 0) return r;
  if (info_out != 0) {
    // The fields Linux writes (all zero when WNOHANG found nothing): si_signo, si_errno,
    // si_code, then si_pid, si_uid and si_status at 16, 20 and 24.
    struct {
      std::int32_t signo, errno_value, code, pad;
      std::int32_t pid, uid, status;
    } info{};
    if (r > 0) {
      info.signo = 17;  // SIGCHLD
      info.code = found.code;
      info.pid = found.pid;
      info.status = found.si_status;
    }
    if (!arch::copy_to_user(info_out, &info, sizeof(info))) return error(kEFAULT);
  }
  if (usage_out != 0 && r > 0) {
    const Rusage usage = make_rusage(found.user_ns, found.system_ns);
    if (!arch::copy_to_user(usage_out, &usage, sizeof(usage))) return error(kEFAULT);
  }
  return 0;
}

}  // namespace ksys

// The Linux x86-64 system-call interface (docs/user-space.md, "System calls"): numbers,
// argument registers and errno values as Linux defines them, so that programs built with musl
// or glibc for Linux run unmodified.
//
// dispatch() copies the six argument registers out of the entry frame once (the frame lives on
// the kernel stack, but each handler works on its own copy, never on the frame), looks the
// number up in the table and stores the result in rax. A number without a handler returns
// -ENOSYS, and the first call of each such number is reported once.
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/interrupt_frame.h"

namespace ksys {

struct Args {
  std::uint64_t a0, a1, a2, a3, a4, a5;
};

// A handler returns the value for rax: >= 0 on success, -errno on failure. `frame` is for the
// few calls that change where user mode resumes (execve, rt_sigreturn, clone's child).
using Handler = std::int64_t (*)(const Args& args, arch::InterruptFrame& frame);

// The system-call entry (arch::SyscallHandler).
void dispatch(arch::InterruptFrame& frame);

}  // namespace ksys

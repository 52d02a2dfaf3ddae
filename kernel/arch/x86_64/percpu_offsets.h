// Offsets in arch::CpuLocal (percpu.h) that assembly reads GS-relative. Plain macros so that
// both the .S files and percpu.h (which checks them with static_assert) can include this.
#pragma once

#define PERCPU_USER_RSP_SCRATCH 64
#define PERCPU_SYSCALL_STACK_TOP 80

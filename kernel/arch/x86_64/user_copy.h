// Copies between kernel memory and user memory, the only way the kernel touches user memory
// (docs/user-space.md, "User memory"). Each one checks the whole user range first (below
// kUserTop, no wrap: a kernel or non-canonical address is refused before any access), opens the
// SMAP window (stac) only around its own copy loop, and turns a fault inside that loop into a
// short count: the exception handler finds the faulting instruction in the .ex_table section
// and resumes at the routine's fixup (arch::try_user_copy_fixup). A page fault there first
// goes to the kernel's page-fault handler, which may map the page (demand paging) and retry.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/arch/x86_64/interrupt_frame.h"

namespace arch {

// Whether [addr, addr + size) lies in the user half without wrapping (size 0: addr <= top).
bool user_range_ok(std::uint64_t addr, std::uint64_t size);

// Each returns true when all `size` bytes were copied; false when the range is not a user range
// or a page in it could not be read/written (EFAULT to the caller). A partial copy may have
// happened on false.
[[nodiscard]] bool copy_from_user(void* to, std::uint64_t from_user, std::uint64_t size);
[[nodiscard]] bool copy_to_user(std::uint64_t to_user, const void* from, std::uint64_t size);
[[nodiscard]] bool clear_user(std::uint64_t to_user, std::uint64_t size);

// Copies a NUL-terminated user string into `to` (capacity `max` bytes, NUL included). Returns
// its length without the NUL; -1 on a fault or a bad range (EFAULT), -2 when no NUL came within
// `max` bytes (ENAMETOOLONG or E2BIG, as the caller's call defines it).
std::int64_t strncpy_from_user(char* to, std::uint64_t from_user, std::uint64_t max);

// The exception handler's part: if `frame` faulted inside a user-copy routine, point it at the
// routine's fixup and return true.
bool try_user_copy_fixup(InterruptFrame& frame);
// Whether `rip` is an instruction of a user-copy routine that may fault (page-fault handler:
// kernel faults on user addresses are legitimate only there).
bool in_user_copy(std::uint64_t rip);

// Set once by the kernel when it turned on CR4.SMAP on the boot CPU (all CPUs match it): the
// routines and the entry stubs then execute stac/clac, which fault without SMAP.
void set_smap_enabled(bool on);

}  // namespace arch

#include "kernel/arch/x86_64/user_copy.h"

#include "kernel/arch/x86_64/user_mode.h"

extern "C" {
std::uint64_t arch_copy_user(void* dst, const void* src, std::uint64_t n);
std::uint64_t arch_clear_user(void* dst, std::uint64_t n);
std::int64_t arch_strncpy_user(char* dst, const void* src, std::uint64_t max);
// Read by the stubs: whether to execute stac/clac. A byte the assembly tests with cmpb.
unsigned char arch_smap_enabled = 0;
}

namespace {

struct ExTableEntry {
  std::uint64_t insn;
  std::uint64_t fixup;
};

}  // namespace

extern "C" const ExTableEntry __ex_table_start[];
extern "C" const ExTableEntry __ex_table_end[];

namespace arch {
namespace {

const ExTableEntry* find_entry(std::uint64_t rip) {
  for (const ExTableEntry* e = __ex_table_start; e != __ex_table_end; ++e) {
    if (e->insn == rip) return e;
  }
  return nullptr;
}

}  // namespace

bool user_range_ok(std::uint64_t addr, std::uint64_t size) {
  return addr <= kUserTop && size <= kUserTop - addr;
}

bool copy_from_user(void* to, std::uint64_t from_user, std::uint64_t size) {
  if (!user_range_ok(from_user, size)) return false;
  if (size == 0) return true;
  return arch_copy_user(to, reinterpret_cast<const void*>(from_user), size) == 0;
}

bool copy_to_user(std::uint64_t to_user, const void* from, std::uint64_t size) {
  if (!user_range_ok(to_user, size)) return false;
  if (size == 0) return true;
  return arch_copy_user(reinterpret_cast<void*>(to_user), from, size) == 0;
}

bool clear_user(std::uint64_t to_user, std::uint64_t size) {
  if (!user_range_ok(to_user, size)) return false;
  if (size == 0) return true;
  return arch_clear_user(reinterpret_cast<void*>(to_user), size) == 0;
}

std::int64_t strncpy_from_user(char* to, std::uint64_t from_user, std::uint64_t max) {
  if (max == 0) return -2;
  // The string may end anywhere before max: check only that it starts in the user half, and
  // bound the copy by the user top so that it cannot walk into kernel addresses.
  if (from_user >= kUserTop) return -1;
  const std::uint64_t room = kUserTop - from_user;
  const std::uint64_t limit = max < room ? max : room;
  const std::int64_t n = arch_strncpy_user(to, reinterpret_cast<const void*>(from_user), limit);
  if (n == -2 && limit < max) return -1;  // ran into the top of the user half: a fault there
  return n;
}

bool try_user_copy_fixup(InterruptFrame& frame) {
  if (from_user(frame)) return false;
  const ExTableEntry* e = find_entry(frame.rip);
  if (e == nullptr) return false;
  frame.rip = e->fixup;
  return true;
}

bool in_user_copy(std::uint64_t rip) { return find_entry(rip) != nullptr; }

void set_smap_enabled(bool on) { arch_smap_enabled = on ? 1 : 0; }

}  // namespace arch

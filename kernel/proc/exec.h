// Loading a program into a fresh address space (docs/user-space.md, "Programs"): the ELF file
// checked by kexec::parse_elf, its PT_LOAD segments mapped with their own rights (a page two
// segments share gets the union, which parse_elf has checked is never writable and executable),
// the file bytes copied in, the heap placed after the image, the main stack mapped and filled
// with argc, argv, envp and the auxiliary vector (kexec::build_initial_stack). A static-PIE goes
// to a random base.
#pragma once

#include <cstdint>

#include "kernel/vm/address_space.h"
#include "smp/klib/format.h"
#include "smp/klib/result.h"

namespace kproc {

struct ProgramArgs {
  const fmt::StringView* argv = nullptr;
  std::uint32_t argc = 0;
  const fmt::StringView* envp = nullptr;
  std::uint32_t envc = 0;
  fmt::StringView path;  // what exec was given: AT_EXECFN
};

struct LoadedProgram {
  std::uint64_t entry = 0;
  std::uint64_t stack_pointer = 0;
};

// What went wrong, for the report and the errno exec returns.
struct ExecError {
  int errno_value;   // ENOENT, ENOEXEC, E2BIG, ENOMEM, EACCES, EISDIR...
  char message[160];
};

// Whether `path` names a regular file in the root file system.
bool file_exists(fmt::StringView path);

// Reads `path` from the root file system into kernel memory and loads it into `space` (empty,
// fresh). The space is left half-filled on error: the caller drops it.
// A script ("#!INTERPRETER [ARG]") runs its interpreter instead, as on Linux.
klib::Result<LoadedProgram, ExecError> load_program(kvm::AddressSpace& space,
                                                    const ProgramArgs& args);

}  // namespace kproc

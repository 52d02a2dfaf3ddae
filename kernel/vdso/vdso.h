// The vDSO and the vvar page (docs/user-space.md, "The vDSO"): the kernel's side. The image is
// built from vdso.c and embedded in the kernel (vdso_blob.S); init() checks it, copies it into
// frames every process maps, and fills the vvar page those processes read the clock from.
#pragma once

#include <cstdint>

#include "smp/klib/result.h"

namespace kvm {
class AddressSpace;
}

namespace kvdso {

// Boot CPU, once, after every CPU is online and the cross-CPU calls work, before the first
// process: checks the embedded image (a broken one is reported, naming what is wrong, and
// programs then run without a vDSO: musl makes system calls), copies it into frames, allocates
// the vvar page, sets IA32_TSC_AUX to the CPU number on every CPU where RDPID or RDTSCP can read
// it, and publishes the clock (publish_clock). `user_clock` false (vdso_clock=off) makes the
// page send every clock call to the system call for good.
void init(bool user_clock);

// Writes the clock's current parameters (the TSC conversion, the wall-clock offset, whether the
// TSC may be read in user space at all: the TSCs synchronised and vdso_clock not off) into the vvar page under its sequence count. Call after
// anything of those changes. One caller at a time (the boot CPU at init; serialised by whoever
// changes the clock later).
void publish_clock();

// Whether init() found the image usable (programs get a vDSO).
bool available();

// A new program's [vvar] and [vdso] regions in `space`, at a random page between the top of the
// stack and the end of user space (Linux 6.1's vdso_addr), the vvar page right below the
// vDSO's first. Returns the vDSO's address (AT_SYSINFO_EHDR), 0 when there is no vDSO, or a
// positive errno (ENOMEM, EEXIST when the range is taken).
klib::Result<std::uint64_t, int> map_into(kvm::AddressSpace& space);

}  // namespace kvdso

// The CPUs the kernel knows, by logical number: their per-CPU blocks and whether they are
// online. Filled by the bring-up (bringup.cc); read by anyone afterwards.
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/percpu.h"
#include "smp/platform/platform.h"

namespace kcpus {

// CPU numbers in use are below platform::cpu_count(). A number whose CPU failed to start stays
// allocated (its block exists) but is not online.
arch::CpuLocal* cpu_local(platform::CpuNumber cpu);  // nullptr beyond cpu_count()
bool cpu_online(platform::CpuNumber cpu);
std::uint32_t online_cpu_count();

// Whether every CPU the firmware listed is online: only then may an IPI use the "all but self"
// shorthand (it also reaches CPUs the kernel did not start, which may sit in firmware code).
bool all_listed_cpus_online();

// Bring-up only (boot CPU): the table of blocks, index = number, before any AP is released;
// whether every listed CPU is online, false until every released AP has joined or been abandoned.
void set_cpu_table(arch::CpuLocal** locals, std::uint32_t count);
void set_all_listed_cpus_online(bool all);

}  // namespace kcpus

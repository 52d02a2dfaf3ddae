// The kernel's NUMA placement of frames (docs/memory-layout.md, "Nodes"): the SRAT's layout
// (acpi::Numa, kept by kfirmware) turned into the frame allocator's dense node numbers, spans
// and fallback rows, and the node of each CPU. Node N is the Nth domain the SRAT names (Linux
// numbers its nodes in the same order of first appearance).
#pragma once

#include <cstdint>

#include "acpi/numa.h"
#include "kernel/mm/frame_allocator.h"
#include "smp/klib/ids.h"

namespace mm {

// Splits `frames`' regions by `numa` (FrameAllocator::set_nodes), the new bitmaps taken from
// `frames` itself. Boot CPU, before the other CPUs start and before the per-CPU frame caches;
// once. Logs each node's memory. A layout the allocator cannot take (more than kMaxNodes nodes,
// too many regions, no memory for the bitmaps) is logged and the kernel goes on with one node.
// `numa` must outlive the kernel (kfirmware's copy does): cpu_node() reads it.
void place_frames_by_numa(FrameAllocator& frames, const acpi::Numa& numa);

// The dense node of `cpu` (its APIC ID's SRAT entry); 0 without a layout, for a CPU the SRAT does
// not list, or one not started. Any CPU, no lock.
std::uint32_t cpu_node(klib::CpuNumber cpu);
// The dense node of the CPU with `apic_id`: for a CPU not numbered yet (its per-CPU block is
// being allocated). 0 as cpu_node's.
std::uint32_t apic_node(klib::ApicId apic_id);

}  // namespace mm

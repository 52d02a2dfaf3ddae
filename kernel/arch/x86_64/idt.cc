#include "kernel/arch/x86_64/idt.h"

#include "kernel/arch/x86_64/descriptors.h"
#include "kernel/arch/x86_64/vectors.h"

// Entry points of the stubs in exception_stubs.S, indexed by vector.
extern "C" const std::uint64_t exception_stub_table[arch::kExceptionCount];

namespace arch {
namespace {

// A 64-bit interrupt gate (Intel SDM Vol. 3A, "64-Bit IDT Gate Descriptors").
struct __attribute__((packed)) Gate {
  std::uint16_t offset_low;
  std::uint16_t selector;
  std::uint8_t ist;
  std::uint8_t type_attributes;
  std::uint16_t offset_mid;
  std::uint32_t offset_high;
  std::uint32_t reserved;
};
static_assert(sizeof(Gate) == 16);

// Present, DPL 0, 64-bit interrupt gate (type 0xE: IF cleared on entry).
constexpr std::uint8_t kInterruptGate = 0x8E;
// The same with DPL 3: ring 3 may raise it with a software interrupt instruction. Only #BP:
// `int3` from user mode is then a breakpoint (SIGTRAP, as on Linux) instead of a #GP for the
// gate's privilege; every other vector stays DPL 0, so `int n` from user mode is a #GP.
constexpr std::uint8_t kUserInterruptGate = 0xEE;
constexpr unsigned kIdtEntries = 256;

struct __attribute__((packed)) Descriptor {
  std::uint16_t limit;
  std::uint64_t base;
};

alignas(16) Gate g_idt[kIdtEntries];
bool g_built = false;

Ist ist_for(unsigned vector) {
  switch (static_cast<Vector>(vector)) {
    // A double fault may come from a kernel stack overflow, an NMI or machine check may
    // arrive at any instruction (even with a bad RSP): all three get known-good stacks.
    case Vector::kDoubleFault: return Ist::kDoubleFault;
    case Vector::kNmi: return Ist::kNmi;
    case Vector::kMachineCheck: return Ist::kMachineCheck;
    default: return Ist::kNone;
  }
}

Gate make_gate(std::uint64_t handler, Ist ist, std::uint8_t type_attributes) {
  Gate g{};
  g.offset_low = static_cast<std::uint16_t>(handler);
  g.selector = static_cast<std::uint16_t>(Selector::kKernelCode);
  g.ist = static_cast<std::uint8_t>(ist);
  g.type_attributes = type_attributes;
  g.offset_mid = static_cast<std::uint16_t>(handler >> 16);
  g.offset_high = static_cast<std::uint32_t>(handler >> 32);
  g.reserved = 0;
  return g;
}

void build() {
  for (unsigned v = 0; v < kExceptionCount; ++v) {
    const bool user = v == static_cast<unsigned>(Vector::kBreakpoint);
    g_idt[v] = make_gate(exception_stub_table[v], ist_for(v),
                         user ? kUserInterruptGate : kInterruptGate);
  }
  // Vectors 32..255 stay not-present until set_interrupt_gate(): a stray interrupt becomes a
  // #GP naming its vector (error code = vector * 8 + 2), which the exception handler reports.
  g_built = true;
}

}  // namespace

void load_idt() {
  if (!g_built) build();
  const Descriptor idtr{sizeof(g_idt) - 1, reinterpret_cast<std::uint64_t>(g_idt)};
  asm volatile("lidt %0" : : "m"(idtr) : "memory");
}

TableRegister read_idtr() {
  Descriptor d;
  asm volatile("sidt %0" : "=m"(d));
  return {d.limit, d.base};
}

TableRegister read_gdtr() {
  Descriptor d;
  asm volatile("sgdt %0" : "=m"(d));
  return {d.limit, d.base};
}

std::uint16_t read_task_register() {
  std::uint16_t tr;
  asm volatile("str %0" : "=r"(tr));
  return tr;
}

void set_interrupt_gate(unsigned vector, std::uint64_t handler) {
  if (vector < kExceptionCount || vector >= kIdtEntries) return;
  g_idt[vector] = make_gate(handler, Ist::kNone, kInterruptGate);
}

std::uint8_t idt_gate_ist(unsigned vector) {
  return vector < kIdtEntries ? g_idt[vector].ist : 0;
}

}  // namespace arch

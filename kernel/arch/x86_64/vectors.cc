#include "kernel/arch/x86_64/vectors.h"

namespace arch {
namespace {

struct Names {
  const char* mnemonic;
  const char* name;
};

constexpr Names kNames[kExceptionCount] = {
    {"#DE", "Divide Error"},
    {"#DB", "Debug"},
    {"NMI", "Non-Maskable Interrupt"},
    {"#BP", "Breakpoint"},
    {"#OF", "Overflow"},
    {"#BR", "BOUND Range Exceeded"},
    {"#UD", "Invalid Opcode"},
    {"#NM", "Device Not Available"},
    {"#DF", "Double Fault"},
    {"CSO", "Coprocessor Segment Overrun"},
    {"#TS", "Invalid TSS"},
    {"#NP", "Segment Not Present"},
    {"#SS", "Stack-Segment Fault"},
    {"#GP", "General Protection"},
    {"#PF", "Page Fault"},
    {"-", "reserved"},
    {"#MF", "x87 Floating-Point Error"},
    {"#AC", "Alignment Check"},
    {"#MC", "Machine Check"},
    {"#XM", "SIMD Floating-Point"},
    {"#VE", "Virtualization"},
    {"#CP", "Control Protection"},
    {"-", "reserved"},
    {"-", "reserved"},
    {"-", "reserved"},
    {"-", "reserved"},
    {"-", "reserved"},
    {"-", "reserved"},
    {"#HV", "Hypervisor Injection"},
    {"#VC", "VMM Communication"},
    {"#SX", "Security"},
    {"-", "reserved"},
};

}  // namespace

const char* vector_mnemonic(std::uint64_t vector) {
  return vector < kExceptionCount ? kNames[vector].mnemonic : "?";
}
const char* vector_name(std::uint64_t vector) {
  return vector < kExceptionCount ? kNames[vector].name : "unknown vector";
}

const char* interrupt_vector_name(std::uint64_t vector) {
  if (vector >= vector_number(Vector::kPicBase) &&
      vector < vector_number(Vector::kPicBase) + kPicVectorCount) {
    return "legacy PIC interrupt";
  }
  if (vector >= vector_number(Vector::kIrqBase) && vector <= vector_number(Vector::kIrqLast)) {
    return "device interrupt";
  }
  switch (static_cast<Vector>(vector)) {
    case Vector::kTimer: return "local APIC timer";
    case Vector::kTestIpi: return "test IPI";
    case Vector::kReschedule: return "reschedule IPI";
    case Vector::kCallFunction: return "call-function IPI";
    case Vector::kTlbShootdown: return "TLB shootdown IPI";
    case Vector::kPanicStop: return "panic stop IPI";
    case Vector::kError: return "local APIC error";
    case Vector::kSpurious: return "spurious interrupt";
    default: return vector < 256 ? "unallocated vector" : "unknown vector";
  }
}

}  // namespace arch

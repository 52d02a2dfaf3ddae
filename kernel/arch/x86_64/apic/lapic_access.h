// How the local APIC's registers are reached: 32-bit MMIO in the xAPIC page, or MSRs in x2APIC
// mode. LocalApicDevice (lapic_device.h) holds the register logic and talks to one of these;
// both are pure (a base pointer, an MsrIo), so host tests drive them with fakes.
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/apic/lapic_registers.h"
#include "smp/irq_guard.h"

namespace apic {

// RDMSR/WRMSR, behind an interface so the host can record them.
class MsrIo {
 public:
  virtual std::uint64_t read(std::uint32_t msr) = 0;
  virtual void write(std::uint32_t msr, std::uint64_t value) = 0;

 protected:
  ~MsrIo() = default;
};

class LapicAccess {
 public:
  virtual bool x2apic() const = 0;
  virtual Reg32 read(Register r) = 0;
  virtual void write(Register r, Reg32 value) = 0;
  // Writes the whole ICR, which sends the IPI; `icr` already has the destination in this
  // mode's place (IcrXApicDestination or IcrX2ApicDestination).
  virtual void write_icr(Reg64 icr) = 0;
  virtual Reg64 read_icr() = 0;

 protected:
  ~LapicAccess() = default;
};

// xAPIC: 32-bit registers, the ICR in two halves. Holds the ICR protocol so that every xAPIC
// backend (the MMIO page below, the host tests' fakes) sends the same way; a backend supplies
// only the register accesses.
class XApicRegisters : public LapicAccess {
 public:
  bool x2apic() const final { return false; }
  // The high half (destination) first: the write of the low half is what sends. Both writes
  // happen with interrupts off on this CPU: an interrupt between them whose handler sends an
  // IPI (a reschedule kick from the tick, a call-function) would rewrite the high half, and our
  // low-half write would then send our IPI to its destination. The guard is here, at the only
  // place that writes the ICR, so no caller can forget it.
  //
  // NMIs cannot be masked. The kernel's NMI paths that send IPIs are the panic ones
  // (exception_dispatch -> kpanic::begin -> kcpus::stop_other_cpus, or panic_nmi halting this
  // CPU): each writes both halves itself and never returns to the interrupted code, so a
  // half-written ICR of the interrupted sender is abandoned, never completed with the wrong
  // destination. An NMI handler that returned after sending an IPI would break this.
  void write_icr(Reg64 icr) final {
    const smp::IrqGuard irq_off;
    write(Register::kIcrHigh, static_cast<Reg32>(icr >> 32));
    write(Register::kIcrLow, static_cast<Reg32>(icr));
  }
  Reg64 read_icr() final {
    return (Reg64{read(Register::kIcrHigh)} << 32) | read(Register::kIcrLow);
  }

 protected:
  ~XApicRegisters() = default;
};

// xAPIC: the 4 KiB register page, mapped uncached. Every register is a 32-bit access at its
// offset (the SDM requires aligned 32-bit accesses; wider or narrower ones are undefined).
// Writes carry the value as given: the device reads, modifies defined fields and writes back,
// so reserved bits keep what was read (the SDM's rule for reserved bits of xAPIC registers).
class XApicMmio final : public XApicRegisters {
 public:
  constexpr explicit XApicMmio(volatile std::uint32_t* base) : base_(base) {}

  // Both are volatile accesses, so the compiler keeps their order, and UC memory keeps it on
  // the bus (the ICR halves above rely on it).
  Reg32 read(Register r) override { return base_[offset_of(r) / 4]; }
  void write(Register r, Reg32 value) override { base_[offset_of(r) / 4] = value; }

 private:
  volatile std::uint32_t* base_;  // volatile: device registers, every access must happen
};

// x2APIC: register at offset o is MSR 0x800 + o/16; the ICR is one 64-bit MSR (0x830) whose
// write sends, so an IPI is one WRMSR: an interrupt cannot split it. Reserved bits are RsvdZ
// (SDM "Reserved Bit Checking" in the x2APIC section): a WRMSR that sets one raises #GP, so
// every write keeps only the register's defined, writable fields (x2apic_writable_bits()),
// whatever a read-modify-write brought along.
class X2ApicMsr final : public LapicAccess {
 public:
  constexpr explicit X2ApicMsr(MsrIo& msr) : msr_(msr) {}

  bool x2apic() const override { return true; }
  Reg32 read(Register r) override { return static_cast<Reg32>(msr_.read(x2apic_msr(r))); }
  void write(Register r, Reg32 value) override {
    msr_.write(x2apic_msr(r), value & x2apic_writable_bits(r));
  }
  void write_icr(Reg64 icr) override {
    msr_.write(x2apic_msr(Register::kIcrLow), icr & kX2ApicIcrWritableBits);
  }
  Reg64 read_icr() override { return msr_.read(x2apic_msr(Register::kIcrLow)); }

 private:
  MsrIo& msr_;
};

}  // namespace apic

// How the local APIC's registers are reached: 32-bit MMIO in the xAPIC page, or MSRs in x2APIC
// mode. LocalApicDevice (lapic_device.h) holds the register logic and talks to one of these;
// both are pure (a base pointer, an MsrIo), so host tests drive them with fakes.
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/apic/lapic_registers.h"

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

// xAPIC: the 4 KiB register page, mapped uncached. Every register is a 32-bit access at its
// offset (the SDM requires aligned 32-bit accesses; wider or narrower ones are undefined).
class XApicMmio final : public LapicAccess {
 public:
  constexpr explicit XApicMmio(volatile std::uint32_t* base) : base_(base) {}

  bool x2apic() const override { return false; }
  Reg32 read(Register r) override { return base_[offset_of(r) / 4]; }
  void write(Register r, Reg32 value) override { base_[offset_of(r) / 4] = value; }
  void write_icr(Reg64 icr) override {
    // High half first: the write of the low half is what sends. Both are volatile accesses, so
    // the compiler keeps their order, and UC memory keeps it on the bus.
    write(Register::kIcrHigh, static_cast<Reg32>(icr >> 32));
    write(Register::kIcrLow, static_cast<Reg32>(icr));
  }
  Reg64 read_icr() override {
    return (Reg64{read(Register::kIcrHigh)} << 32) | read(Register::kIcrLow);
  }

 private:
  volatile std::uint32_t* base_;  // volatile: device registers, every access must happen
};

// x2APIC: register at offset o is MSR 0x800 + o/16; the ICR is one 64-bit MSR (0x830) whose
// write sends.
class X2ApicMsr final : public LapicAccess {
 public:
  constexpr explicit X2ApicMsr(MsrIo& msr) : msr_(msr) {}

  bool x2apic() const override { return true; }
  Reg32 read(Register r) override { return static_cast<Reg32>(msr_.read(x2apic_msr(r))); }
  void write(Register r, Reg32 value) override { msr_.write(x2apic_msr(r), value); }
  void write_icr(Reg64 icr) override { msr_.write(x2apic_msr(Register::kIcrLow), icr); }
  Reg64 read_icr() override { return msr_.read(x2apic_msr(Register::kIcrLow)); }

 private:
  MsrIo& msr_;
};

}  // namespace apic

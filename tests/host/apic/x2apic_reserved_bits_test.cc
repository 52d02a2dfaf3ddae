// x2APIC registers are RsvdZ: a WRMSR that sets a reserved bit raises #GP (SDM, x2APIC
// "Reserved Bit Checking"). A strict fake MSR knows each register's reserved bits, written out
// here from the SDM's register figures (not computed from lapic_registers.h, so a wrong mask
// there shows), and records every write that would have faulted. The whole per-CPU set-up and
// every send run against registers that read back all ones (the worst a non-RsvdZ hypervisor
// could return): not one write may fault.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kernel/arch/x86_64/apic/lapic_device.h"

namespace apic::test {
namespace {

// MSR -> bits software may set (everything else is reserved or read-only).
const std::map<std::uint32_t, std::uint64_t> kWritable = {
    {0x808, 0xFF},                      // TPR: bits 31:8 reserved
    {0x80B, 0},                         // EOI: only 0
    {0x80F, 0x13FF},                    // SVR: vector, enable, focus, EOI broadcast suppression
    {0x828, 0},                         // ESR: written with 0
    {0x82F, 0x1'07FF},                  // LVT CMCI: vector, delivery mode, mask
    {0x830, 0xFFFF'FFFF'000C'CFFFull},  // ICR: 12, 13, 16-17, 20-31 reserved
    {0x832, 0x7'00FF},                  // LVT timer: vector, mask, timer mode
    {0x833, 0x1'07FF},                  // LVT thermal
    {0x834, 0x1'07FF},                  // LVT performance counters
    {0x835, 0x1'A7FF},                  // LVT LINT0: + polarity, trigger (remote IRR read-only)
    {0x836, 0x1'A7FF},                  // LVT LINT1
    {0x837, 0x1'00FF},                  // LVT error: vector, mask
    {0x838, 0xFFFF'FFFF},               // timer initial count
    {0x83E, 0xB},                       // divide configuration: bits 0, 1, 3
};

class StrictX2ApicMsr final : public MsrIo {
 public:
  std::uint64_t read(std::uint32_t msr) override {
    auto it = values.find(msr);
    return it != values.end() ? it->second : 0xFFFF'FFFFull;  // 32-bit registers, all ones
  }
  void write(std::uint32_t msr, std::uint64_t value) override {
    auto it = kWritable.find(msr);
    if (it == kWritable.end()) {
      faults.push_back("write to read-only or unknown MSR " + std::to_string(msr));
    } else if ((value & ~it->second) != 0) {
      faults.push_back("MSR " + std::to_string(msr) + " reserved bits " +
                       std::to_string(value & ~it->second));
    }
    values[msr] = value;
  }

  std::map<std::uint32_t, std::uint64_t> values;
  std::vector<std::string> faults;
};

TEST(X2ApicReservedBits, PerCpuSetUpNeverSetsAReservedBit) {
  StrictX2ApicMsr msr;
  X2ApicMsr access{msr};
  LocalApicDevice dev{access};
  // The order of kinterrupts::init_*'s set-up (kernel/interrupts/local_apic.cc), on registers
  // reading back all ones.
  dev.timer_stop();
  dev.mask_lvt(Register::kLvtPerf);
  dev.mask_lvt(Register::kLvtThermal);
  dev.mask_lvt(Register::kLvtCmci);
  dev.setup_lint(0, LintSetup{true, true, true});
  dev.setup_lint(1, LintSetup{});
  dev.accept_all_priorities();
  dev.software_enable(arch::Vector::kSpurious);
  (void)dev.read_error_status();
  dev.setup_error_vector(arch::Vector::kError);
  dev.eoi();
  EXPECT_EQ(msr.faults, std::vector<std::string>{});
  EXPECT_TRUE(dev.software_enabled());
}

TEST(X2ApicReservedBits, TimerModesNeverSetAReservedBit) {
  StrictX2ApicMsr msr;
  X2ApicMsr access{msr};
  LocalApicDevice dev{access};
  dev.timer_divide_by_1();
  dev.timer_start_one_shot(arch::Vector::kTimer, 0xFFFF'FFFF);
  msr.values.clear();  // all ones again
  dev.timer_start_periodic(arch::Vector::kTimer, 1000);
  msr.values.clear();
  dev.timer_set_tsc_deadline_mode(arch::Vector::kTimer);
  dev.timer_stop();
  EXPECT_EQ(msr.faults, std::vector<std::string>{});
  EXPECT_EQ(msr.values[0x832], 0x1'00EFu | (2u << 17));  // deadline mode, masked by stop
}

TEST(X2ApicReservedBits, EverySendNeverSetsAReservedBit) {
  StrictX2ApicMsr msr;
  X2ApicMsr access{msr};
  LocalApicDevice dev{access};
  EXPECT_TRUE(dev.send_fixed(klib::ApicId{0xFFFF'FFFE}, arch::Vector::kCallFunction));
  EXPECT_TRUE(dev.send_nmi(klib::ApicId{300}));
  EXPECT_TRUE(dev.send_init_assert(klib::ApicId{5}));
  EXPECT_TRUE(dev.send_startup(klib::ApicId{5}, 0xFF));
  dev.send_fixed_all_but_self(arch::Vector::kPanicStop);
  EXPECT_EQ(msr.faults, std::vector<std::string>{});
}

// The backend drops reserved bits whatever a caller passes: a raw write through LapicAccess
// with every bit set still cannot fault.
TEST(X2ApicReservedBits, RawWritesAreMaskedToTheDefinedFields) {
  StrictX2ApicMsr msr;
  X2ApicMsr access{msr};
  for (Register r : {Register::kTpr, Register::kSvr, Register::kLvtTimer, Register::kLvtLint0,
                     Register::kLvtError, Register::kLvtPerf, Register::kTimerDivide}) {
    access.write(r, 0xFFFF'FFFF);
  }
  access.write_icr(~Reg64{0});
  EXPECT_EQ(msr.faults, std::vector<std::string>{});
  EXPECT_EQ(msr.values[0x80F], 0x13FFu);
  EXPECT_EQ(msr.values[0x830], 0xFFFF'FFFF'000C'CFFFull);
}

}  // namespace
}  // namespace apic::test

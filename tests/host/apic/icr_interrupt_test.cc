// The xAPIC ICR is written in two halves (destination, then the low half that sends). An
// interrupt between them whose handler sends its own IPI would rewrite the destination, and the
// interrupted send would then go to the handler's CPU. These tests run every send of
// LocalApicDevice over an xAPIC register file whose "hardware" raises an interrupt right after
// the high-half write whenever the host platform says interrupts are on (the stand-in for a
// timer tick arriving there); the handler sends a reschedule IPI to another CPU. Each IPI must
// reach its own destination, and the interrupt must wait until the send is complete.
//
// Without the IrqGuard in XApicRegisters::write_icr the interrupt runs between the halves and
// OwnDestination fails for every directed send (the first IPI is recorded with destination 7).
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "kernel/arch/x86_64/apic/lapic_device.h"
#include "smp/irq_guard.h"
#include "smp/platform/host/platform_host.h"
#include "smp/platform/platform.h"

namespace apic::test {
namespace {

// One IPI as the APIC would send it: the destination field at the moment of the low write,
// and the low half.
struct SentIpi {
  std::uint8_t dest;
  Reg32 low;
  bool operator==(const SentIpi&) const = default;
};

std::ostream& operator<<(std::ostream& os, const SentIpi& s) {
  return os << "{dest " << unsigned{s.dest} << ", low 0x" << std::hex << s.low << std::dec << "}";
}

// An xAPIC register file in memory. A write of ICR low records the IPI it sends. After a
// write of ICR high, an armed interrupt arrives: it runs its handler at once if interrupts are
// on (as the CPU would take it before the next instruction), else it stays pending until
// take_pending_interrupt() (the CPU taking it when IF comes back).
class InterruptingXApic final : public XApicRegisters {
 public:
  Reg32 read(Register r) override { return regs_[offset_of(r) / 16]; }
  void write(Register r, Reg32 value) override {
    regs_[offset_of(r) / 16] = value;
    if (r == Register::kIcrLow) {
      sent.push_back({XApicId::get(regs_[offset_of(Register::kIcrHigh) / 16]), value});
    } else if (r == Register::kIcrHigh && armed_) {
      armed_ = false;
      pending_ = true;
      if (platform::irqs_enabled()) take_pending_interrupt();
    }
  }

  // The next ICR-high write raises one interrupt that runs `handler`.
  void arm(std::function<void()> handler) {
    handler_ = std::move(handler);
    armed_ = true;
  }
  bool interrupt_pending() const { return pending_; }
  // Runs the pending interrupt's handler in interrupt context (interrupts off inside).
  void take_pending_interrupt() {
    if (!pending_) return;
    pending_ = false;
    platform::host::irq_enter();
    handler_();
    platform::host::irq_exit();
  }

  std::vector<SentIpi> sent;

 private:
  Reg32 regs_[0x400 / 16] = {};
  std::function<void()> handler_;
  bool armed_ = false;
  bool pending_ = false;
};

// Each directed send of LocalApicDevice, with the low half it must produce.
struct Send {
  const char* name;
  std::function<bool(LocalApicDevice&, klib::ApicId)> send;
  Reg32 low;
};

std::vector<Send> directed_sends() {
  return {
      {"fixed", [](LocalApicDevice& d, klib::ApicId dest) {
         return d.send_fixed(dest, arch::Vector::kCallFunction);
       }, static_cast<Reg32>(LocalApicDevice::icr_fixed(arch::Vector::kCallFunction))},
      {"nmi", [](LocalApicDevice& d, klib::ApicId dest) { return d.send_nmi(dest); },
       static_cast<Reg32>(LocalApicDevice::icr_nmi())},
      {"init assert", [](LocalApicDevice& d, klib::ApicId dest) {
         return d.send_init_assert(dest);
       }, static_cast<Reg32>(LocalApicDevice::icr_init_assert())},
      {"init deassert", [](LocalApicDevice& d, klib::ApicId dest) {
         return d.send_init_deassert(dest);
       }, static_cast<Reg32>(LocalApicDevice::icr_init_deassert())},
      {"startup", [](LocalApicDevice& d, klib::ApicId dest) {
         return d.send_startup(dest, 0x9A);
       }, static_cast<Reg32>(LocalApicDevice::icr_startup(0x9A))},
  };
}

constexpr std::uint8_t kOurDest = 3;
constexpr std::uint8_t kHandlerDest = 7;
const Reg32 kRescheduleLow =
    static_cast<Reg32>(LocalApicDevice::icr_fixed(arch::Vector::kReschedule));

class IcrInterruptTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(platform::irqs_enabled()); }
  void arm_reschedule_kick() {
    apic.arm([this] { ASSERT_TRUE(dev.send_fixed(klib::ApicId{kHandlerDest}, arch::Vector::kReschedule)); });
  }

  InterruptingXApic apic;
  LocalApicDevice dev{apic};
};

TEST_F(IcrInterruptTest, EveryDirectedSendKeepsItsOwnDestination) {
  for (const Send& s : directed_sends()) {
    SCOPED_TRACE(s.name);
    apic.sent.clear();
    arm_reschedule_kick();
    ASSERT_TRUE(s.send(dev, klib::ApicId{kOurDest}));
    // The interrupt arrived after the high-half write and was held off until the send ended.
    EXPECT_TRUE(apic.interrupt_pending());
    EXPECT_TRUE(platform::irqs_enabled());  // and interrupts are on again afterwards
    apic.take_pending_interrupt();
    EXPECT_EQ(apic.sent, (std::vector<SentIpi>{{kOurDest, s.low}, {kHandlerDest, kRescheduleLow}}));
  }
}

TEST_F(IcrInterruptTest, AllButSelfIsNotInterruptedEither) {
  arm_reschedule_kick();
  dev.send_fixed_all_but_self(arch::Vector::kTlbShootdown);
  EXPECT_TRUE(apic.interrupt_pending());
  apic.take_pending_interrupt();
  const Reg32 all_but_self = static_cast<Reg32>(IcrShorthand::set(
      LocalApicDevice::icr_fixed(arch::Vector::kTlbShootdown),
      static_cast<std::uint8_t>(IcrDestShorthand::kAllButSelf)));
  EXPECT_EQ(apic.sent, (std::vector<SentIpi>{{0, all_but_self}, {kHandlerDest, kRescheduleLow}}));
}

TEST_F(IcrInterruptTest, CallerWithInterruptsOffKeepsThemOff) {
  const smp::IrqGuard off;
  arm_reschedule_kick();
  ASSERT_TRUE(dev.send_fixed(klib::ApicId{kOurDest}, arch::Vector::kCallFunction));
  EXPECT_FALSE(platform::irqs_enabled());  // the guard restores the caller's state, not "on"
  EXPECT_TRUE(apic.interrupt_pending());
  EXPECT_EQ(apic.sent.size(), 1u);
}

// The fake itself: with interrupts on, an interrupt armed before a plain register write runs
// at the next ICR-high write, so a send that wrote its halves without the guard would be
// split. Shown with the halves written one by one, as an unguarded sender would.
TEST_F(IcrInterruptTest, FakeInterruptsAnUnguardedPairOfWrites) {
  arm_reschedule_kick();
  apic.write(Register::kIcrHigh, Reg32{kOurDest} << 24);
  EXPECT_FALSE(apic.interrupt_pending());  // taken at once: interrupts were on
  apic.write(Register::kIcrLow, static_cast<Reg32>(LocalApicDevice::icr_fixed(
                                    arch::Vector::kCallFunction)));
  ASSERT_EQ(apic.sent.size(), 2u);
  EXPECT_EQ(apic.sent[1].dest, kHandlerDest);  // the split send went to the wrong CPU
}

}  // namespace
}  // namespace apic::test

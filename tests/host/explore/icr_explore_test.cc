// The xAPIC ICR write path (LocalApicDevice over XApicRegisters::write_icr) under the
// interleaving explorer (docs/explorer.md), issue 10's second race: the ICR is written in two
// halves, and an interrupt between them whose handler sends its own IPI rewrites the
// destination, so the interrupted send goes to the handler's destination.
//
// Each explored CPU has its own fake xAPIC register file. Every register write is an
// interleaving point, and after each one a timer interrupt may become pending on that CPU (the
// seed decides: explore::chance). A pending interrupt is a host IPI to the CPU itself, which the
// explore platform delivers at the next point where that CPU has interrupts on (there, or when
// an IrqGuard restores them), as the CPU takes a pending interrupt at the next instruction
// boundary. The handler sends a reschedule IPI to another CPU, as the tick's kick does. Every
// IPI a CPU sends must reach the destination it was sent to.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdint>

#include "explore_support.h"
#include "kernel/arch/x86_64/apic/lapic_device.h"
#include "smp/platform/host/host_ipi.h"
#include "smp/platform/host/platform_host.h"
#include "smp/platform/platform.h"

namespace apic::test {
namespace {

namespace explore = platform::host::explore;

constexpr std::uint32_t kCpus = 2;
constexpr std::uint8_t kHandlerDest = 7;
constexpr std::uint32_t kMaxInterrupts = 8;  // per CPU: each handler's writes may raise more
constexpr std::uint32_t kMaxSent = 64;

std::uint8_t own_dest(std::uint32_t cpu) { return static_cast<std::uint8_t>(3 + cpu); }

// One IPI as the APIC sends it: the destination field at the moment of the low write.
struct SentIpi {
  std::uint8_t dest;
  Reg32 low;
};

// One CPU's xAPIC register file in memory; a write of ICR low records the IPI it sends.
class ExploredXApic final : public XApicRegisters {
 public:
  Reg32 read(Register r) override { return regs_[offset_of(r) / 16]; }
  void write(Register r, Reg32 value) override {
    regs_[offset_of(r) / 16] = value;
    if (r == Register::kIcrLow && count < kMaxSent) {
      sent[count++] = {XApicId::get(regs_[offset_of(Register::kIcrHigh) / 16]), value};
    }
    // The tick may fire now: pending on this CPU, taken where interrupts are on.
    // One at a time (a second one while the first is pending would merge with it).
    if (interrupts < kMaxInterrupts && !platform::host::ipi_pending(platform::current_cpu()) &&
        explore::chance(1, 3)) {
      ++interrupts;
      platform::send_ipi(platform::current_cpu(), platform::IpiKind::kReschedule);
    }
    platform::interleave_point();  // the next instruction: a pending interrupt is taken here
  }

  SentIpi sent[kMaxSent] = {};
  std::uint32_t count = 0;
  std::uint32_t interrupts = 0;

 private:
  Reg32 regs_[0x400 / 16] = {};
};

ExploredXApic g_apic[kCpus];

LocalApicDevice device_here() {
  return LocalApicDevice{g_apic[platform::to_index(platform::current_cpu())]};
}

// The timer interrupt's handler: the tick kicks another CPU (interrupts are off here).
void tick_handler(void*) {
  LocalApicDevice dev = device_here();
  if (!dev.send_fixed(klib::ApicId{kHandlerDest}, arch::Vector::kReschedule)) explore::fail("kick not sent");
}

// The sends of LocalApicDevice that take a destination, with the low half each must produce.
struct Send {
  bool (*send)(LocalApicDevice&, klib::ApicId);
  Reg32 low;
};
const Send kSends[] = {
    {[](LocalApicDevice& d, klib::ApicId dest) {
       return d.send_fixed(dest, arch::Vector::kCallFunction);
     }, static_cast<Reg32>(LocalApicDevice::icr_fixed(arch::Vector::kCallFunction))},
    {[](LocalApicDevice& d, klib::ApicId dest) { return d.send_nmi(dest); },
     static_cast<Reg32>(LocalApicDevice::icr_nmi())},
    {[](LocalApicDevice& d, klib::ApicId dest) { return d.send_init_assert(dest); },
     static_cast<Reg32>(LocalApicDevice::icr_init_assert())},
    {[](LocalApicDevice& d, klib::ApicId dest) { return d.send_startup(dest, 0x9A); },
     static_cast<Reg32>(LocalApicDevice::icr_startup(0x9A))},
    {[](LocalApicDevice& d, klib::ApicId dest) {
       return d.send_fixed(dest, arch::Vector::kTlbShootdown);
     }, static_cast<Reg32>(LocalApicDevice::icr_fixed(arch::Vector::kTlbShootdown))},
};
constexpr std::uint32_t kSendCount = sizeof kSends / sizeof kSends[0];

[[noreturn]] void fail_send(std::uint32_t cpu, std::uint32_t i, const SentIpi& s,
                            std::uint8_t want) {
  char msg[200];
  std::snprintf(msg, sizeof msg,
                "cpu %u: IPI %u (low 0x%x) went to APIC %u, sent to APIC %u (an interrupt "
                "between the ICR halves rewrote the destination)",
                cpu, i, static_cast<unsigned>(s.low), unsigned{s.dest}, unsigned{want});
  explore::fail(msg);
}

// Every IPI in the order sent: ours (kSends, in order) to our destination, the handlers'
// kicks to kHandlerDest, and nothing else.
void check_sent(std::uint32_t cpu) {
  const ExploredXApic& apic = g_apic[cpu];
  const Reg32 kick = static_cast<Reg32>(LocalApicDevice::icr_fixed(arch::Vector::kReschedule));
  std::uint32_t ours = 0;
  std::uint32_t kicks = 0;
  for (std::uint32_t i = 0; i < apic.count; ++i) {
    const SentIpi& s = apic.sent[i];
    if (s.low == kick) {
      if (s.dest != kHandlerDest) fail_send(cpu, i, s, kHandlerDest);
      ++kicks;
    } else if (ours < kSendCount && s.low == kSends[ours].low) {
      if (s.dest != own_dest(cpu)) fail_send(cpu, i, s, own_dest(cpu));
      ++ours;
    } else {
      explore::fail("an IPI nobody sent");
    }
  }
  if (ours != kSendCount) explore::fail("a send is missing");
  if (kicks != apic.interrupts) explore::fail("an interrupt's kick is missing");
}

class ExploreIcr : public ::testing::Test {
 protected:
  void SetUp() override {
    platform::host::set_cpu_count(kCpus);
    platform::host::reset_ipis();
    platform::host::set_ipi_handler(platform::IpiKind::kReschedule, &tick_handler, nullptr);
  }
  void TearDown() override {
    platform::host::set_ipi_handler(platform::IpiKind::kReschedule, nullptr, nullptr);
    platform::host::reset_ipis();
  }
};

// Each CPU sends every kind of directed IPI with interrupts on while ticks arrive at seeded
// points; at the end it takes what is still pending and checks every IPI it sent.
TEST_F(ExploreIcr, InterruptDuringAnIcrWriteDoesNotRedirectTheIpi) {
  for (explore::Strategy s : {explore::Strategy::kPct, explore::Strategy::kRandom}) {
    explore::Options o;
    o.strategy = s;
    o.steps_hint = 60;
    o.switch_odds = 3;
    auto r = explore::search(kCpus, 1, exploretest::kSchedules / 2, exploretest::kSeconds / 4, o,
                             [](std::uint32_t cpu) {
                               LocalApicDevice dev = device_here();
                               for (const Send& send : kSends) {
                                 if (!send.send(dev, klib::ApicId{own_dest(cpu)})) explore::fail("not sent");
                               }
                               // Interrupts are on: whatever is pending is taken here.
                               platform::interleave_point();
                               if (platform::host::ipi_pending(platform::current_cpu())) {
                                 explore::fail("an interrupt still pending at the end");
                               }
                               check_sent(cpu);
                             });
    exploretest::expect_clean(r, 2 * kSendCount * 2);
    if (r.found) return;
  }
}

}  // namespace
}  // namespace apic::test

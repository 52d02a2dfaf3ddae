// IOAPIC redirection entries through a recording select/window fake, and ISA IRQ resolution.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "kernel/arch/x86_64/apic/io_apic_device.h"
#include "kernel/arch/x86_64/apic/isa_routing.h"

namespace apic::test {
namespace {

class FakeWindow final : public IoApicWindow {
 public:
  std::uint32_t read(std::uint8_t index) override { return regs[index]; }
  void write(std::uint8_t index, std::uint32_t value) override {
    regs[index] = value;
    writes.emplace_back(index, value);
  }
  std::uint32_t regs[256] = {};
  std::vector<std::pair<std::uint8_t, std::uint32_t>> writes;
};

using W = std::vector<std::pair<std::uint8_t, std::uint32_t>>;

TEST(IoApicTest, EntryCountFromVersionRegister) {
  FakeWindow w;
  IoApicDevice dev(w);
  w.regs[1] = 0x0017'0020;  // 24 entries, version 0x20
  EXPECT_EQ(dev.entry_count(), 24u);
  w.regs[1] = 0x00FF'0020;  // 256 claimed: only 120 are addressable with an 8-bit index
  EXPECT_EQ(dev.entry_count(), 120u);
}

TEST(IoApicTest, RouteMasksFirstThenHighThenLow) {
  FakeWindow w;
  IoApicDevice dev(w);
  w.regs[0x14] = 0x0000'0000;  // pin 2 live and unmasked before
  ASSERT_TRUE(dev.route(2, RouteConfig{0x32, klib::ApicId{1}, true, true, false}));
  EXPECT_EQ(w.writes, (W{{0x14, 0x0001'0000}, {0x15, 0x0100'0000}, {0x14, 0x0000'A032}}));
  EXPECT_EQ(dev.read_entry(2), 0x0100'0000'0000'A032ull);
}

TEST(IoApicTest, RouteEdgeHighMasked) {
  FakeWindow w;
  IoApicDevice dev(w);
  ASSERT_TRUE(dev.route(0, RouteConfig{0x30, klib::ApicId{0}, false, false, true}));
  EXPECT_EQ(dev.read_entry(0), 0x0000'0000'0001'0030ull);
}

TEST(IoApicTest, ApicIdAbove255IsRefused) {
  FakeWindow w;
  IoApicDevice dev(w);
  EXPECT_FALSE(dev.route(3, RouteConfig{0x33, klib::ApicId{256}, false, false, false}));
  EXPECT_TRUE(w.writes.empty());
}

TEST(IoApicTest, MaskUnmaskTouchOnlyTheMaskBit) {
  FakeWindow w;
  IoApicDevice dev(w);
  w.regs[0x10 + 2 * 5] = 0x0000'A035;
  dev.set_masked(5, true);
  EXPECT_EQ(w.regs[0x1A], 0x0001'A035u);
  dev.set_masked(5, false);
  EXPECT_EQ(w.regs[0x1A], 0x0000'A035u);
  EXPECT_EQ(w.writes.size(), 2u);
}

acpi::InterruptOverride make_override(std::uint8_t irq, std::uint32_t gsi, acpi::Polarity p,
                                      acpi::Trigger t) {
  acpi::InterruptOverride o;
  o.source_irq = irq;
  o.gsi = gsi;
  o.polarity = p;
  o.trigger = t;
  return o;
}

TEST(IsaRoutingTest, DefaultsAreIdentityEdgeHigh) {
  const GsiSetup s = resolve_isa_irq(4, nullptr, 0);
  EXPECT_EQ(s.gsi, 4u);
  EXPECT_FALSE(s.active_low);
  EXPECT_FALSE(s.level);
  EXPECT_FALSE(s.overridden);
}

TEST(IsaRoutingTest, OverridesApplyGsiPolarityAndTrigger) {
  const acpi::InterruptOverride o[] = {
      make_override(0, 2, acpi::Polarity::kConforms, acpi::Trigger::kConforms),
      make_override(9, 9, acpi::Polarity::kActiveLow, acpi::Trigger::kLevel),
      make_override(11, 11, acpi::Polarity::kActiveHigh, acpi::Trigger::kLevel),
  };
  GsiSetup s = resolve_isa_irq(0, o, 3);
  EXPECT_EQ(s.gsi, 2u);
  EXPECT_FALSE(s.active_low);
  EXPECT_FALSE(s.level);
  EXPECT_TRUE(s.overridden);
  s = resolve_isa_irq(9, o, 3);
  EXPECT_TRUE(s.active_low);
  EXPECT_TRUE(s.level);
  s = resolve_isa_irq(11, o, 3);
  EXPECT_FALSE(s.active_low);
  EXPECT_TRUE(s.level);
  s = resolve_isa_irq(1, o, 3);
  EXPECT_EQ(s.gsi, 1u);
  EXPECT_FALSE(s.overridden);
}

TEST(IsaRoutingTest, GsiDefaultsIsaBelow16PciAbove) {
  const acpi::InterruptOverride o[] = {
      make_override(9, 9, acpi::Polarity::kActiveLow, acpi::Trigger::kLevel)};
  EXPECT_FALSE(resolve_gsi(5, o, 1).level);
  EXPECT_TRUE(resolve_gsi(9, o, 1).level);
  const GsiSetup pci = resolve_gsi(20, o, 1);
  EXPECT_TRUE(pci.level);
  EXPECT_TRUE(pci.active_low);
}

}  // namespace
}  // namespace apic::test

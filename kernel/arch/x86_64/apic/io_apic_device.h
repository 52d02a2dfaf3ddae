// One IOAPIC's register logic over its select/window pair (pure; host-tested with a fake
// window). The caller serialises access: a select and its window access must not be split by
// another CPU's (kernel/interrupts/io_apic.cc holds an IRQ-saving lock around every call).
#pragma once

#include <cstdint>

#include "kernel/arch/x86_64/apic/io_apic_registers.h"
#include "smp/klib/ids.h"

namespace apic {

class IoApicWindow {
 public:
  virtual std::uint32_t read(std::uint8_t index) = 0;
  virtual void write(std::uint8_t index, std::uint32_t value) = 0;

 protected:
  ~IoApicWindow() = default;
};

// The select/window pair in uncached MMIO (the kernel maps the page, kIoApicMmioSize bytes).
// 32-bit accesses only (the 82093AA datasheet: the registers must be accessed as dwords).
class IoApicMmio final : public IoApicWindow {
 public:
  explicit IoApicMmio(volatile std::uint32_t* base) : base_(base) {}
  std::uint32_t read(std::uint8_t index) override {
    base_[kIoRegSelOffset / 4] = index;
    return base_[kIoWinOffset / 4];
  }
  void write(std::uint8_t index, std::uint32_t value) override {
    base_[kIoRegSelOffset / 4] = index;
    base_[kIoWinOffset / 4] = value;
  }

 private:
  volatile std::uint32_t* base_;  // volatile: device registers; every access must happen in order
};

// Where and how one input is delivered: fixed delivery, physical destination.
struct RouteConfig {
  std::uint8_t vector = 0;
  klib::ApicId apic_id{};  // must fit 8 bits (no interrupt remapping)
  bool active_low = false;
  bool level = false;
  bool masked = false;
};

class IoApicDevice {
 public:
  explicit IoApicDevice(IoApicWindow& window) : w_(window) {}

  std::uint32_t version_register() { return w_.read(kIoApicVersionIndex); }
  // Redirection entries (Max Redirection Entry + 1), capped at what the 8-bit index can reach.
  std::uint32_t entry_count();

  std::uint64_t read_entry(std::uint32_t pin);
  // Writes an entry so that it is never live half-written: mask the low word first, then the
  // high word, then the final low word.
  void write_entry(std::uint32_t pin, std::uint64_t value);

  // Programs `pin` as `config` says (fixed, physical). False, nothing written, when the APIC ID
  // does not fit the 8-bit destination field.
  [[nodiscard]] bool route(std::uint32_t pin, const RouteConfig& config);
  // Sets/clears only the mask bit (one low-word read-modify-write; other bits kept).
  void set_masked(std::uint32_t pin, bool masked);

  static std::uint64_t encode(const RouteConfig& config);

 private:
  IoApicWindow& w_;
};

}  // namespace apic

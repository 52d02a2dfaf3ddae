#include "kernel/arch/x86_64/apic/legacy_pic.h"

#include <atomic>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/vectors.h"

namespace apic {
namespace {

// 8259A ports and command words (Intel 8259A data sheet; OSDev "8259 PIC").
constexpr std::uint16_t kMasterCommand = 0x20;
constexpr std::uint16_t kMasterData = 0x21;
constexpr std::uint16_t kSlaveCommand = 0xA0;
constexpr std::uint16_t kSlaveData = 0xA1;
constexpr std::uint8_t kIcw1Init = 0x10;        // start initialisation
constexpr std::uint8_t kIcw1NeedIcw4 = 0x01;
constexpr std::uint8_t kIcw3MasterSlaveOnIrq2 = 1u << 2;  // master: a slave on IR2
constexpr std::uint8_t kIcw3SlaveCascadeId = 2;           // slave: its cascade identity
constexpr std::uint8_t kIcw4Mode8086 = 0x01;
constexpr std::uint8_t kOcw3ReadIsr = 0x0B;
constexpr std::uint8_t kOcw2Eoi = 0x20;  // non-specific EOI
constexpr std::uint8_t kAllMasked = 0xFF;
constexpr unsigned kSpuriousLine = 7;    // the lowest-priority line of each PIC
constexpr unsigned kLinesPerPic = 8;

std::atomic<std::uint64_t> g_spurious{0};

// The 8259A needs time between command words on old chipsets; a write to the POST diagnostic
// port 0x80 takes about a microsecond on the ISA bus and has no other effect.
void io_wait() { arch::outb(0x80, 0); }

std::uint8_t read_isr(std::uint16_t command_port) {
  arch::outb(command_port, kOcw3ReadIsr);
  return arch::inb(command_port);
}

}  // namespace

void pic_remap_and_mask() {
  const std::uint8_t master_base = arch::vector_number(arch::Vector::kPicBase);
  const std::uint8_t slave_base = static_cast<std::uint8_t>(master_base + kLinesPerPic);
  arch::outb(kMasterCommand, kIcw1Init | kIcw1NeedIcw4);
  io_wait();
  arch::outb(kSlaveCommand, kIcw1Init | kIcw1NeedIcw4);
  io_wait();
  arch::outb(kMasterData, master_base);
  io_wait();
  arch::outb(kSlaveData, slave_base);
  io_wait();
  arch::outb(kMasterData, kIcw3MasterSlaveOnIrq2);
  io_wait();
  arch::outb(kSlaveData, kIcw3SlaveCascadeId);
  io_wait();
  arch::outb(kMasterData, kIcw4Mode8086);
  io_wait();
  arch::outb(kSlaveData, kIcw4Mode8086);
  io_wait();
  arch::outb(kMasterData, kAllMasked);
  arch::outb(kSlaveData, kAllMasked);
}

bool pic_handle_interrupt(unsigned irq) {
  const bool slave = irq >= kLinesPerPic;
  const unsigned line = irq % kLinesPerPic;
  const std::uint16_t command = slave ? kSlaveCommand : kMasterCommand;
  if (line == kSpuriousLine && !(read_isr(command) & (1u << kSpuriousLine))) {
    // Spurious: the PIC did not mark it in service. The slave's spurious IRQ still went
    // through the master's cascade line, which is in service and needs its EOI.
    g_spurious.fetch_add(1, std::memory_order_relaxed);
    if (slave) arch::outb(kMasterCommand, kOcw2Eoi);
    return false;
  }
  if (slave) arch::outb(kSlaveCommand, kOcw2Eoi);
  arch::outb(kMasterCommand, kOcw2Eoi);
  return true;
}

std::uint16_t pic_masks() {
  return static_cast<std::uint16_t>(arch::inb(kMasterData) | (arch::inb(kSlaveData) << 8));
}

std::uint64_t pic_spurious_count() { return g_spurious.load(std::memory_order_relaxed); }

}  // namespace apic

// The two legacy 8259A PICs: remapped off the exception vectors and masked, so the IOAPIC is
// the only interrupt router. A masked PIC can still raise a spurious IRQ 7/15; the remap makes
// it land on arch::Vector::kPicSpuriousMaster/Slave instead of #DF/#GP.
#pragma once

#include <cstdint>

namespace apic {

// Boot CPU, interrupts off, once: ICW1..4 (master vectors 0x20.., slave 0x28.., cascade on
// IRQ 2), then every line masked. Harmless where no PIC exists (port writes go nowhere).
void pic_remap_and_mask();

// From the dispatcher, for a PIC vector (`irq` 0..15): a spurious IRQ 7/15 is counted and,
// for 15, the master gets the EOI the cascade needs; a real one (it should not happen, every
// line is masked) is acknowledged. True for a real one, which the caller reports.
[[nodiscard]] bool pic_handle_interrupt(unsigned irq);

// What the PICs hold now: the mask registers (master low byte, slave high byte), and how many
// spurious IRQs have been seen.
std::uint16_t pic_masks();
std::uint64_t pic_spurious_count();

}  // namespace apic

// The Multiple APIC Description Table ("APIC", ACPI 6.5 §5.2.12): its fixed fields and a cursor
// over its interrupt controller structures, decoding every x86 type of ACPI 6.5.
//
// The cursor checks each entry before decoding it: length 0, a length below the minimum for
// its type, or an entry crossing the table's end stop the walk with an error naming the offset.
// Types this code does not know (GIC types, OEM types, future ones) are skipped by their length.
#pragma once

#include <cstdint>

#include "acpi/error.h"
#include "acpi/sdt.h"
#include "smp/klib/ids.h"

namespace acpi {

enum class MadtType : std::uint8_t {
  kLocalApic = 0x0,
  kIoApic = 0x1,
  kInterruptOverride = 0x2,
  kNmiSource = 0x3,
  kLocalApicNmi = 0x4,
  kLocalApicAddressOverride = 0x5,
  kLocalX2Apic = 0x9,
  kLocalX2ApicNmi = 0xA,
  kMultiprocessorWakeup = 0x10,
};

// Minimum length of each known type (ACPI 6.5 tables 5.22-5.36); 2 for the unknown ones (their
// type and length bytes). Longer entries are accepted: later revisions may append fields.
std::uint8_t madt_min_length(std::uint8_t type);

// Processor flags (Local APIC and Local x2APIC structures, table 5.23).
inline constexpr std::uint32_t kMadtCpuEnabled = 1u << 0;
inline constexpr std::uint32_t kMadtCpuOnlineCapable = 1u << 1;  // MADT revision >= 5 only
// MADT Flags: the system also has dual 8259 PICs that the OS must mask.
inline constexpr std::uint32_t kMadtPcatCompat = 1u << 0;
// ACPI 6.3 (MADT revision 5) introduced Online Capable; before that bit 1 is reserved.
inline constexpr std::uint8_t kMadtOnlineCapableRevision = 5;

// MPS INTI flags (Interrupt Source Override, NMI Source, Local APIC NMI).
enum class Polarity : std::uint8_t { kConforms = 0, kActiveHigh = 1, kReserved = 2, kActiveLow = 3 };
enum class Trigger : std::uint8_t { kConforms = 0, kEdge = 1, kReserved = 2, kLevel = 3 };
inline Polarity inti_polarity(std::uint16_t flags) { return static_cast<Polarity>(flags & 3); }
inline Trigger inti_trigger(std::uint16_t flags) { return static_cast<Trigger>((flags >> 2) & 3); }
const char* polarity_name(Polarity p);
const char* trigger_name(Trigger t);

// One decoded entry. Processor UIDs are 8-bit for type 0/4 and 32-bit for type 9/0xA; both are
// widened to 32 bits here, with the "all processors" UID kept as given (0xFF / 0xFFFFFFFF).
// 32-bit everywhere (x2APIC); logical CPU numbers are a different type (smp/klib/ids.h).
using klib::ApicId;
using klib::to_raw;

struct MadtEntry {
  std::uint8_t type = 0;
  std::uint8_t length = 0;
  std::uint32_t offset = 0;  // byte offset inside the MADT
  struct LocalApic { std::uint32_t uid; ApicId apic_id; std::uint32_t flags; };
  struct IoApic { std::uint8_t id; std::uint32_t address; std::uint32_t gsi_base; };
  struct Override { std::uint8_t bus; std::uint8_t source_irq; std::uint32_t gsi; std::uint16_t flags; };
  struct NmiSource { std::uint16_t flags; std::uint32_t gsi; };
  struct LapicNmi { std::uint32_t uid; std::uint16_t flags; std::uint8_t lint; };
  struct AddressOverride { std::uint64_t address; };
  struct Wakeup {
    std::uint16_t mailbox_version;
    std::uint64_t mailbox_address;
    std::uint64_t reset_vector;  // ACPI 6.6 addition, 0 when the entry is the 16-byte form
  };
  union {
    LocalApic local_apic;        // types 0 and 9 (x2apic: type == 9)
    IoApic io_apic;              // type 1
    Override override_;          // type 2
    NmiSource nmi_source;        // type 3
    LapicNmi lapic_nmi;          // types 4 and 0xA
    AddressOverride address_override;  // type 5
    Wakeup wakeup;               // type 0x10
  };
  MadtEntry() : local_apic{0, ApicId{0}, 0} {}

  bool is(MadtType t) const { return type == static_cast<std::uint8_t>(t); }
};

class Madt {
 public:
  // Checks the header (via check_table) and the fixed fields. Entries are checked by the cursor.
  static klib::Result<Madt, Error> parse(const std::uint8_t* bytes, std::size_t available,
                                         Diagnostics* diag);
  static klib::Result<Madt, Error> from_table(const Table& table);

  const Table& table() const { return table_; }
  std::uint8_t revision() const { return table_.header.revision; }
  std::uint32_t lapic_address() const { return lapic_address_; }  // before any type 5 override
  std::uint32_t flags() const { return flags_; }
  bool pcat_compat() const { return (flags_ & kMadtPcatCompat) != 0; }

  class Cursor {
   public:
    // Decodes the next entry into `out`: true when there was one, false at the end, an error
    // for a malformed entry (the cursor then stays at the end).
    klib::Result<bool, Error> next(MadtEntry& out);

   private:
    friend class Madt;
    Cursor(const Table* t) : table_(t), offset_(44) {}
    const Table* table_;
    std::uint32_t offset_;
  };
  Cursor entries() const { return Cursor(&table_); }

  // Walks every entry once; the first malformed entry's error, else Ok.
  klib::Result<void, Error> validate() const;

 private:
  Table table_;
  std::uint32_t lapic_address_ = 0;
  std::uint32_t flags_ = 0;
};

}  // namespace acpi

// Step 1: the ACPI RSDP from the UEFI configuration table.
#include "efi/console.h"
#include "efi/loader.h"
#include "efi/rsdp_check.h"

namespace loader {
namespace {

bool same_guid(const EFI_GUID& a, const EFI_GUID& b) {
  const auto* x = reinterpret_cast<const std::uint8_t*>(&a);
  const auto* y = reinterpret_cast<const std::uint8_t*>(&b);
  for (std::size_t i = 0; i < sizeof(EFI_GUID); ++i) {
    if (x[i] != y[i]) return false;
  }
  return true;
}

// The first entry with `guid` whose RSDP passes the checks; reports entries that fail.
bool try_table(EFI_SYSTEM_TABLE* system_table, EFI_GUID guid, const char* name,
               boot::BootInfo& info) {
  for (UINTN i = 0; i < system_table->NumberOfTableEntries; ++i) {
    const EFI_CONFIGURATION_TABLE& entry = system_table->ConfigurationTable[i];
    if (!same_guid(entry.VendorGuid, guid)) continue;
    const auto* rsdp = static_cast<const std::uint8_t*>(entry.VendorTable);
    // The firmware does not say how many bytes are there; the check reads at most the length
    // the table claims, itself capped at kRsdpMaxLength.
    auto checked = check_rsdp(rsdp, kRsdpMaxLength);
    if (!checked.ok()) {
      log("warning: {} table entry {}: {}", name, i, checked.error());
      continue;
    }
    info.rsdp = reinterpret_cast<std::uint64_t>(rsdp);
    info.rsdp_revision = checked.value().revision;
    log("RSDP at {:#x} ({}, revision {})", info.rsdp, name, info.rsdp_revision);
    return true;
  }
  return false;
}

}  // namespace

void find_rsdp(EFI_SYSTEM_TABLE* system_table, boot::BootInfo& info) {
  info.rsdp = 0;
  info.rsdp_revision = 0;
  if (system_table->ConfigurationTable == nullptr) {
    log("warning: no configuration table, booting without ACPI");
    return;
  }
  // The 2.0 entry wins wherever it stands in the table: it carries the XSDT.
  if (try_table(system_table, EFI_GUID(ACPI_20_TABLE_GUID), "ACPI 2.0", info)) return;
  if (try_table(system_table, EFI_GUID(ACPI_TABLE_GUID), "ACPI 1.0", info)) return;
  log("warning: no valid RSDP, booting without ACPI");
}

}  // namespace loader

#include "acpi/host/topology_storage.h"
#include "acpi/tools/acpiinfo/report.h"

#include "acpi/root_tables.h"
#include "acpi/sdt.h"

namespace acpiinfo {
namespace {

class StringSink final : public fmt::Sink {
 public:
  void write(const char* text, std::size_t length) override { text_.append(text, length); }
  std::string text_;
};

std::string describe(const std::string& file, const acpi::Error& e) {
  StringSink s;
  acpi::format_error(s, e);
  return file + ": " + s.text_;
}

// Warnings from the library, each tagged with the file being looked at.
class Collector final : public acpi::Diagnostics {
 public:
  explicit Collector(Report& report) : report_(report) {}
  void warning(const acpi::Error& w) override { report_.warnings.push_back(describe(file, w)); }
  std::string file;

 private:
  Report& report_;
};

// Finds tables either through the RSDP (when the input had addresses, as the kernel would) or
// by signature among the input files.
class Locator {
 public:
  Locator(const Inputs& inputs, Report& report, Collector& diag)
      : inputs_(inputs), memory_(inputs), report_(report), diag_(diag) {
    const Blob* rsdp = inputs.addressed_rsdp();
    if (rsdp == nullptr) {
      report_.source = "by signature (no RSDP with an address in the input)";
      return;
    }
    diag_.file = rsdp->file;
    auto root = acpi::RootTables::open(memory_, rsdp->phys, &diag_);
    if (!root.ok()) {
      report_.errors.push_back(describe(rsdp->file, root.error()));
      report_.source = "by signature (the RSDP walk failed)";
      return;
    }
    root_.emplace(root.value());
    report_.source = std::string("through the RSDP, ") + (root_->uses_xsdt() ? "XSDT" : "RSDT");
  }

  // The table with `sig`, or nullopt (with an error recorded unless it is simply absent).
  std::optional<acpi::Table> find(const char* sig, std::string& file) {
    if (root_) {
      auto t = root_->find(sig, 0, &diag_);
      const Blob* home = t.ok() ? inputs_.at_address(t.value().phys) : nullptr;
      file = home != nullptr ? home->file : diag_.file;
      if (t.ok()) return t.value();
      if (t.error().reason != acpi::Reason::kNotFound) report_.errors.push_back(describe(file, t.error()));
      return std::nullopt;
    }
    const Blob* b = inputs_.by_name(sig);
    if (b == nullptr) return std::nullopt;
    file = b->file;
    diag_.file = file;
    auto t = acpi::check_table(b->bytes.data(), b->bytes.size(), sig, &diag_);
    if (!t.ok()) {
      report_.errors.push_back(describe(file, t.error()));
      return std::nullopt;
    }
    return t.value();
  }

 private:
  const Inputs& inputs_;
  BlobMemory memory_;
  Report& report_;
  Collector& diag_;
  std::optional<acpi::RootTables> root_;
};

template <typename T>
std::vector<T> copy_slots(const acpi::Slots<T>& slots) {
  return std::vector<T>(slots.data, slots.data + slots.size);
}

void add_topology(Locator& locator, const Options& options, Report& report) {
  std::string file;
  auto table = locator.find("APIC", file);
  if (!table) {
    if (report.errors.empty()) report.errors.push_back("no MADT (APIC) among the inputs");
    return;
  }
  auto madt = acpi::Madt::from_table(*table);
  if (!madt.ok()) return report.errors.push_back(describe(file, madt.error()));
  auto sizes = acpi::measure_topology(madt.value());
  if (!sizes.ok()) return report.errors.push_back(describe(file, sizes.error()));

  TopologyReport t;
  if (options.boot_apic_id) {
    t.boot_apic_id = *options.boot_apic_id;
    t.boot_apic_id_given = true;
  } else {
    acpi::ApicId first{};
    auto found = acpi::first_usable_apic_id(madt.value(), first);
    if (!found.ok()) return report.errors.push_back(describe(file, found.error()));
    if (!found.value()) return report.errors.push_back(file + ": APIC: no usable CPU entry");
    t.boot_apic_id = first;
    report.notes.push_back("boot CPU unknown on the host: assuming APIC ID " +
                           std::to_string(acpi::to_raw(first)) +
                           ", the first usable CPU entry (choose with --boot-apic-id N)");
  }

  acpi::host::TopologyStorage storage(sizes.value());
  acpi::Topology& topo = storage.topology;
  auto built = acpi::build_topology(madt.value(), t.boot_apic_id, topo);
  if (!built.ok()) return report.errors.push_back(describe(file, built.error()));

  t.madt_revision = topo.madt_revision;
  t.lapic_address = topo.lapic_address;
  t.lapic_address_overridden = topo.lapic_address_overridden;
  t.pcat_compat = topo.pcat_compat;
  t.boot_status = topo.boot_status;
  t.cpus = copy_slots(topo.cpus);
  t.skipped = copy_slots(topo.skipped);
  t.hotpluggable = topo.hotpluggable;
  t.ioapics = copy_slots(topo.ioapics);
  t.overrides = copy_slots(topo.overrides);
  t.nmi_sources = copy_slots(topo.nmi_sources);
  t.lapic_nmis = copy_slots(topo.lapic_nmis);
  t.has_wakeup = topo.has_wakeup_mailbox;
  t.wakeup_version = topo.wakeup_mailbox_version;
  t.wakeup_mailbox = topo.wakeup_mailbox_address;
  t.wakeup_reset_vector = topo.wakeup_reset_vector;
  if (topo.boot_status == acpi::BootCpuStatus::kNotListed) {
    report.warnings.push_back(file + ": APIC: boot CPU (APIC ID " + std::to_string(acpi::to_raw(t.boot_apic_id)) +
                              ") is not listed; added as CPU 0");
  } else if (topo.boot_status == acpi::BootCpuStatus::kListedUnusable) {
    report.warnings.push_back(file + ": APIC: boot CPU (APIC ID " + std::to_string(acpi::to_raw(t.boot_apic_id)) +
                              ") is listed as not usable; used anyway as CPU 0");
  }
  report.topology = std::move(t);
}

void add_others(Locator& locator, Report& report) {
  std::string file;
  if (auto table = locator.find("SRAT", file)) {
    auto srat = acpi::Srat::from_table(*table);
    if (!srat.ok()) {
      report.errors.push_back(describe(file, srat.error()));
    } else {
      report.has_srat = true;
      auto cursor = srat.value().entries();
      acpi::SratEntry e;
      for (;;) {
        auto more = cursor.next(e);
        if (!more.ok()) {
          report.errors.push_back(describe(file, more.error()));
          break;
        }
        if (!more.value()) break;
        if (e.is(acpi::SratType::kProcessorApic) || e.is(acpi::SratType::kMemory) ||
            e.is(acpi::SratType::kProcessorX2Apic)) {
          report.srat.push_back(e);
        }
      }
    }
  }
  if (auto table = locator.find("HPET", file)) {
    auto hpet = acpi::parse_hpet(*table);
    if (hpet.ok()) report.hpet = hpet.value();
    else report.errors.push_back(describe(file, hpet.error()));
  }
  if (auto table = locator.find("FACP", file)) {
    auto fadt = acpi::parse_fadt(*table);
    if (fadt.ok()) report.fadt = fadt.value();
    else report.errors.push_back(describe(file, fadt.error()));
  }
  if (auto table = locator.find("MCFG", file)) {
    auto mcfg = acpi::Mcfg::from_table(*table, nullptr);
    if (!mcfg.ok()) {
      report.errors.push_back(describe(file, mcfg.error()));
    } else {
      report.has_mcfg = true;
      for (std::uint32_t i = 0; i < mcfg.value().count(); ++i) report.mcfg.push_back(mcfg.value().range(i));
    }
  }
}

}  // namespace

Report build_report(const Inputs& inputs, const Options& options) {
  Report report;
  Collector diag(report);
  Locator locator(inputs, report, diag);
  add_topology(locator, options, report);
  add_others(locator, report);
  return report;
}

}  // namespace acpiinfo

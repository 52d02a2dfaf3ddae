// The 22 real MADTs in ../shared/acpi-tables/madt: every entry decoded by our parser is checked
// field by field against the values ACPICA's iasl decoded (NAME.expected.json); then the topology
// is checked against the ACPI rules applied independently here, and acpiinfo --json against both.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "acpi/host/topology_storage.h"
#include "acpi/madt.h"
#include "acpi/topology.h"
#include "tests/host/acpi/json_reader.h"
#include "tests/host/acpi/table_builder.h"

namespace acpi_test {
namespace {

namespace fs = std::filesystem;

const fs::path kMadtDir = fs::path(PLEIADES_ACPI_TABLES_DIR) / "madt";

std::vector<std::string> table_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kMadtDir, ec)) {
    if (entry.path().extension() == ".bin") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_text(const fs::path& p) {
  Bytes b = read_file(p.string());
  return std::string(b.begin(), b.end());
}

// Not a skip: a missing corpus must fail CI loudly.
TEST(AcpiRealMadt, CorpusIsPresent) {
  ASSERT_TRUE(fs::is_directory(kMadtDir)) << "missing " << kMadtDir
                                          << ": ../shared/acpi-tables must sit beside the checkout";
  EXPECT_EQ(table_names().size(), 22u);
}

class RealMadt : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    bytes_ = read_file((kMadtDir / (GetParam() + ".bin")).string());
    ASSERT_FALSE(bytes_.empty());
    expected_ = parse_json(read_text(kMadtDir / (GetParam() + ".expected.json")));
  }
  Bytes bytes_;
  Json expected_;
};

TEST_P(RealMadt, HeaderMatchesIasl) {
  auto madt = acpi::Madt::parse(bytes_.data(), bytes_.size(), nullptr);
  ASSERT_TRUE(madt.ok());
  const acpi::Table& t = madt.value().table();
  EXPECT_EQ(std::string(t.header.signature.text), expected_["signature"].text);
  EXPECT_EQ(t.length, expected_["length"].u64());
  EXPECT_EQ(t.header.revision, expected_["revision"].u64());
  EXPECT_EQ(t.header.checksum, expected_["checksum"].u64());
  EXPECT_TRUE(t.checksum_ok);
  EXPECT_EQ(std::string(t.header.oem_id), expected_["oem_id"].text);
  EXPECT_EQ(std::string(t.header.oem_table_id), expected_["oem_table_id"].text);
  EXPECT_EQ(madt.value().lapic_address(), expected_["lapic_address"].u64());
  EXPECT_EQ(madt.value().flags(), expected_["flags"].u64());
  EXPECT_EQ(madt.value().pcat_compat(), expected_["pcat_compat"].u64() == 1);
}

TEST_P(RealMadt, EveryEntryMatchesIasl) {
  auto madt = acpi::Madt::parse(bytes_.data(), bytes_.size(), nullptr);
  ASSERT_TRUE(madt.ok());
  const Json& entries = expected_["entries"];
  auto cursor = madt.value().entries();
  acpi::MadtEntry e;
  std::size_t i = 0;
  std::map<std::string, std::uint64_t> type_counts;
  for (;; ++i) {
    auto more = cursor.next(e);
    ASSERT_TRUE(more.ok()) << "entry " << i;
    if (!more.value()) break;
    ASSERT_LT(i, entries.size());
    const Json& x = entries[i];
    SCOPED_TRACE("entry " + std::to_string(i) + " at offset " + std::to_string(e.offset));
    ++type_counts[std::to_string(e.type)];
    EXPECT_EQ(e.type, x["type"].u64());
    EXPECT_EQ(e.offset, x["offset"].u64());
    EXPECT_EQ(e.length, x["length"].u64());
    const bool rev5 = madt.value().revision() >= acpi::kMadtOnlineCapableRevision;
    switch (e.type) {
      case 0:
      case 9:
        EXPECT_EQ(e.local_apic.uid, x["processor_uid"].u64());
        EXPECT_EQ(acpi::to_raw(e.local_apic.apic_id), x[e.type == 0 ? "apic_id" : "x2apic_id"].u64());
        EXPECT_EQ(e.local_apic.flags, x["flags"].u64());
        EXPECT_EQ((e.local_apic.flags & acpi::kMadtCpuEnabled) != 0, x["enabled"].u64() == 1);
        // iasl decodes bit 1 whatever the revision; it only means Online Capable from rev 5.
        if (rev5) {
          EXPECT_EQ((e.local_apic.flags & acpi::kMadtCpuOnlineCapable) != 0, x["online_capable"].u64() == 1);
        }
        break;
      case 1:
        EXPECT_EQ(e.io_apic.id, x["ioapic_id"].u64());
        EXPECT_EQ(e.io_apic.address, x["address"].u64());
        EXPECT_EQ(e.io_apic.gsi_base, x["gsi_base"].u64());
        break;
      case 2:
        EXPECT_EQ(e.override_.bus, x["bus"].u64());
        EXPECT_EQ(e.override_.source_irq, x["source_irq"].u64());
        EXPECT_EQ(e.override_.gsi, x["gsi"].u64());
        EXPECT_EQ(e.override_.flags, x["flags"].u64());
        break;
      case 4:
      case 10:
        EXPECT_EQ(e.lapic_nmi.uid, x["processor_uid"].u64());
        EXPECT_EQ(e.lapic_nmi.flags, x["flags"].u64());
        EXPECT_EQ(e.lapic_nmi.lint, x["lint"].u64());
        break;
      default: {
        // Unknown to iasl too: compare the raw bytes it printed.
        std::string hex;
        for (std::size_t k = 0; k < e.length; ++k) {
          char buf[3];
          std::snprintf(buf, sizeof(buf), "%02x", bytes_[e.offset + k]);
          hex += buf;
        }
        EXPECT_EQ(hex, x["raw_hex"].text);
      }
    }
  }
  EXPECT_EQ(i, entries.size());
  const Json& counts = expected_["type_counts"];
  EXPECT_EQ(type_counts.size(), counts.size());
  for (const auto& [type, count] : counts.members) EXPECT_EQ(type_counts[type], count.u64()) << "type " << type;
}

// The usable set per the rules, computed here from iasl's values, not by the library.
struct Expected {
  std::vector<std::uint32_t> usable_ids;  // MADT order
  std::size_t skipped = 0;
  std::size_t hotpluggable = 0;  // online capable, not enabled, distinct IDs
};

Expected apply_rules(const Json& x) {
  Expected out;
  std::set<std::uint32_t> seen;
  std::set<std::uint32_t> hotplug;
  const bool rev5 = x["revision"].u64() >= 5;
  for (const Json& e : x["entries"].items) {
    std::uint64_t type = e["type"].u64();
    if (type != 0 && type != 9) continue;
    std::uint32_t id = static_cast<std::uint32_t>(e[type == 0 ? "apic_id" : "x2apic_id"].u64());
    bool placeholder = type == 0 ? id == 0xFF : id == 0xFFFFFFFF;
    // Started at boot: Enabled. Online capable (revision >= 5) and not enabled: hot-pluggable.
    bool usable = e["enabled"].u64() == 1;
    if (!placeholder && !usable && rev5 && e["online_capable"].u64() == 1) hotplug.insert(id);
    if (placeholder || !usable || seen.count(id) != 0) {
      ++out.skipped;
      continue;
    }
    seen.insert(id);
    out.usable_ids.push_back(id);
  }
  for (std::uint32_t id : hotplug) out.hotpluggable += seen.count(id) == 0;
  return out;
}

TEST_P(RealMadt, TopologyFollowsTheRules) {
  auto madt = acpi::Madt::parse(bytes_.data(), bytes_.size(), nullptr);
  ASSERT_TRUE(madt.ok());
  Expected want = apply_rules(expected_);
  ASSERT_FALSE(want.usable_ids.empty());
  auto sizes = acpi::measure_topology(madt.value());
  ASSERT_TRUE(sizes.ok());
  // iasl's cpu_entries counts Local APIC and Local x2APIC structures together.
  EXPECT_EQ(sizes.value().processor_entries, expected_["cpu_entries"].u64());
  EXPECT_EQ(sizes.value().ioapics, expected_["ioapics"].u64());
  EXPECT_EQ(sizes.value().overrides, expected_["isos"].u64());
  acpi::host::TopologyStorage storage(sizes.value());
  acpi::Topology& topo = storage.topology;
  // Boot from the last usable CPU, to see the rotation on real data.
  const std::uint32_t boot = want.usable_ids.back();
  ASSERT_TRUE(acpi::build_topology(madt.value(), acpi::ApicId{boot}, topo).ok());
  ASSERT_EQ(topo.cpus.size, want.usable_ids.size());
  EXPECT_EQ(acpi::to_raw(topo.cpus[0].apic_id), boot);
  for (std::size_t i = 0; i + 1 < want.usable_ids.size(); ++i) {
    EXPECT_EQ(acpi::to_raw(topo.cpus[i + 1].apic_id), want.usable_ids[i]) << "logical " << i + 1;
  }
  EXPECT_EQ(topo.skipped.size, want.skipped);
  // None of the 22 tables has an online-capable CPU (iasl's cpus_online_capable is 0 in all):
  // the constructed tables of topology_test.cc cover that case.
  EXPECT_EQ(topo.hotpluggable, want.hotpluggable);
  // iasl counts every entry with the flag (enabled ones and duplicates too): an upper bound.
  EXPECT_LE(want.hotpluggable, expected_["cpus_online_capable"].u64());
  const Json& counts = expected_["type_counts"];
  std::uint64_t nmi_entries = (counts.has("4") ? counts["4"].u64() : 0) + (counts.has("10") ? counts["10"].u64() : 0);
  EXPECT_EQ(topo.lapic_nmis.size, nmi_entries);
  EXPECT_EQ(topo.pcat_compat, expected_["pcat_compat"].u64() == 1);
}

// acpiinfo --json on the binary file: the JSON agrees with iasl's values and the rules.
TEST_P(RealMadt, AcpiinfoJson) {
  std::string cmd = std::string(PLEIADES_ACPIINFO) + " --json " + (kMadtDir / (GetParam() + ".bin")).string();
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof(buf), pipe)) > 0;) out.append(buf, n);
  int status = pclose(pipe);
  ASSERT_EQ(status, 0) << out;
  Json j = parse_json(out);
  Expected want = apply_rules(expected_);
  ASSERT_EQ(j["cpus"].size(), want.usable_ids.size());
  // Without --boot-apic-id the first usable entry is CPU 0, so logical order = MADT order.
  for (std::size_t i = 0; i < want.usable_ids.size(); ++i) {
    EXPECT_EQ(j["cpus"][i]["apic_id"].u64(), want.usable_ids[i]);
    EXPECT_EQ(j["cpus"][i]["logical"].u64(), i);
    EXPECT_EQ(j["cpus"][i]["x2apic"].kind, Json::Kind::kBool);
  }
  EXPECT_EQ(j["boot_apic_id_source"].text, "first_usable_entry");
  EXPECT_EQ(j["skipped"].size(), want.skipped);
  EXPECT_EQ(j["hotpluggable"].u64(), want.hotpluggable);
  for (const Json& s : j["skipped"].items) {
    EXPECT_TRUE(s["reason"].text == "disabled" || s["reason"].text == "placeholder_id" ||
                s["reason"].text == "duplicate_id" || s["reason"].text == "online_capable");
  }
  EXPECT_EQ(j["ioapics"].size(), expected_["ioapics"].u64());
  std::size_t io = 0;
  for (const Json& e : expected_["entries"].items) {
    if (e["type"].u64() != 1) continue;
    EXPECT_EQ(j["ioapics"][io]["id"].u64(), e["ioapic_id"].u64());
    EXPECT_EQ(j["ioapics"][io]["address"].u64(), e["address"].u64());
    EXPECT_EQ(j["ioapics"][io]["gsi_base"].u64(), e["gsi_base"].u64());
    EXPECT_FALSE(j["ioapics"][io].has("gsi_count"));  // not in the MADT (the version register)
    ++io;
  }
  EXPECT_EQ(j["overrides"].size(), expected_["isos"].u64());
  EXPECT_EQ(j["lapic_address"].u64(), expected_["lapic_address"].u64());
  EXPECT_EQ(j["pcat_compat"].boolean, expected_["pcat_compat"].u64() == 1);
  EXPECT_EQ(j["errors"].size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Corpus, RealMadt, ::testing::ValuesIn(table_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace acpi_test

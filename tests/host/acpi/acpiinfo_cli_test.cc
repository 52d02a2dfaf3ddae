// acpiinfo as a user runs it: exit status, stderr, --boot-apic-id.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/host/acpi/json_reader.h"
#include "tests/host/acpi/table_builder.h"

namespace acpi_test {
namespace {

namespace fs = std::filesystem;

struct ToolRun {
  int status = -1;
  std::string out;  // stdout and stderr together
};

ToolRun run(const std::string& args) {
  ToolRun r;
  std::string cmd = std::string(PLEIADES_ACPIINFO) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  for (std::size_t n; (n = fread(buf, 1, sizeof(buf), pipe)) > 0;) r.out.append(buf, n);
  int raw = pclose(pipe);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}

fs::path write_temp(const std::string& name, const Bytes& bytes) {
  fs::path p = fs::temp_directory_path() / ("acpiinfo-test-" + std::to_string(getpid()) + "-" + name);
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                           static_cast<std::streamsize>(bytes.size()));
  return p;
}

TEST(AcpiinfoCli, BrokenTableExitsOneNamingFileTableAndOffset) {
  fs::path p = write_temp("apic.dat", MadtBuilder().local_apic(0, 0, 1).entry(9, 12, Bytes(10, 0)).finish());
  ToolRun r = run(p.string());
  fs::remove(p);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find(p.string() + ": APIC at offset 0x34: entry shorter than the minimum"), std::string::npos) << r.out;
}

TEST(AcpiinfoCli, BadUsageAndMissingFilesExitTwo) {
  EXPECT_EQ(run("").status, 2);
  EXPECT_EQ(run("--boot-apic-id").status, 2);
  EXPECT_EQ(run("--boot-apic-id x12 a.dat").status, 2);
  ToolRun missing = run("/nonexistent/apic.dat");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.out.find("/nonexistent/apic.dat"), std::string::npos);
}

TEST(AcpiinfoCli, BootApicIdArgumentChoosesCpuZero) {
  fs::path p = write_temp("apic2.dat", MadtBuilder().local_apic(0, 0, 1).local_apic(1, 6, 1).local_apic(2, 3, 1).finish());
  ToolRun r = run("--json --boot-apic-id 0x3 " + p.string());
  fs::remove(p);
  ASSERT_EQ(r.status, 0) << r.out;
  Json j = parse_json(r.out);
  EXPECT_EQ(j["boot_apic_id_source"].text, "argument");
  ASSERT_EQ(j["cpus"].size(), 3u);
  EXPECT_EQ(j["cpus"][0]["apic_id"].u64(), 3u);
  EXPECT_EQ(j["cpus"][1]["apic_id"].u64(), 0u);
  EXPECT_EQ(j["cpus"][2]["apic_id"].u64(), 6u);
  EXPECT_EQ(j["cpus"][0]["uid"].u64(), 2u);
}

// A revision-5 MADT with two online-capable CPUs: counted (text and JSON), not listed as CPUs.
TEST(AcpiinfoCli, OnlineCapableCpusAreReportedAsHotpluggable) {
  fs::path p = write_temp("apic-oc.dat", MadtBuilder(5)
                                             .local_apic(0, 0, 1)
                                             .local_apic(1, 1, 2)
                                             .x2apic(0x300, 2, 2)
                                             .finish());
  ToolRun text = run(p.string());
  ToolRun json = run("--json " + p.string());
  fs::remove(p);
  ASSERT_EQ(text.status, 0) << text.out;
  EXPECT_NE(text.out.find("CPUs: 1 usable, 2 online-capable (hot-pluggable, not started), 2 skipped"),
            std::string::npos) << text.out;
  ASSERT_EQ(json.status, 0) << json.out;
  Json j = parse_json(json.out);
  EXPECT_EQ(j["cpus"].size(), 1u);
  EXPECT_EQ(j["hotpluggable"].u64(), 2u);
  ASSERT_EQ(j["skipped"].size(), 2u);
  EXPECT_EQ(j["skipped"][0]["reason"].text, "online_capable");
  EXPECT_EQ(j["skipped"][1]["apic_id"].u64(), 0x300u);
}

}  // namespace
}  // namespace acpi_test

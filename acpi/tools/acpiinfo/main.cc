// acpiinfo: decodes ACPI tables from files and prints the machine's topology.
//
//   acpiinfo [--json] [--boot-apic-id N] FILE...
//
// FILEs are binary tables (acpixtract's apic.dat, facp.dat ...) or acpidump-style text (a Linux
// acpidump, or the kernel's acpi=dump log). Exit status: 0 on success, 1 when any table had an
// error, 2 for bad usage or unreadable files. See README.md.
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "acpi/tools/acpiinfo/inputs.h"
#include "acpi/tools/acpiinfo/report.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: acpiinfo [--json] [--boot-apic-id N] FILE...\n");
  return 2;
}

bool parse_u32(const char* text, std::uint32_t& out) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text, &end, 0);
  if (errno != 0 || end == text || *end != '\0' || v > 0xFFFFFFFFull) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  acpiinfo::Options options;
  acpiinfo::Inputs inputs;
  int files = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      options.json = true;
    } else if (std::strcmp(argv[i], "--boot-apic-id") == 0) {
      std::uint32_t id = 0;
      if (i + 1 >= argc || !parse_u32(argv[i + 1], id)) return usage();
      options.boot_apic_id = acpi::ApicId{id};
      ++i;
    } else if (std::strcmp(argv[i], "--help") == 0 || argv[i][0] == '-') {
      return usage();
    } else {
      std::string error;
      if (!inputs.load(argv[i], error)) {
        std::fprintf(stderr, "acpiinfo: %s\n", error.c_str());
        return 2;
      }
      ++files;
    }
  }
  if (files == 0) return usage();

  acpiinfo::Report report = acpiinfo::build_report(inputs, options);
  std::string out;
  if (options.json) acpiinfo::print_json(report, out);
  else acpiinfo::print_text(report, out);
  std::fwrite(out.data(), 1, out.size(), stdout);
  // Errors also go to stderr so they are seen when stdout is piped into another tool.
  for (const std::string& e : report.errors) std::fprintf(stderr, "acpiinfo: error: %s\n", e.c_str());
  return report.errors.empty() ? 0 : 1;
}

#include "kernel/smp/smp_options.h"

namespace smp {
namespace {

bool equals(fmt::StringView a, const char* b) {
  std::size_t i = 0;
  for (; i < a.length; ++i) {
    if (b[i] == '\0' || a.data[i] != b[i]) return false;
  }
  return b[i] == '\0';
}

// Decimal or 0x-prefixed hexadecimal, at most 32 bits.
bool parse_u32(fmt::StringView s, std::uint32_t& out) {
  if (s.length == 0) return false;
  std::uint64_t v = 0;
  std::size_t i = 0;
  unsigned base = 10;
  if (s.length > 2 && s.data[0] == '0' && (s.data[1] == 'x' || s.data[1] == 'X')) {
    base = 16;
    i = 2;
  }
  for (; i < s.length; ++i) {
    const char c = s.data[i];
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return false;
    }
    v = v * base + d;
    if (v > 0xFFFFFFFFull) return false;
  }
  out = static_cast<std::uint32_t>(v);
  return true;
}

}  // namespace

SmpOptions parse_smp_options(fmt::StringView cmdline) {
  SmpOptions o;
  std::size_t i = 0;
  while (i < cmdline.length) {
    while (i < cmdline.length && (cmdline.data[i] == ' ' || cmdline.data[i] == '\t' ||
                                  cmdline.data[i] == '\n' || cmdline.data[i] == '\r')) {
      ++i;
    }
    const std::size_t start = i;
    std::size_t eq = 0;
    while (i < cmdline.length && cmdline.data[i] != ' ' && cmdline.data[i] != '\t' &&
           cmdline.data[i] != '\n' && cmdline.data[i] != '\r') {
      if (cmdline.data[i] == '=' && eq == 0) eq = i;
      ++i;
    }
    if (i == start) break;
    const fmt::StringView word(cmdline.data + start, i - start);
    const fmt::StringView key(word.data, eq ? eq - start : word.length);
    const fmt::StringView value = eq ? fmt::StringView(cmdline.data + eq + 1, i - eq - 1)
                                     : fmt::StringView(cmdline.data + i, 0);
    bool bad = false;
    if (equals(key, "nosmp")) {
      bad = eq != 0;
      if (!bad) o.mode = StartMode::kOff;
    } else if (equals(key, "smp")) {
      if (equals(value, "parallel")) {
        o.mode = StartMode::kParallel;
      } else if (equals(value, "serial")) {
        o.mode = StartMode::kSerial;
      } else if (equals(value, "off")) {
        o.mode = StartMode::kOff;
      } else {
        bad = true;
      }
    } else if (equals(key, "maxcpus")) {
      std::uint32_t n = 0;
      bad = !parse_u32(value, n) || n == 0;
      if (!bad) o.max_cpus = n;
    } else if (equals(key, "smp_fake_apic")) {
      std::uint32_t id = 0;
      bad = !parse_u32(value, id) || o.fake_apic_count == kMaxFakeApics;
      if (!bad) o.fake_apic_ids[o.fake_apic_count++] = id;
    }
    if (bad && o.problem.length == 0) o.problem = word;
  }
  return o;
}

const char* start_mode_name(StartMode mode) {
  switch (mode) {
    case StartMode::kParallel: return "parallel";
    case StartMode::kSerial: return "serial";
    case StartMode::kOff: return "off";
  }
  return "?";
}

}  // namespace smp

#include "kernel/cpus/smp_options.h"

#include "smp/klib/words.h"

namespace smp {

using klib::equals;
using klib::parse_u32;

SmpOptions parse_smp_options(fmt::StringView cmdline) {
  SmpOptions o;
  klib::for_each_word(cmdline, [&](const klib::Word& w) {
    const fmt::StringView key = w.key;
    const fmt::StringView value = w.value;
    bool bad = false;
    if (equals(key, "nosmp")) {
      bad = w.has_value;
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
    if (bad && o.problem.length == 0) o.problem = w.whole;
    return true;
  });
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

#include "kernel/cpus/smp_options.h"

namespace kcpus {

const char* start_mode_name(StartMode mode) {
  for (const StartModeName& n : kStartModeNames) {
    if (n.value == mode) return n.name;
  }
  return "?";
}

}  // namespace kcpus

#include "kernel/cpus/bringup/target_plan.h"

namespace kcpus::bringup {

TargetPlan plan_targets(std::uint32_t listed, std::uint32_t max_cpus, std::uint32_t fake_count,
                        std::uint32_t cpu_limit) {
  TargetPlan p;
  if (listed == 0) listed = 1;
  if (max_cpus == 0) max_cpus = 1;
  if (cpu_limit == 0) cpu_limit = 1;
  std::uint32_t aps = listed - 1;
  if (aps > max_cpus - 1) {
    p.by_maxcpus = aps - (max_cpus - 1);
    aps = max_cpus - 1;
  }
  std::uint32_t room = cpu_limit - 1;  // numbers left after the boot CPU's 0
  if (aps > room) {
    p.beyond_limit = aps - room;
    aps = room;
  }
  room -= aps;
  p.listed_aps = aps;
  p.fake = fake_count < room ? fake_count : room;
  p.fake_refused = fake_count - p.fake;
  return p;
}

}  // namespace kcpus::bringup

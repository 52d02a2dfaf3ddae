// The last step of the bring-up: after the boot CPU has released every online target, wait for
// each to join (claim its "running" stage with the join handshake, join_handshake.h) or give up
// on it. Pure, over the same StartupPort as the sequencer (ap_startup.h); host-tested with
// simulated CPUs and with host threads racing the claims.
//
// Exactly one side wins each target's word: a target that joined is counted online; one the
// boot CPU claimed abandoned parks when it gets there (it never joins, never touches shared
// state) and is counted failed. So the count and the CPUs that run kernel code agree, however
// late a target is. The deadline follows progress, like the sequencer's: a target is given up
// on only when `timing.join_ns` has passed since the later of the release and the last join
// seen (a slow host schedules the released virtual CPUs one after another). Bounded: at most
// (targets + 1) * join_ns, provided the port's clock advances.
#pragma once

#include <cstdint>

#include "kernel/cpus/bringup/ap_startup.h"

namespace kcpus::bringup {

struct JoinSummary {
  std::uint32_t joined = 0;     // claimed their join: online for good
  std::uint32_t abandoned = 0;  // the boot CPU's claim won: failed, parked
};

// Call once the targets of `targets[0..count)` whose outcome is kOnline have been released, with
// the port time of the release. Every such target ends with progress kJoined (outcome kOnline),
// or outcome kFailed, abandoned = true and `stage` = the stage it was claimed from.
JoinSummary await_joins(Target* targets, std::uint32_t count, std::uint64_t released_ns,
                        StartupPort& port, const Timing& timing);

}  // namespace kcpus::bringup

// The AP start-up sequencer: which IPIs go to which CPU when, how long to wait, when to retry
// and when to give up. Pure (no hardware, no globals): the machine is behind StartupPort, so the
// kernel drives real local APICs (KernelPort in kernel/cpus/bringup.cc) and tests/host/bringup
// drives simulated CPUs that answer, answer late, answer only to a second round, or never answer.
//
// Sequence (Intel SDM vol. 3A 9.4.4.1 "Typical BSP Initialization Sequence"; docs/smp.md):
// per wave of up to `wave_size` targets, INIT to each target individually (never a broadcast;
// skipped in the first round when the boot's early INIT already left every CPU waiting for its
// SIPI, Timing::already_inited), one INIT delay, a STARTUP IPI to each, the SIPI gap, a second STARTUP to each that has not
// reached the trampoline. Then every target is polled against its own deadlines: it must reach
// the trampoline within `arrive_ns` of its round, and after that each new stage within
// `online_ns` of the previous one. A CPU that keeps advancing is slow, not dead (64 emulated CPUs
// on two host cores calibrate their timers and log at the same time); one that stops advancing
// misses its deadline. The wait stays bounded: at most arrive_ns + stages * online_ns.
// A target that misses gets one more full round (INIT, delay, SIPI, gap, SIPI); after
// `max_rounds` it is failed and sent INIT so it cannot run start-up code later. A target that
// parks itself (features differ) fails at once, also with an INIT. A target already running
// shared kernel code (kInKernel) when its deadline passes is neither retried nor INITed: an
// INIT could stop it holding a lock and hang every other CPU. It is abandoned instead: the
// port claims it with the join handshake (join_handshake.h) from the stage last seen; if the
// claim wins, the CPU parks at its next step and is counted failed; if the CPU advanced first,
// that is progress and its deadline starts again. Every wait is bounded by these deadlines,
// provided the port's clock advances. The release of the online targets and the wait for them
// to join are in release_wait.h.
#pragma once

#include <cstdint>

#include "smp/platform/platform.h"

namespace kcpus::bringup {

// What a target has shown so far, as the port classifies its raw stage.
enum class Progress : std::uint8_t {
  kNothing,  // no sign of life
  kArrived,  // ran the trampoline, on its way, still in code that touches nothing shared
  kInKernel, // running kernel code that may hold locks (console, heap): never sent INIT
  kOnline,   // done: waiting to be released
  kJoined,   // released and claimed its join (release_wait.h): online for good
  kParked,   // stopped itself with a reason, or abandoned (terminal failure, no retry)
};

enum class Outcome : std::uint8_t { kPending, kOnline, kFailed };

struct Target {
  platform::ApicId apic_id{};
  Outcome outcome = Outcome::kPending;
  Progress progress = Progress::kNothing;  // last seen
  std::uint32_t stage = 0;      // last raw stage seen (reported for a failed target)
  std::uint8_t rounds = 0;      // INIT-SIPI-SIPI rounds sent
  bool parked = false;          // failed because it parked itself
  bool abandoned = false;       // failed in kernel code or not joined: claimed, never INITed
  std::uint64_t online_ns = 0;  // port time when seen online
  // The stage profile (docs/smp.md "Bring-up stages"): port time its last start round's SIPIs
  // were done (after the gap that follows the first), and when it was first seen in the
  // trampoline, in kernel code and (after the release) joined; 0: not seen. A stage skipped
  // between two polls gets the later one's time.
  std::uint64_t sipi_ns = 0;
  std::uint64_t arrived_ns = 0;
  std::uint64_t in_kernel_ns = 0;
  std::uint64_t joined_ns = 0;
  // Sequencer bookkeeping: in the next round, when its current round started, and when its
  // stage last changed (0: not since the round started).
  bool in_round = false;
  std::uint64_t round_start_ns = 0;
  std::uint64_t stage_change_ns = 0;
};

struct Timing {
  std::uint64_t init_delay_ns = 10'000'000;  // after INIT, before the first SIPI
  std::uint64_t sipi_gap_ns = 200'000;       // between the two SIPIs
  std::uint64_t arrive_ns = 100'000'000;     // SIPI -> trampoline reached
  std::uint64_t online_ns = 1'000'000'000;   // then each stage -> the next one
  // Release -> joined, measured from the later of the release and the last join seen.
  std::uint64_t join_ns = 1'000'000'000;
  std::uint32_t max_rounds = 2;              // the first round + one retry
  // Every target was sent INIT before (kcpus::park_firmware_cpus) and nothing has started it
  // since, so each waits for a SIPI: the first round sends SIPIs only, without the INIT delay.
  bool already_inited = false;
};

// The machine, as the sequencer sees it. `index` is the target's index in the array given to
// start_all(); a wave is a contiguous index range.
class StartupPort {
 public:
  // A new wave [first, first + count): the port prepares whatever the targets need to find
  // their start-up data (slots in the trampoline page). No target of an earlier wave is still
  // starting.
  virtual void begin_wave(const Target* targets, std::uint32_t first, std::uint32_t count) = 0;
  virtual void send_init(platform::ApicId id) = 0;
  virtual void send_startup(platform::ApicId id) = 0;
  // The target's raw stage and its classification.
  virtual std::uint32_t stage(std::uint32_t index) = 0;
  virtual Progress classify(std::uint32_t stage) = 0;
  // Forget the target's stage before it is started again (after its INIT).
  virtual void reset_stage(std::uint32_t index) = 0;
  // The target missed its deadline in kernel code (or, after the release, did not join): claim
  // it abandoned if its raw stage is still `seen` (join_handshake.h, boot_abandon). True: it
  // parks at its next step and never joins. False: it advanced first (a new stage to read).
  virtual bool abandon(std::uint32_t index, std::uint32_t seen) = 0;
  virtual std::uint64_t now_ns() = 0;
  virtual void delay_ns(std::uint64_t ns) = 0;
  virtual void relax() = 0;  // one poll-loop pause

 protected:
  ~StartupPort() = default;
};

struct Summary {
  std::uint32_t online = 0;
  std::uint32_t failed = 0;
  std::uint32_t waves = 0;
  std::uint32_t retried = 0;        // targets that needed a second round
  std::uint64_t first_init_ns = 0;  // port time of the first INIT
  std::uint64_t last_online_ns = 0; // port time the last target was seen online (0: none)
};

// Starts targets[0..count) in waves of at most `wave_size` (1 = one CPU at a time, the serial
// mode). Fills each target's outcome, stage and rounds. Needs wave_size >= 1.
Summary start_all(Target* targets, std::uint32_t count, std::uint32_t wave_size,
                  StartupPort& port, const Timing& timing);

}  // namespace kcpus::bringup

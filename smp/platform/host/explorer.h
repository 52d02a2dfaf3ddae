// The interleaving explorer: a deterministic mode of the host platform in which the simulated
// CPUs (fibers on one host thread) run one at a time and a controller picks who runs next at
// every interleaving point, driven by a seed (docs/explorer.md).
//
// Interleaving points, in the explore variant of the libraries (PLEIADES_EXPLORE):
//   - every smp::Atomic access (the lock words, the scheduler's thread and runqueue flags);
//   - every preemption-count and interrupt-state change (every lock acquire and release);
//   - every spin iteration (cpu_relax, the lock spin-wait hook): a spinning CPU also drops to
//     the lowest priority, so the CPU it waits for gets to run;
//   - whatever a test adds with point() (a wake-up, an IPI, a tick).
// The platform clock (cycles()) is virtual: it advances by Options::ns_per_step per point.
//
// Strategies: PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, "A Randomized Scheduler with
// Probabilistic Guarantees of Finding Bugs", ASPLOS 2010): random distinct priorities, the
// highest runs, and at depth-1 random steps the running CPU drops below all others; or random
// preemption: at every point the running CPU goes on, except with probability
// 1 / switch_odds (and always at a spin point) another CPU, chosen at random, takes over.
// PCT is strong on bugs that need a few long-range orderings; random preemption on short
// windows between two accesses, which it hits many times per schedule.
//
// Every schedule runs in a child process (fork), so a failing one (a fail() call, a crash, an
// endless schedule, a hang) costs only that child, and the next schedule starts from a clean
// process. A schedule is a pure function of (seed, options, body): the same seed replays the
// same interleaving, and its trace hash says so.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace platform::host::explore {

enum class Strategy : std::uint8_t { kPct, kRandom };

struct Options {
  Strategy strategy = Strategy::kPct;
  std::uint32_t depth = 3;            // PCT: the bug depth d (d - 1 priority change points)
  std::uint64_t steps_hint = 3000;    // PCT: change points fall in [1, steps_hint]
  std::uint32_t switch_odds = 8;      // random: one point in this many switches CPU
  std::uint64_t max_steps = 400000;   // longer: a failure (livelock, lost wake-up, hang)
  std::uint64_t ns_per_step = 100;    // virtual time per point
  double schedule_timeout_s = 60.0;   // real time per schedule before the child is killed
};

// How one schedule ended.
struct Outcome {
  bool ok = false;
  std::uint64_t seed = 0;
  std::uint64_t steps = 0;       // interleaving points passed
  std::uint64_t trace_hash = 0;  // of the sequence of CPUs that ran: equal for a replay
  std::string failure;           // why it failed (empty when ok)
};

using Body = std::function<void(std::uint32_t cpu)>;

// Runs body(0) .. body(cpus - 1), each on its own fiber that plays that CPU (current_cpu() is
// its index; interrupts on, preemption count 0 at the start), one at a time in the order `seed`
// chooses, in a child process.
// The schedule fails when a body calls fail(), the child crashes, it passes max_steps points,
// or it outlives schedule_timeout_s.
Outcome run_schedule(std::uint32_t cpus, std::uint64_t seed, const Options& options,
                     const Body& body);

struct SearchResult {
  std::uint64_t schedules = 0;  // schedules run
  std::uint64_t min_steps = 0;  // the shortest and longest schedule that ended well, in points
  std::uint64_t max_steps = 0;
  bool found = false;           // one failed: `failing` is it
  Outcome failing;
};

// Runs schedules with seeds first_seed, first_seed + 1, ... until one fails, `count` have run,
// or `seconds` of real time have passed (after the schedule under way). Prints the failing
// schedule (seed, steps, reason, how to replay), or how many ran clean, on stderr. The environment can override:
// PLEIADES_EXPLORE_SEED=S runs only seed S; PLEIADES_EXPLORE_SCALE=F multiplies `count` and
// `seconds` (the long run in scripts/explore).
SearchResult search(std::uint32_t cpus, std::uint64_t first_seed, std::uint64_t count,
                    double seconds, const Options& options, const Body& body);

// ---- Inside a schedule (from a body) ------------------------------------------------------

// True on a thread that is a CPU of a running schedule.
bool active();
// An interleaving point (what smp::Atomic and the platform call). Nothing outside a schedule.
void point();
// A spin iteration: a point after which this CPU runs only when every other CPU has had a turn.
void spin_point();
// Ends the schedule as failed with `message` (the child exits; the parent reports it).
[[noreturn]] void fail(const char* message);
// A coin from the schedule's seed: true with probability numerator / denominator. For
// nondeterminism a test wants explored (a tick arriving, an interrupt): deterministic per seed.
bool chance(std::uint32_t numerator, std::uint32_t denominator);
// The virtual clock in nanoseconds (platform::cycles() while a schedule runs).
std::uint64_t now_ns();

// ---- Between the explorer and the host platform (platform_host.cc) -------------------------
namespace detail {
// A schedule of `cpus` CPUs begins: fresh per-CPU platform state for each.
void begin_cpus(std::uint32_t cpus);
// CPU `index` runs from now on: the platform's per-CPU state is its own.
void enter_cpu(std::uint32_t index);
// The schedule is over: the host thread's own state again.
void leave_cpus();
}  // namespace detail

}  // namespace platform::host::explore

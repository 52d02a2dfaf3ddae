// The interleaving explorer (explorer.h). One controller per child process. The CPUs are
// fibers (ucontext) on the child's one host thread: exactly one runs at any time, a switch
// costs a user-level context switch instead of a trip through the host's scheduler, and the
// controller's state needs no lock. The host platform keeps each CPU's state (CPU number,
// interrupt flag, preemption count, lock bookkeeping) per fiber: enter_cpu() tells it which
// CPU runs.
#include "smp/platform/host/explorer.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace platform::host::explore {
namespace {

// splitmix64: a small, well-mixed generator; the whole schedule is a function of its seed.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0 (the modulo bias is irrelevant here).
  std::uint64_t below(std::uint64_t n) { return next() % n; }

 private:
  std::uint64_t state_;
};

constexpr std::size_t kFiberStack = 1u << 20;

struct Cpu {
  ucontext_t context;
  std::unique_ptr<char[]> stack;
  std::int64_t priority = 0;
  bool done = false;
};

class Controller {
 public:
  Controller(std::uint32_t cpus, std::uint64_t seed, const Options& options, const Body& body,
             int report_fd)
      : options_(options), body_(body), rng_(seed), report_fd_(report_fd) {
    for (std::uint32_t i = 0; i < cpus; ++i) cpu_.push_back(std::make_unique<Cpu>());
    // PCT: distinct random priorities above every change-point priority (1 .. depth - 1).
    std::vector<std::int64_t> prio(cpus);
    for (std::uint32_t i = 0; i < cpus; ++i) prio[i] = options.depth + i;
    for (std::uint32_t i = cpus; i > 1; --i) std::swap(prio[i - 1], prio[rng_.below(i)]);
    for (std::uint32_t i = 0; i < cpus; ++i) cpu_[i]->priority = prio[i];
    const std::uint64_t span = options.steps_hint ? options.steps_hint : 1;
    for (std::uint32_t i = 1; i < options.depth; ++i) change_.push_back(1 + rng_.below(span));
  }

  std::uint64_t now_ns() const { return steps_ * options_.ns_per_step; }
  Rng& rng() { return rng_; }
  std::int32_t running() const { return running_; }

  // Runs the schedule to its end on the calling (the child's only) host thread.
  void run() {
    // No getcontext in a loop (its variables could be clobbered as by setjmp): a helper per CPU.
    for (std::size_t i = 0; i < cpu_.size(); ++i) prepare_fiber(i);
    if (Cpu* first = pick()) switch_to(*first, main_);
  }

  void prepare_fiber(std::size_t i) {
    Cpu& c = *cpu_[i];
    c.stack.reset(new char[kFiberStack]);
    if (getcontext(&c.context) != 0) fail("getcontext failed");
    c.context.uc_stack.ss_sp = c.stack.get();
    c.context.uc_stack.ss_size = kFiberStack;
    c.context.uc_link = nullptr;
    // makecontext passes int arguments: the CPU index fits.
    makecontext(&c.context, reinterpret_cast<void (*)()>(&Controller::fiber_main), 1,
                static_cast<int>(i));
  }

  void point(bool spinning) {
    Cpu& me = *cpu_[static_cast<std::size_t>(running_)];
    if (++steps_ > options_.max_steps) {
      char msg[160];
      std::snprintf(msg, sizeof msg,
                    "no end after %llu interleaving points (a livelock, a lost wake-up or a "
                    "thread that never runs again)",
                    static_cast<unsigned long long>(options_.max_steps));
      fail(msg);
    }
    if (options_.strategy == Strategy::kPct) {
      if (spinning) me.priority = --lowest_;
      for (std::size_t i = 0; i < change_.size(); ++i) {
        if (change_[i] == steps_) me.priority = static_cast<std::int64_t>(i) + 1;
      }
    }
    Cpu* next = pick(spinning);
    if (next != &me) switch_to(*next, me.context);
  }

  [[noreturn]] void fail(const char* message) {
    char line[512];
    int n = std::snprintf(line, sizeof line, "fail %llu %llu %s\n",
                          static_cast<unsigned long long>(steps_),
                          static_cast<unsigned long long>(hash_), message);
    if (n > 0) {
      const std::size_t len = static_cast<std::size_t>(n) < sizeof line ? n : sizeof line - 1;
      (void)!write(report_fd_, line, len);
    }
    _exit(1);
  }

  void report_ok() {
    char line[128];
    int n = std::snprintf(line, sizeof line, "ok %llu %llu\n",
                          static_cast<unsigned long long>(steps_),
                          static_cast<unsigned long long>(hash_));
    if (n > 0) (void)!write(report_fd_, line, static_cast<std::size_t>(n));
  }

 private:
  static void fiber_main(int index);

  // The CPU to run next; `spinning`: the running one waits for another.
  Cpu* pick(bool spinning = false) {
    Cpu* best = nullptr;
    if (options_.strategy == Strategy::kRandom) {
      Cpu* current = running_ >= 0 ? cpu_[static_cast<std::size_t>(running_)].get() : nullptr;
      const bool keep = current != nullptr && !current->done && !spinning &&
                        options_.switch_odds > 1 && rng_.below(options_.switch_odds) != 0;
      if (keep) {
        best = current;
      } else {
        // Another CPU if there is one: a uniform choice among the others still running.
        std::uint32_t others = 0;
        for (auto& c : cpu_) others += (!c->done && c.get() != current) ? 1 : 0;
        if (others == 0) {
          best = (current != nullptr && !current->done) ? current : nullptr;
        } else {
          std::uint64_t k = rng_.below(others);
          for (auto& c : cpu_) {
            if (c->done || c.get() == current) continue;
            if (k-- == 0) {
              best = c.get();
              break;
            }
          }
        }
      }
    } else {
      for (auto& c : cpu_) {
        if (!c->done && (best == nullptr || c->priority > best->priority)) best = c.get();
      }
    }
    if (best != nullptr) {
      const std::uint64_t index = static_cast<std::uint64_t>(cpu_index(*best));
      hash_ = (hash_ ^ (index + 1)) * 0x100000001B3ull;  // FNV-1a step over the CPU sequence
    }
    return best;
  }

  std::int32_t cpu_index(const Cpu& c) const {
    for (std::size_t i = 0; i < cpu_.size(); ++i) {
      if (cpu_[i].get() == &c) return static_cast<std::int32_t>(i);
    }
    return -1;
  }

  // Saves the running context into `save` and resumes `next`.
  void switch_to(Cpu& next, ucontext_t& save) {
    running_ = cpu_index(next);
    detail::enter_cpu(static_cast<std::uint32_t>(running_));
    if (swapcontext(&save, &next.context) != 0) fail("swapcontext failed");
  }

  Options options_;
  const Body& body_;
  Rng rng_;
  int report_fd_;
  std::vector<std::unique_ptr<Cpu>> cpu_;
  std::vector<std::uint64_t> change_;
  std::int64_t lowest_ = 0;
  std::uint64_t steps_ = 0;
  std::uint64_t hash_ = 0xCBF29CE484222325ull;
  std::int32_t running_ = -1;
  ucontext_t main_;
};

// The child's controller (one per process).
Controller* g_controller = nullptr;

void Controller::fiber_main(int index) {
  Controller& c = *g_controller;
  c.body_(static_cast<std::uint32_t>(index));
  Cpu& me = *c.cpu_[static_cast<std::size_t>(index)];
  me.done = true;
  if (Cpu* next = c.pick()) {
    c.switch_to(*next, me.context);
  } else {
    c.running_ = -1;
    detail::leave_cpus();
    setcontext(&c.main_);
  }
  c.fail("a finished CPU was resumed");
}

[[noreturn]] void run_child(std::uint32_t cpus, std::uint64_t seed, const Options& options,
                            const Body& body, int report_fd) {
  // Leaked on purpose: the child ends with _exit, never by unwinding.
  g_controller = new Controller(cpus, seed, options, body, report_fd);
  detail::begin_cpus(cpus);
  g_controller->run();
  g_controller->report_ok();
  _exit(0);
}

// Reads the child's report line (until EOF or the deadline). Returns false on timeout.
bool read_report(int fd, double timeout_s, std::string& out) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  char buf[512];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0) {
      if (errno == EINTR) continue;
      return true;
    }
    if (r == 0) return false;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;  // EOF: the child exited (or closed the pipe)
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  unsigned long long x = std::strtoull(v, &end, 0);
  return (end != nullptr && *end == '\0') ? x : fallback;
}

double env_double(const char* name, double fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  double x = std::strtod(v, &end);
  return (end != nullptr && *end == '\0' && x > 0) ? x : fallback;
}

}  // namespace

Outcome run_schedule(std::uint32_t cpus, std::uint64_t seed, const Options& options,
                     const Body& body) {
  Outcome out;
  out.seed = seed;
  int fds[2];
  if (pipe(fds) != 0) {
    out.failure = std::string("pipe: ") + std::strerror(errno);
    return out;
  }
  std::fflush(nullptr);  // no buffered output duplicated into the child
  const pid_t pid = fork();
  if (pid < 0) {
    out.failure = std::string("fork: ") + std::strerror(errno);
    close(fds[0]);
    close(fds[1]);
    return out;
  }
  if (pid == 0) {
    close(fds[0]);
    run_child(cpus, seed, options, body, fds[1]);
  }
  close(fds[1]);
  std::string report;
  const bool finished = read_report(fds[0], options.schedule_timeout_s, report);
  close(fds[0]);
  if (!finished) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  unsigned long long steps = 0, hash = 0;
  char word[8] = {};
  int consumed = 0;
  if (std::sscanf(report.c_str(), "%7s %llu %llu %n", word, &steps, &hash, &consumed) >= 3) {
    out.steps = steps;
    out.trace_hash = hash;
  }
  if (!finished) {
    out.failure = "the schedule did not end within its real-time limit (a hang outside the "
                  "explorer's points)";
  } else if (std::strcmp(word, "ok") == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    out.ok = true;
  } else if (std::strcmp(word, "fail") == 0) {
    out.failure = report.substr(static_cast<std::size_t>(consumed));
    while (!out.failure.empty() && out.failure.back() == '\n') out.failure.pop_back();
  } else if (WIFSIGNALED(status)) {
    out.failure = std::string("the schedule crashed: signal ") + strsignal(WTERMSIG(status));
  } else {
    out.failure = "the schedule ended without a report (exit status " +
                  std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")";
  }
  return out;
}

SearchResult search(std::uint32_t cpus, std::uint64_t first_seed, std::uint64_t count,
                    double seconds, const Options& options, const Body& body) {
  SearchResult result;
  const std::uint64_t only = env_u64("PLEIADES_EXPLORE_SEED", 0);
  const double scale = env_double("PLEIADES_EXPLORE_SCALE", 1.0);
  if (only != 0) {
    first_seed = only;
    count = 1;
  } else {
    count = static_cast<std::uint64_t>(static_cast<double>(count) * scale);
    seconds *= scale;
  }
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < count; ++i) {
    Outcome o = run_schedule(cpus, first_seed + i, options, body);
    ++result.schedules;
    if (!o.ok) {
      result.found = true;
      result.failing = o;
      std::fprintf(stderr,
                   "explore: schedule %llu (seed %llu) failed after %llu points: %s\n"
                   "explore: replay it with PLEIADES_EXPLORE_SEED=%llu\n",
                   static_cast<unsigned long long>(result.schedules),
                   static_cast<unsigned long long>(o.seed),
                   static_cast<unsigned long long>(o.steps), o.failure.c_str(),
                   static_cast<unsigned long long>(o.seed));
      return result;
    }
    if (result.min_steps == 0 || o.steps < result.min_steps) result.min_steps = o.steps;
    if (o.steps > result.max_steps) result.max_steps = o.steps;
    const std::chrono::duration<double> spent = std::chrono::steady_clock::now() - start;
    if (spent.count() > seconds) break;
  }
  std::fprintf(stderr, "explore: %llu schedule(s) from seed %llu clean, %llu..%llu points each\n",
               static_cast<unsigned long long>(result.schedules),
               static_cast<unsigned long long>(first_seed),
               static_cast<unsigned long long>(result.min_steps),
               static_cast<unsigned long long>(result.max_steps));
  return result;
}

bool active() { return g_controller != nullptr && g_controller->running() >= 0; }

void point() {
  if (active()) g_controller->point(false);
}

void spin_point() {
  if (active()) g_controller->point(true);
}

void fail(const char* message) {
  if (g_controller != nullptr) g_controller->fail(message);
  std::fprintf(stderr, "explore: %s (outside a schedule)\n", message);
  std::abort();
}

bool chance(std::uint32_t numerator, std::uint32_t denominator) {
  if (g_controller == nullptr || denominator == 0) return false;
  return g_controller->rng().below(denominator) < numerator;
}

std::uint64_t now_ns() { return g_controller != nullptr ? g_controller->now_ns() : 0; }

}  // namespace platform::host::explore

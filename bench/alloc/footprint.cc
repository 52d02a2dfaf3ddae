// The footprint child: fork, measure, report through a pipe; the parent polls with a deadline.
#include "bench/alloc/footprint.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace allocbench {
namespace {

// Far above the seconds the heaviest workload takes on a loaded host.
constexpr int kDeadlineMs = 60000;

struct Report {
  std::uint64_t base;
  std::uint64_t after;
  std::uint64_t live;
  std::uint64_t rss_base;
  std::uint64_t rss_after;
};

// The resident set in bytes: the second field of /proc/self/statm, in pages. 0 when unreadable.
std::uint64_t resident_bytes() {
  char text[128] = {};
  const int fd = open("/proc/self/statm", O_RDONLY);
  if (fd < 0) return 0;
  const ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  unsigned long long size = 0, resident = 0;
  if (n <= 0 || std::sscanf(text, "%llu %llu", &size, &resident) != 2) return 0;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

bool read_all(int fd, void* buffer, std::size_t bytes) {
  auto* p = static_cast<char*>(buffer);
  while (bytes > 0) {
    pollfd pfd{fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, kDeadlineMs);
    if (ready <= 0) return false;  // timeout or error
    const ssize_t n = read(fd, p, bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    bytes -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Footprint measure_footprint(Allocator& a, Workload work, std::size_t arg) {
  Footprint result;
  int fds[2];
  if (pipe(fds) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  const pid_t child = fork();
  if (child < 0) {
    result.error = std::string("fork: ") + std::strerror(errno);
    close(fds[0]);
    close(fds[1]);
    return result;
  }
  if (child == 0) {
    close(fds[0]);
    a.trim();
    Report r{};
    r.base = a.held_bytes();
    r.rss_base = resident_bytes();
    r.live = work(a, arg);
    r.rss_after = resident_bytes();
    r.after = a.held_bytes();
    const bool ok = write(fds[1], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
    _exit(ok ? 0 : 1);  // no atexit handlers or stdio flushing of the parent's state
  }
  close(fds[1]);
  Report r{};
  const bool got = read_all(fds[0], &r, sizeof r);
  close(fds[0]);
  if (!got) kill(child, SIGKILL);  // stuck or dead: make sure it is gone before waiting
  int status = 0;
  waitpid(child, &status, 0);
  if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    result.error = "the measuring child failed (status " + std::to_string(status) + ")";
    return result;
  }
  result.held = r.after > r.base ? r.after - r.base : 0;
  result.live = r.live;
  result.resident = r.rss_after > r.rss_base ? r.rss_after - r.rss_base : 0;
  return result;
}

}  // namespace allocbench

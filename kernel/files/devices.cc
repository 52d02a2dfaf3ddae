#include "kernel/files/devices.h"

#include <new>

#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/console/log.h"
#include "kernel/random/random.h"
#include "kernel/time/rtc.h"
#include "kernel/tty/terminal.h"
#include "smp/locks/guard.h"
#include "smp/locks/locks.h"

namespace kfiles {
namespace {

constexpr std::int64_t kEFAULT = 14;
// Linux's MAX_RW_COUNT: one read or write moves at most this much.
constexpr std::uint64_t kMaxRwCount = 0x7ffff000;
// The device number of the devices' stat (devtmpfs-like).
constexpr std::uint64_t kDevDevice = 5;

FileStat char_stat(std::uint32_t major, std::uint32_t minor, std::uint32_t permissions) {
  FileStat s;
  s.dev = kDevDevice;
  s.ino = (static_cast<std::uint64_t>(major) << 8) | minor;
  s.mode = 0020000 | permissions;
  s.rdev = (static_cast<std::uint64_t>(major) << 8) | minor;
  return s;
}

// The console terminal (kernel/tty/terminal.h) as an open file: /dev/console (5,1) and /dev/tty
// (5,0) reach the one terminal.
class TerminalFile final : public File {
 public:
  TerminalFile(std::uint32_t flags, std::uint32_t minor) : File(flags), minor_(minor) {}

  std::int64_t read(std::uint64_t buffer, std::uint64_t count, std::uint64_t*) override {
    return ktty::read(buffer, count, (flags() & kNonblock) != 0);
  }
  std::int64_t write(std::uint64_t buffer, std::uint64_t count, std::uint64_t*) override {
    return ktty::write(buffer, count);
  }
  std::int64_t ioctl(std::uint64_t command, std::uint64_t argument) override {
    return ktty::ioctl(command, argument, readable());
  }
  FileStat stat() override { return char_stat(5, minor_, minor_ == 0 ? 0666 : 0600); }
  // The terminal's worker calls notify_poll when input arrives: no polling.
  std::uint32_t poll_events() override { return ktty::poll_events(); }

 private:
  std::uint32_t minor_;
};

enum class MemoryDevice : std::uint8_t { kNull, kZero, kRandom };

class MemoryFile final : public File {
 public:
  MemoryFile(std::uint32_t flags, MemoryDevice kind, std::uint32_t minor)
      : File(flags), kind_(kind), minor_(minor) {}

  std::int64_t read(std::uint64_t buffer, std::uint64_t count, std::uint64_t*) override {
    if (count > kMaxRwCount) count = kMaxRwCount;
    switch (kind_) {
      case MemoryDevice::kNull:
        return 0;  // end of file at once
      case MemoryDevice::kZero:
        return arch::clear_user(buffer, count) ? static_cast<std::int64_t>(count) : -kEFAULT;
      case MemoryDevice::kRandom: {
        std::uint8_t chunk[256];
        std::uint64_t done = 0;
        while (done < count) {
          const std::uint64_t n = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
          krandom::fill(chunk, n);
          if (!arch::copy_to_user(buffer + done, chunk, n)) {
            return done != 0 ? static_cast<std::int64_t>(done) : -kEFAULT;
          }
          done += n;
        }
        return static_cast<std::int64_t>(done);
      }
    }
    return 0;
  }

  // Writes are swallowed whole (the data is not read, as Linux's /dev/null and /dev/zero; a
  // write to /dev/urandom would only stir Linux's pool).
  std::int64_t write(std::uint64_t, std::uint64_t count, std::uint64_t*) override {
    return static_cast<std::int64_t>(count > kMaxRwCount ? kMaxRwCount : count);
  }

  FileStat stat() override { return char_stat(1, minor_, 0666); }
  bool offset_ignored() const override { return true; }

 private:
  MemoryDevice kind_;
  std::uint32_t minor_;
};

struct DevNode {
  const char* name;
  std::uint32_t major, minor, mode;
};
constexpr DevNode kDevNodes[] = {
    {"null", 1, 3, 0666},    {"zero", 1, 5, 0666}, {"random", 1, 8, 0666},
    {"urandom", 1, 9, 0666}, {"tty", 5, 0, 0666},  {"console", 5, 1, 0600},
};

}  // namespace

File* open_device(std::uint32_t major, std::uint32_t minor, std::uint32_t flags, bool* no_memory) {
  File* f = nullptr;
  bool known = true;
  if (major == 1 && minor == 3) {
    f = new (std::nothrow) MemoryFile(flags, MemoryDevice::kNull, minor);
  } else if (major == 1 && minor == 5) {
    f = new (std::nothrow) MemoryFile(flags, MemoryDevice::kZero, minor);
  } else if (major == 1 && (minor == 8 || minor == 9)) {
    f = new (std::nothrow) MemoryFile(flags, MemoryDevice::kRandom, minor);
  } else if (major == 5 && (minor == 0 || minor == 1)) {
    // /dev/tty is the caller's controlling terminal (ENXIO without one); /dev/console may
    // become it (terminal.h).
    if (ktty::open(minor == 0, (flags & kNoCtty) != 0) != 0) {
      *no_memory = false;
      return nullptr;
    }
    f = new (std::nothrow) TerminalFile(flags, minor);
  } else {
    known = false;
  }
  *no_memory = known && f == nullptr;
  return f;
}

File* open_console(std::uint32_t flags) { return new (std::nothrow) TerminalFile(flags, 1); }

void populate_dev(ramfs::Filesystem& fs) {
  ramfs::NodeRef root = fs.root();
  ramfs::NodeAttributes attrs;
  attrs.mode = 0755;
  attrs.time_ns = static_cast<std::int64_t>(ktime::realtime_ns());
  ramfs::NodeRef dir;
  auto dev = fs.lookup(*root, "dev");
  if (dev) {
    dir = static_cast<ramfs::NodeRef&&>(dev.value());
  } else {
    auto made = fs.create(*root, "dev", ramfs::NodeType::kDirectory, attrs);
    if (!made) {
      klog::error("dev: cannot make /dev: {}", ramfs::errno_name(made.error()));
      return;
    }
    dir = static_cast<ramfs::NodeRef&&>(made.value());
  }
  std::uint32_t made = 0;
  for (const DevNode& d : kDevNodes) {
    ramfs::NodeAttributes a = attrs;
    a.mode = d.mode;
    a.rdev_major = d.major;
    a.rdev_minor = d.minor;
    auto node = fs.create(*dir, d.name, ramfs::NodeType::kCharDevice, a);
    if (node) ++made;
  }
  klog::info("dev: {} device nodes in /dev", made);
}

}  // namespace kfiles

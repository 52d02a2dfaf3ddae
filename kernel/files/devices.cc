#include "kernel/files/devices.h"

#include <new>

#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/console/log.h"
#include "kernel/console/serial16550.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/random/random.h"
#include "kernel/threads/sleep_queue.h"
#include "kernel/time/rtc.h"
#include "smp/locks/guard.h"
#include "smp/locks/locks.h"

namespace kfiles {
namespace {

constexpr std::int64_t kEINTR = 4, kEFAULT = 14, kEAGAIN = 11;
// Linux's MAX_RW_COUNT: one read or write moves at most this much.
constexpr std::uint64_t kMaxRwCount = 0x7ffff000;
// How often a console read polls the UART while no byte is there.
constexpr std::uint64_t kInputPollNs = 10'000'000;
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

// Console input: one reader at a time (a byte goes to exactly one of them).
constinit smp::LockClass kConsoleInputClass{"console-input", smp::LockRank{0}};
smp::TicketSpinLock<smp::NoIrqSave, kConsoleInputClass> g_input_lock;

// struct termios of the kernel ABI (asm-generic/termbits.h): 4 flag words, c_line, 19 c_cc.
struct KernelTermios {
  std::uint32_t iflag, oflag, cflag, lflag;
  std::uint8_t line;
  std::uint8_t cc[19];
};
static_assert(sizeof(KernelTermios) == 36);

struct WinSize {
  std::uint16_t rows, columns, x_pixels, y_pixels;
};

constexpr std::uint64_t kTcgets = 0x5401;
constexpr std::uint64_t kTiocgwinsz = 0x5413;

class ConsoleFile final : public File {
 public:
  ConsoleFile(std::uint32_t flags, std::uint32_t minor) : File(flags), minor_(minor) {}

  std::int64_t read(std::uint64_t buffer, std::uint64_t count, std::uint64_t*) override {
    if (count == 0) return 0;
    if (!arch::user_range_ok(buffer, count)) return -kEFAULT;
    if (count > kMaxRwCount) count = kMaxRwCount;
    char chunk[64];
    for (;;) {
      std::uint64_t n = 0;
      {
        smp::Guard g{g_input_lock};
        while (n < count && n < sizeof(chunk)) {
          const int c = console::com1().try_read();
          if (c < 0) break;
          chunk[n++] = static_cast<char>(c == '\r' ? '\n' : c);
        }
      }
      if (n != 0) {
        if (!arch::copy_to_user(buffer, chunk, n)) return -kEFAULT;
        return static_cast<std::int64_t>(n);
      }
      if (flags() & kNonblock) return -kEAGAIN;
      const kproc::UserThread* t = kproc::current_user_thread();
      if (t != nullptr && kproc::interrupted(*t)) return kproc::interrupted_result(*t);
      kthreads::sleep_for(kInputPollNs);
    }
  }

  std::int64_t write(std::uint64_t buffer, std::uint64_t count, std::uint64_t*) override {
    if (count > kMaxRwCount) count = kMaxRwCount;
    char chunk[256];
    std::uint64_t done = 0;
    while (done < count) {
      const std::uint64_t n = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
      if (!arch::copy_from_user(chunk, buffer + done, n)) {
        return done != 0 ? static_cast<std::int64_t>(done) : -kEFAULT;
      }
      klog::write_raw(chunk, n);
      done += n;
    }
    return static_cast<std::int64_t>(done);
  }

  std::int64_t ioctl(std::uint64_t command, std::uint64_t argument) override {
    switch (command) {
      case kTcgets: {
        // A serial terminal in the state Linux's tty layer starts it in (cooked, echo).
        KernelTermios t{};
        t.iflag = 0x0500;  // ICRNL | IXON
        t.oflag = 0x0005;  // OPOST | ONLCR
        t.cflag = 0x00bf;  // B38400 | CS8 | CREAD
        t.lflag = 0x8a3b;  // ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN
        const std::uint8_t cc[] = {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22};
        for (unsigned i = 0; i < sizeof(cc); ++i) t.cc[i] = cc[i];
        return arch::copy_to_user(argument, &t, sizeof(t)) ? 0 : -kEFAULT;
      }
      case kTiocgwinsz: {
        const WinSize w{24, 80, 0, 0};
        return arch::copy_to_user(argument, &w, sizeof(w)) ? 0 : -kEFAULT;
      }
      default:
        return -25;  // ENOTTY
    }
  }

  FileStat stat() override { return char_stat(5, minor_, 0620); }

  // Input is polled from the UART (no receive interrupt yet): poll re-checks it every few ms.
  std::uint32_t poll_events() override {
    std::uint32_t e = kPollOut | kPollWrNorm;
    if (console::com1().has_input()) e |= kPollIn | kPollRdNorm;
    return e;
  }
  bool needs_polling() const override { return true; }

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
    f = new (std::nothrow) ConsoleFile(flags, minor);
  } else {
    known = false;
  }
  *no_memory = known && f == nullptr;
  return f;
}

File* open_console(std::uint32_t flags) { return new (std::nothrow) ConsoleFile(flags, 1); }

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

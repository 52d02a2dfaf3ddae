// read, write, readv, writev and ioctl on the console descriptors 0, 1 and 2, which every
// process has (the file table comes with the VFS; until then these are the only descriptors).
#include "kernel/arch/x86_64/user_copy.h"
#include "kernel/console/log.h"
#include "kernel/console/serial16550.h"
#include "kernel/proc/process.h"
#include "kernel/syscalls/handlers.h"
#include "kernel/threads/sleep_queue.h"
#include "smp/locks/guard.h"
#include "smp/locks/locks.h"

namespace ksys {
namespace {

using namespace kabi;

// Linux's MAX_RW_COUNT: one read or write moves at most this much.
constexpr std::uint64_t kMaxRwCount = 0x7ffff000;
// Linux's UIO_MAXIOV.
constexpr std::int64_t kMaxIov = 1024;
// How often a console read polls the UART while no byte is there.
constexpr std::uint64_t kInputPollNs = 10'000'000;

bool is_console(std::uint64_t fd) { return fd <= 2; }

// Console input: one reader at a time (a byte goes to exactly one of them).
constinit smp::LockClass kConsoleInputClass{"console-input", smp::LockRank{0}};
smp::TicketSpinLock<smp::NoIrqSave, kConsoleInputClass> g_input_lock;

struct IoVec {
  std::uint64_t base;
  std::uint64_t length;
};

std::int64_t console_write(std::uint64_t buffer, std::uint64_t count) {
  if (count > kMaxRwCount) count = kMaxRwCount;
  char chunk[256];
  std::uint64_t done = 0;
  while (done < count) {
    const std::uint64_t n = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
    if (!arch::copy_from_user(chunk, buffer + done, n)) {
      return done != 0 ? static_cast<std::int64_t>(done) : error(kEFAULT);
    }
    klog::write_raw(chunk, n);
    done += n;
  }
  return static_cast<std::int64_t>(done);
}

// Blocks until at least one byte arrived (polling the UART), then returns what is there, up
// to `count`. Ends with EINTR when the process is being ended meanwhile.
std::int64_t console_read(std::uint64_t buffer, std::uint64_t count) {
  if (count == 0) return 0;
  if (!arch::user_range_ok(buffer, count)) return error(kEFAULT);
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
      if (!arch::copy_to_user(buffer, chunk, n)) return error(kEFAULT);
      return static_cast<std::int64_t>(n);
    }
    const kproc::UserThread* t = kproc::current_user_thread();
    if (t != nullptr && t->process->exiting.load()) return error(kEINTR);
    kthreads::sleep_for(kInputPollNs);
  }
}

template <bool kWrite>
std::int64_t vector_io(const Args& args) {
  const std::uint64_t fd = args.a0;
  const std::uint64_t iov = args.a1;
  const auto count = static_cast<std::int64_t>(args.a2);
  if (!is_console(fd)) return error(kEBADF);
  if (count < 0 || count > kMaxIov) return error(kEINVAL);
  // First pass: every length, so that a total past the limit is EINVAL before anything moves.
  std::uint64_t total = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    IoVec v;
    if (!arch::copy_from_user(&v, iov + static_cast<std::uint64_t>(i) * sizeof(IoVec), sizeof(v))) {
      return error(kEFAULT);
    }
    if (static_cast<std::int64_t>(v.length) < 0) return error(kEINVAL);
    total += v.length;
    if (total > 0x7fffffffffffffffull) return error(kEINVAL);
  }
  std::int64_t done = 0;
  for (std::int64_t i = 0; i < count; ++i) {
    IoVec v;
    if (!arch::copy_from_user(&v, iov + static_cast<std::uint64_t>(i) * sizeof(IoVec), sizeof(v))) {
      return done != 0 ? done : error(kEFAULT);
    }
    if (v.length == 0) continue;
    const std::int64_t n = kWrite ? console_write(v.base, v.length) : console_read(v.base, v.length);
    if (n < 0) return done != 0 ? done : n;
    done += n;
    if (static_cast<std::uint64_t>(n) < v.length) break;  // a short transfer ends the call
    if (!kWrite) break;  // a console read returns what one line of input gave
  }
  return done;
}

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

}  // namespace

PLEIADES_SYSCALL(sys_write) {
  (void)frame;
  if (!is_console(args.a0)) return error(kEBADF);
  return console_write(args.a1, args.a2);
}

PLEIADES_SYSCALL(sys_read) {
  (void)frame;
  if (!is_console(args.a0)) return error(kEBADF);
  return console_read(args.a1, args.a2);
}

PLEIADES_SYSCALL(sys_writev) {
  (void)frame;
  return vector_io<true>(args);
}

PLEIADES_SYSCALL(sys_readv) {
  (void)frame;
  return vector_io<false>(args);
}

PLEIADES_SYSCALL(sys_ioctl) {
  (void)frame;
  if (!is_console(args.a0)) return error(kEBADF);
  switch (args.a1) {
    case kTcgets: {
      // A serial terminal in the state Linux's tty layer starts it in (cooked, echo).
      KernelTermios t{};
      t.iflag = 0x0500;   // ICRNL | IXON
      t.oflag = 0x0005;   // OPOST | ONLCR
      t.cflag = 0x00bf;   // B38400 | CS8 | CREAD
      t.lflag = 0x8a3b;   // ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN
      const std::uint8_t cc[] = {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22};
      for (unsigned i = 0; i < sizeof(cc); ++i) t.cc[i] = cc[i];
      return arch::copy_to_user(args.a2, &t, sizeof(t)) ? 0 : error(kEFAULT);
    }
    case kTiocgwinsz: {
      const WinSize w{24, 80, 0, 0};
      return arch::copy_to_user(args.a2, &w, sizeof(w)) ? 0 : error(kEFAULT);
    }
    default:
      return error(kENOTTY);
  }
}

}  // namespace ksys

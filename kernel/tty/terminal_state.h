// The console terminal's shared state (terminal.cc: reads, writes, the worker; terminal_ioctl.cc:
// termios and job control; input.cc: the interrupt handlers). Internal to kernel/tty.
#pragma once

#include <cstdint>

#include "kernel/console/log.h"
#include "kernel/tty/input_ring.h"
#include "kernel/tty/keyboard_map.h"
#include "kernel/tty/line_discipline.h"
#include "sched/wait_queue.h"
#include "smp/atomic.h"
#include "smp/locks/locks.h"

namespace kproc {
struct JobControlView;
}

namespace ktty {

// The terminal's lock: thread context only, never in an interrupt handler. Inside it: the
// process tree (21) and the console lock (70). docs/locking.md.
inline constinit smp::LockClass kTerminalClass{"tty", smp::LockRank{15}};

inline constexpr std::int64_t kEPERM = 1, kESRCH = 3, kEINTR = 4, kEIO = 5, kENXIO = 6,
                              kEAGAIN = 11, kEFAULT = 14, kEINVAL = 22, kENOTTY = 25;

// Echo and output to every console, processed already (klog::write_terminal).
struct ConsoleOutput final : OutputSink {
  void write(const char* bytes, std::size_t length) override {
    klog::write_terminal(bytes, length);
  }
};

struct Terminal {
  smp::TicketSpinLock<smp::NoIrqSave, kTerminalClass> lock;
  LineDiscipline ldisc TA_GUARDED(lock);
  WindowSize window TA_GUARDED(lock);
  // The session it is the controlling terminal of (0: none) and its foreground process group.
  int session TA_GUARDED(lock) = 0;
  int foreground TA_GUARDED(lock) = 0;
  // Bumped under the lock whenever the input changes (bytes in, flush, new termios): a reader
  // sleeps until it moves past what it saw under the lock, so no arrival is missed.
  smp::Atomic<std::uint64_t> input_events{0};
  sched::WaitQueue readers;
  // Interrupt handlers -> worker: the UART's bytes, the keyboard's scancodes (which the worker
  // alone translates, with `keyboard`'s modifier state).
  InputRing serial_ring;
  InputRing keyboard_ring;
  KeyboardDecoder keyboard;
  sched::WaitQueue worker_wait;
  smp::Atomic<std::uint64_t> serial_bytes{0}, keyboard_bytes{0}, signals{0}, missed{0};
};

// The terminal, or null before init() made it.
Terminal* terminal();

// Under the lock: drops the session whose leader has exited (Linux disassociates the terminal
// when the leader exits; here it is noticed at the next use). Takes the process tree lock.
void refresh_session_locked(Terminal& t) TA_REQ(t.lock);
// Whether the terminal is the controlling terminal of the process `me` describes.
bool is_controlling_locked(Terminal& t, const kproc::JobControlView& me) TA_REQ(t.lock);
// Linux's __tty_check_change for the calling process: 0 when it may go on (not its controlling
// terminal, or it is in the foreground group); for a background group `sig` (SIGTTIN, SIGTTOU)
// to its group and kproc::kRestartSys, or -EIO (SIGTTIN ignored or blocked; an orphaned
// group), or 0 (SIGTTOU ignored or blocked: allowed). Takes the lock itself.
std::int64_t check_background(int sig);

// Input (serial_input.cc): moves what the UART holds into serial_ring (as much as fits) and
// returns the count; routes COM1's receive interrupt. Called by init() once the worker runs.
std::size_t drain_serial(Terminal& t);
void start_serial_input(Terminal& t);
// The keyboard (ps2_keyboard.cc): probes the i8042 (when `firmware_8042`) and routes IRQ 1;
// translate_keyboard (worker only) turns waiting scancodes into at most `max` bytes.
void start_keyboard_input(Terminal& t, bool firmware_8042);
std::size_t translate_keyboard(Terminal& t, std::uint8_t* out, std::size_t max);

}  // namespace ktty

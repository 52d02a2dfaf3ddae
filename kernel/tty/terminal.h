// The console terminal (docs/terminal.md): one terminal behind /dev/console and /dev/tty, fed by
// COM1's receive interrupt and the PS/2 keyboard, written to every console (serial and
// framebuffer). Its line discipline is line_discipline.h; this is the device around it: the
// worker thread that runs input through the line discipline and sends the ISIG signals, blocking
// reads with VMIN/VTIME, termios and the job-control ioctls, and the controlling-terminal rules
// of Linux's tty_jobctrl.c for the one session that may own it.
//
// Locks (docs/locking.md): interrupt handlers take only the input ring's leaf lock and then wake
// the worker with nothing held. The terminal's lock ("tty", rank 15) is a spinlock taken in
// thread context only; inside it the process tree (21, to check a session or group) and the
// console lock (70, echo and output); wake-ups and signals happen after it is dropped.
#pragma once

#include <cstdint>

namespace ktty {

// Boot CPU, once, after kproc::init (the scheduler runs, the IOAPICs are set up): makes the
// terminal, starts its worker thread, and routes COM1's receive interrupt (ISA IRQ 4) and, when
// an i8042 answers (`firmware_8042`: what the FADT's IAPC_BOOT_ARCH says, or true when the
// table does not say), the keyboard's (IRQ 1) to the calling CPU. Logs what it found; a missing
// port or controller is reported, never waited for beyond a bounded probe.
void init(bool firmware_8042);

// Process 1's console (opened by the kernel, kproc::start_init): the terminal becomes the
// controlling terminal of session `sid` with foreground group `sid` unless a session has it.
void attach_init_session(int sid);

// open(2) of the terminal by the calling process. `dev_tty` (/dev/tty): its controlling
// terminal, ENXIO without one. Otherwise (/dev/console) a session leader without a controlling
// terminal gets this one, unless `no_ctty` (O_NOCTTY) or another session has it. 0 or -errno.
std::int64_t open(bool dev_tty, bool no_ctty);

// read(2): canonical lines or raw bytes under VMIN/VTIME; blocks (interruptibly) unless
// `nonblock`; a background process group gets SIGTTIN (EIO when SIGTTIN is ignored or blocked,
// or its group is orphaned). Returns the count or -errno (kproc::kRestartSys when interrupted).
std::int64_t read(std::uint64_t buffer, std::uint64_t count, bool nonblock);
// write(2): through output processing to every console (SIGTTOU for a background group only
// with TOSTOP). Returns the count or -errno.
std::int64_t write(std::uint64_t buffer, std::uint64_t count);
// The terminal ioctls (TCGETS, TCSETS[WF], TCFLSH, TIOCGPGRP, TIOCSPGRP, TIOCGWINSZ,
// TIOCSWINSZ, TIOCSCTTY, TIOCNOTTY, FIONREAD, TIOCOUTQ, TIOCGSID, TCSBRK), Linux's results and
// errno values; ENOTTY for any other. `readable`: the file was opened for reading (TIOCSCTTY
// needs it).
std::int64_t ioctl(std::uint64_t command, std::uint64_t argument, bool readable);
// poll(2): POLLIN when read() would not block (a line, or VMIN bytes), POLLOUT always. The
// worker calls kfiles::notify_poll when input arrives, so pollers need no polling.
std::uint32_t poll_events();

// Counters since boot (diagnostics and checks).
struct Stats {
  std::uint64_t serial_bytes = 0;     // taken from the UART
  std::uint64_t keyboard_bytes = 0;   // produced by the PS/2 keyboard
  std::uint64_t ring_dropped = 0;     // lost because the input ring was full
  std::uint64_t buffer_dropped = 0;   // lost because the line discipline's buffer was full
  std::uint64_t signals = 0;          // ISIG signals sent to a foreground group
  std::uint64_t missed_interrupts = 0;  // bytes the worker found without an interrupt
};
Stats stats();

}  // namespace ktty

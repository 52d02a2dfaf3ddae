// The terminal's settings as Linux's system calls exchange them: struct termios of the kernel
// ABI (asm-generic/termbits.h: four flag words, c_line, 19 control characters), the flag bits
// and control-character slots with Linux's values, and struct winsize. TCGETS/TCSETS copy this
// struct as it is; the line discipline (line_discipline.h) reads it.
#pragma once

#include <cstdint>

namespace ktty {

inline constexpr unsigned kControlChars = 19;  // NCCS of the kernel ABI

struct Termios {
  std::uint32_t iflag = 0, oflag = 0, cflag = 0, lflag = 0;
  std::uint8_t line = 0;
  std::uint8_t cc[kControlChars] = {};
};
static_assert(sizeof(Termios) == 36, "struct termios of the Linux x86-64 kernel ABI");

// c_cc slots.
inline constexpr unsigned kVintr = 0, kVquit = 1, kVerase = 2, kVkill = 3, kVeof = 4, kVtime = 5,
                          kVmin = 6, kVswtc = 7, kVstart = 8, kVstop = 9, kVsusp = 10, kVeol = 11,
                          kVreprint = 12, kVdiscard = 13, kVwerase = 14, kVlnext = 15, kVeol2 = 16;
// A control character set to this is disabled (_POSIX_VDISABLE on Linux).
inline constexpr std::uint8_t kDisabledChar = 0;

// c_iflag.
inline constexpr std::uint32_t kIgnbrk = 0000001, kBrkint = 0000002, kIgnpar = 0000004,
                               kParmrk = 0000010, kInpck = 0000020, kIstrip = 0000040,
                               kInlcr = 0000100, kIgncr = 0000200, kIcrnl = 0000400,
                               kIuclc = 0001000, kIxon = 0002000, kIxany = 0004000,
                               kIxoff = 0010000, kImaxbel = 0020000, kIutf8 = 0040000;
// c_oflag.
inline constexpr std::uint32_t kOpost = 0000001, kOlcuc = 0000002, kOnlcr = 0000004,
                               kOcrnl = 0000010, kOnocr = 0000020, kOnlret = 0000040,
                               kTabdly = 0014000, kXtabs = 0014000;
// c_cflag.
inline constexpr std::uint32_t kB38400 = 0000017, kCs8 = 0000060, kCread = 0000200,
                               kHupcl = 0002000;
// c_lflag.
inline constexpr std::uint32_t kIsig = 0000001, kIcanon = 0000002, kEcho = 0000010,
                               kEchoe = 0000020, kEchok = 0000040, kEchonl = 0000100,
                               kNoflsh = 0000200, kTostop = 0000400, kEchoctl = 0001000,
                               kEchoprt = 0002000, kEchoke = 0004000, kIexten = 0100000;

// The state Linux's tty layer gives a new terminal (tty_std_termios): cooked, echoing, ^C/^\/^Z
// signals, ICRNL, OPOST|ONLCR, B38400 CS8 CREAD HUPCL, INIT_C_CC's control characters.
Termios standard_termios();

// struct winsize (TIOCGWINSZ, TIOCSWINSZ).
struct WindowSize {
  std::uint16_t rows = 0, columns = 0, x_pixels = 0, y_pixels = 0;
};
static_assert(sizeof(WindowSize) == 8);

}  // namespace ktty

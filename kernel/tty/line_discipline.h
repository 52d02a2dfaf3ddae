// The line discipline of the console terminal (Linux's N_TTY, docs/terminal.md): what happens to
// a byte between the wire and read(), and between write() and the wire. Pure code: no locks, no
// hardware, no sleeping; the terminal (terminal.h) serialises every call under its lock, and the
// host tests drive it directly (tests/host/tty).
//
// Input is kept in one 4096-byte buffer (N_TTY_BUF_SIZE) from the moment it arrives, whether or
// not anybody reads yet. In canonical mode (ICANON) the bytes after the last line end are the
// line being edited (ERASE, KILL, WERASE, LNEXT, REPRINT act on it); a line end ('\n', EOL, EOL2,
// or EOF, which ends a line without a byte of its own) makes everything before it readable. In
// non-canonical mode every byte is readable at once; VMIN/VTIME are the reader's business
// (raw_read_rule). Echo and program output both pass through output processing (OPOST), which
// keeps the output column the erase echo needs.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernel/tty/termios.h"

namespace ktty {

// Where echo and processed output go (the terminal's consoles; a string in the tests).
class OutputSink {
 public:
  virtual void write(const char* bytes, std::size_t length) = 0;

 protected:
  ~OutputSink() = default;
};

// Signal numbers the ISIG characters ask for (Linux's).
inline constexpr int kSignalInterrupt = 2, kSignalQuit = 3, kSignalSuspend = 20;

class LineDiscipline {
 public:
  static constexpr std::size_t kBufferSize = 4096;

  // Starts with standard_termios() and an empty buffer.
  LineDiscipline();

  const Termios& termios() const { return termios_; }
  // Replaces the settings. Turning ICANON on makes whatever is buffered one readable line (as
  // Linux's n_tty_set_termios); turning it off makes every buffered byte readable.
  void set_termios(const Termios& t);

  // One byte from the line. Applies ISTRIP, IUCLC, the ISIG characters (with ISIG: the input
  // is flushed unless NOFLSH, the character echoed as "^C" with ECHOCTL), IGNCR/ICRNL/INLCR, the
  // canonical editing characters, and echo (ECHO, ECHOCTL, ECHONL, ECHOE, ECHOK, ECHOKE), writing
  // the echo to `echo` through output processing. Returns the signal to send to the foreground
  // process group (kSignalInterrupt, kSignalQuit, kSignalSuspend) or 0. A byte that finds the
  // buffer full is dropped (a line end still fits in canonical mode) and counted.
  int receive(std::uint8_t c, OutputSink& echo);

  struct ReadResult {
    std::size_t bytes = 0;     // copied to `out`
    bool end_of_file = false;  // canonical: an EOF at the start of the line was consumed
    bool line_end = false;     // canonical: the line's end (its '\n', EOL or EOF) was reached
  };
  // Takes readable input into `out` (at most `max` bytes): in canonical mode up to and with the
  // end of one line (an EOF ending it is consumed, not copied), else what is buffered.
  ReadResult read(std::uint8_t* out, std::size_t max);

  // Whether read() would return something (or report end of file) now.
  bool readable() const;
  // FIONREAD: the bytes read() can deliver now, EOF marks not counted.
  std::size_t readable_bytes() const;
  // Bytes in the buffer, the line being edited included.
  std::size_t buffered() const { return static_cast<std::size_t>(head_ - tail_); }
  // Discards every buffered byte (TCFLSH, TCSETSF, an ISIG character without NOFLSH).
  void flush_input();

  // Program output: `length` bytes through output processing (OPOST: ONLCR, OCRNL, ONOCR,
  // ONLRET, OLCUC, XTABS) to `out`.
  void write_output(const char* bytes, std::size_t length, OutputSink& out);

  // The output column (for erasing tabs), and bytes dropped because the buffer was full.
  std::uint32_t column() const { return column_; }
  std::uint64_t dropped() const { return dropped_; }

  // What a non-canonical read of `count` bytes waits for (termios VMIN and VTIME, as Linux's
  // n_tty_read): at least `minimum` bytes (0: return at once with what there is); `timeout_ns`
  // (0: none) is, when `minimum` is 0, the limit for the first byte, and otherwise the limit
  // between bytes once one has arrived.
  struct RawReadRule {
    std::size_t minimum = 1;
    std::uint64_t timeout_ns = 0;
  };
  RawReadRule raw_read_rule(std::size_t count) const;
  bool canonical() const { return (termios_.lflag & kIcanon) != 0; }

 private:
  class Output;  // buffered output processing into a sink

  bool is(std::uint8_t c, unsigned slot) const {
    return termios_.cc[slot] != kDisabledChar && c == termios_.cc[slot];
  }
  bool lflag(std::uint32_t f) const { return (termios_.lflag & f) != 0; }
  bool iflag(std::uint32_t f) const { return (termios_.iflag & f) != 0; }
  std::uint8_t at(std::uint64_t index) const { return buffer_[index % kBufferSize]; }
  bool marked(const std::uint8_t* bits, std::uint64_t index) const {
    const std::uint64_t i = index % kBufferSize;
    return (bits[i / 8] >> (i % 8)) & 1;
  }
  void set_mark(std::uint8_t* bits, std::uint64_t index, bool on);

  int signal_char(std::uint8_t c, int signal, Output& out);
  bool put(std::uint8_t c, bool line_end, bool eof, Output& out);
  void echo_char(std::uint8_t c, Output& out);
  void erase(unsigned slot, Output& out);
  void reprint(Output& out);
  // The column the echo of the edited line reaches at `end` (tabs, ^X pairs).
  std::uint32_t edited_column(std::uint64_t end) const;
  void output_byte(std::uint8_t c, Output& out);

  Termios termios_;
  std::uint8_t buffer_[kBufferSize];
  // Per buffer slot: ends a line; is an EOF mark (its byte is not delivered).
  std::uint8_t line_end_[kBufferSize / 8] = {};
  std::uint8_t eof_[kBufferSize / 8] = {};
  // Free-running indexes: tail_ <= canon_head_ <= head_ (canonical), head_ - tail_ <= kBufferSize.
  std::uint64_t tail_ = 0;        // next byte to read
  std::uint64_t canon_head_ = 0;  // end of the last complete line
  std::uint64_t head_ = 0;        // next free slot
  std::uint32_t column_ = 0;        // output column
  std::uint32_t canon_column_ = 0;  // the column where the edited line's echo began
  bool literal_next_ = false;       // LNEXT seen: the next byte is taken as it is
  std::uint64_t dropped_ = 0;
};

}  // namespace ktty

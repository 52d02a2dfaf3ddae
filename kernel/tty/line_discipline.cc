#include "kernel/tty/line_discipline.h"

namespace ktty {
namespace {

constexpr std::uint8_t kDel = 0x7f;
constexpr std::uint64_t kNsPerDecisecond = 100'000'000;  // VTIME counts tenths of a second

bool is_control(std::uint8_t c) { return c < 0x20 || c == kDel; }
bool is_word_char(std::uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
// A UTF-8 continuation byte (10xxxxxx): with IUTF8 it belongs to the character before it.
bool is_continuation(std::uint8_t c) { return (c & 0xc0) == 0x80; }

}  // namespace

Termios standard_termios() {
  Termios t;
  t.iflag = kIcrnl | kIxon;
  t.oflag = kOpost | kOnlcr;
  t.cflag = kB38400 | kCs8 | kCread | kHupcl;
  t.lflag = kIsig | kIcanon | kEcho | kEchoe | kEchok | kEchoctl | kEchoke | kIexten;
  // INIT_C_CC: ^C ^\ DEL ^U ^D, VTIME 0, VMIN 1, -, ^Q ^S ^Z, -, ^R ^O ^W ^V, -.
  const std::uint8_t cc[] = {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0};
  for (unsigned i = 0; i < sizeof(cc); ++i) t.cc[i] = cc[i];
  return t;
}

// Collects processed bytes and hands them to the sink in pieces, not one call per byte.
class LineDiscipline::Output {
 public:
  explicit Output(OutputSink& sink) : sink_(sink) {}
  ~Output() { flush(); }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  void put(char c) {
    if (length_ == sizeof(chunk_)) flush();
    chunk_[length_++] = c;
  }
  void flush() {
    if (length_ != 0) sink_.write(chunk_, length_);
    length_ = 0;
  }

 private:
  OutputSink& sink_;
  char chunk_[128];
  std::size_t length_ = 0;
};

LineDiscipline::LineDiscipline() : termios_(standard_termios()) {}

void LineDiscipline::set_mark(std::uint8_t* bits, std::uint64_t index, bool on) {
  const std::uint64_t i = index % kBufferSize;
  const auto bit = static_cast<std::uint8_t>(1u << (i % 8));
  bits[i / 8] = static_cast<std::uint8_t>(on ? bits[i / 8] | bit : bits[i / 8] & ~bit);
}

void LineDiscipline::set_termios(const Termios& t) {
  const bool was_canonical = canonical();
  termios_ = t;
  if (!was_canonical && canonical()) {
    // What raw mode left becomes one line, readable as it is.
    if (head_ != tail_) set_mark(line_end_, head_ - 1, true);
    canon_head_ = head_;
    canon_column_ = column_;
  }
  if (was_canonical && !canonical()) canon_head_ = head_;
  literal_next_ = false;
}

void LineDiscipline::flush_input() {
  for (std::uint64_t i = tail_; i != head_; ++i) {
    set_mark(line_end_, i, false);
    set_mark(eof_, i, false);
  }
  tail_ = canon_head_ = head_;
  canon_column_ = column_;
  literal_next_ = false;
}

bool LineDiscipline::readable() const {
  return canonical() ? canon_head_ != tail_ : head_ != tail_;
}

std::size_t LineDiscipline::readable_bytes() const {
  if (!canonical()) return buffered();
  std::size_t n = 0;
  for (std::uint64_t i = tail_; i != canon_head_; ++i) {
    if (!marked(eof_, i)) ++n;
  }
  return n;
}

LineDiscipline::ReadResult LineDiscipline::read(std::uint8_t* out, std::size_t max) {
  ReadResult r;
  if (!canonical()) {
    while (r.bytes < max && tail_ != head_) {
      // Marks left from canonical mode mean nothing here.
      set_mark(line_end_, tail_, false);
      set_mark(eof_, tail_, false);
      out[r.bytes++] = at(tail_++);
    }
    canon_head_ = tail_ > canon_head_ ? tail_ : canon_head_;
    return r;
  }
  while (tail_ != canon_head_) {
    const bool eof = marked(eof_, tail_);
    const bool end = marked(line_end_, tail_);
    if (eof) {
      // EOF ends the line without a byte: consumed; alone at the line's start it is end of file.
      set_mark(eof_, tail_, false);
      set_mark(line_end_, tail_, false);
      ++tail_;
      r.end_of_file = r.bytes == 0;
      r.line_end = true;
      return r;
    }
    if (r.bytes == max) return r;  // the rest of the line stays for the next read
    out[r.bytes++] = at(tail_);
    set_mark(line_end_, tail_, false);
    ++tail_;
    if (end) {
      r.line_end = true;
      return r;
    }
  }
  return r;
}

LineDiscipline::RawReadRule LineDiscipline::raw_read_rule(std::size_t count) const {
  RawReadRule rule;
  const std::size_t vmin = termios_.cc[kVmin];
  rule.minimum = vmin < count ? vmin : count;
  rule.timeout_ns = termios_.cc[kVtime] * kNsPerDecisecond;
  return rule;
}

// Output processing of one byte (Linux's do_output_char), keeping the column.
void LineDiscipline::output_byte(std::uint8_t c, Output& out) {
  const std::uint32_t o = termios_.oflag;
  if ((o & kOpost) == 0) {
    out.put(static_cast<char>(c));
    return;
  }
  switch (c) {
    case '\n':
      if (o & kOnlret) column_ = 0;
      if (o & kOnlcr) {
        column_ = 0;
        out.put('\r');
      }
      break;
    case '\r':
      if ((o & kOnocr) && column_ == 0) return;
      if (o & kOcrnl) {
        c = '\n';
        if (o & kOnlret) column_ = 0;
        break;
      }
      column_ = 0;
      break;
    case '\t': {
      const std::uint32_t spaces = 8 - (column_ & 7);
      column_ += spaces;
      if ((o & kTabdly) == kXtabs) {
        for (std::uint32_t i = 0; i < spaces; ++i) out.put(' ');
        return;
      }
      break;
    }
    case '\b':
      if (column_ > 0) --column_;
      break;
    default:
      if (!is_control(c)) {
        if ((o & kOlcuc) && c >= 'a' && c <= 'z') c = static_cast<std::uint8_t>(c - 'a' + 'A');
        if (!(iflag(kIutf8) && is_continuation(c))) ++column_;
      }
      break;
  }
  out.put(static_cast<char>(c));
}

void LineDiscipline::write_output(const char* bytes, std::size_t length, OutputSink& sink) {
  Output out(sink);
  for (std::size_t i = 0; i < length; ++i) output_byte(static_cast<std::uint8_t>(bytes[i]), out);
}

// echo_char: a control character as "^X" with ECHOCTL (tab and newline as they are).
void LineDiscipline::echo_char(std::uint8_t c, Output& out) {
  if (lflag(kEchoctl) && is_control(c) && c != '\t' && c != '\n') {
    output_byte('^', out);
    output_byte(static_cast<std::uint8_t>(c ^ 0x40), out);
    return;
  }
  output_byte(c, out);
}

bool LineDiscipline::put(std::uint8_t c, bool line_end, bool eof, Output& out) {
  // One slot stays free for a line end, so a full line can still be finished.
  const std::size_t limit = line_end && canonical() ? kBufferSize : kBufferSize - 1;
  if (buffered() >= limit) {
    ++dropped_;
    if (iflag(kImaxbel) && lflag(kEcho)) output_byte('\a', out);
    return false;
  }
  set_mark(line_end_, head_, line_end);
  set_mark(eof_, head_, eof);
  buffer_[head_ % kBufferSize] = c;
  ++head_;
  if (line_end && canonical()) {
    canon_head_ = head_;
  }
  return true;
}

int LineDiscipline::signal_char(std::uint8_t c, int signal, Output& out) {
  if (!lflag(kNoflsh)) flush_input();
  if (lflag(kEcho)) echo_char(c, out);
  canon_column_ = column_;
  return signal;
}

std::uint32_t LineDiscipline::edited_column(std::uint64_t end) const {
  std::uint32_t col = canon_column_;
  for (std::uint64_t i = canon_head_; i != end; ++i) {
    const std::uint8_t c = at(i);
    if (c == '\t') {
      col = (col | 7) + 1;
    } else if (is_control(c)) {
      if (lflag(kEchoctl)) col += 2;
    } else if (!(iflag(kIutf8) && is_continuation(c))) {
      ++col;
    }
  }
  return col;
}

// ERASE, WERASE or KILL on the line being edited (Linux's eraser()).
void LineDiscipline::erase(unsigned slot, Output& out) {
  if (head_ == canon_head_) return;  // nothing typed since the last line end
  const bool echo = lflag(kEcho);
  if (slot == kVkill) {
    if (!echo) {
      head_ = canon_head_;
      return;
    }
    if (!lflag(kEchok) || !lflag(kEchoke) || !lflag(kEchoe)) {
      head_ = canon_head_;
      echo_char(termios_.cc[kVkill], out);
      if (lflag(kEchok)) output_byte('\n', out);
      canon_column_ = column_;
      return;
    }
  }
  if (slot == kVerase && echo && !lflag(kEchoe)) {
    // Without ECHOE the erase character itself is shown, not a rubout.
    std::uint64_t h = head_ - 1;
    while (iflag(kIutf8) && is_continuation(at(h)) && h != canon_head_) --h;
    head_ = h;
    echo_char(termios_.cc[kVerase], out);
    return;
  }
  bool seen_word = false;
  while (head_ != canon_head_) {
    const std::uint8_t c = at(head_ - 1);
    if (slot == kVwerase) {
      if (is_word_char(c)) {
        seen_word = true;
      } else if (seen_word) {
        break;
      }
    }
    --head_;
    if (echo) {
      if (c == '\t') {
        const std::uint32_t to = edited_column(head_);
        while (column_ > to) output_byte('\b', out);
      } else if (!(iflag(kIutf8) && is_continuation(c))) {
        const int width = is_control(c) ? (lflag(kEchoctl) ? 2 : 0) : 1;
        for (int i = 0; i < width; ++i) {
          output_byte('\b', out);
          output_byte(' ', out);
          output_byte('\b', out);
        }
      }
    }
    if (slot == kVerase && !(iflag(kIutf8) && is_continuation(c))) break;
  }
}

// REPRINT: the reprint character, a new line, and the line typed so far.
void LineDiscipline::reprint(Output& out) {
  if (!lflag(kEcho)) return;
  echo_char(termios_.cc[kVreprint], out);
  output_byte('\n', out);
  canon_column_ = column_;
  for (std::uint64_t i = canon_head_; i != head_; ++i) echo_char(at(i), out);
}

int LineDiscipline::receive(std::uint8_t c, OutputSink& sink) {
  Output out(sink);
  if (iflag(kIstrip)) c &= 0x7f;
  if (iflag(kIuclc) && lflag(kIexten) && c >= 'A' && c <= 'Z') {
    c = static_cast<std::uint8_t>(c - 'A' + 'a');
  }
  if (head_ == canon_head_) canon_column_ = column_;  // a new line starts where the echo is

  if (literal_next_) {
    // Taken as it is: no signal, no editing, no CR mapping. Its echo lands on the "^" that
    // LNEXT left under the cursor.
    literal_next_ = false;
    if (lflag(kEcho)) echo_char(c, out);
    put(c, false, false, out);
    return 0;
  }
  if (lflag(kIsig)) {
    if (is(c, kVintr)) return signal_char(c, kSignalInterrupt, out);
    if (is(c, kVquit)) return signal_char(c, kSignalQuit, out);
    if (is(c, kVsusp)) return signal_char(c, kSignalSuspend, out);
  }
  if (c == '\r') {
    if (iflag(kIgncr)) return 0;
    if (iflag(kIcrnl)) c = '\n';
  } else if (c == '\n' && iflag(kInlcr)) {
    c = '\r';
  }
  if (canonical()) {
    if (is(c, kVerase)) {
      erase(kVerase, out);
      return 0;
    }
    if (is(c, kVkill)) {
      erase(kVkill, out);
      return 0;
    }
    if (lflag(kIexten) && is(c, kVwerase)) {
      erase(kVwerase, out);
      return 0;
    }
    if (lflag(kIexten) && is(c, kVlnext)) {
      literal_next_ = true;
      if (lflag(kEcho) && lflag(kEchoctl)) {
        output_byte('^', out);
        output_byte('\b', out);
      }
      return 0;
    }
    if (lflag(kIexten) && is(c, kVreprint)) {
      reprint(out);
      return 0;
    }
    if (c == '\n') {
      if (put(c, true, false, out) && (lflag(kEcho) || lflag(kEchonl))) output_byte('\n', out);
      canon_column_ = column_;
      return 0;
    }
    if (is(c, kVeof)) {
      // Ends the line without a byte of its own; not echoed.
      put(kDisabledChar, true, true, out);
      canon_column_ = column_;
      return 0;
    }
    if (is(c, kVeol) || is(c, kVeol2)) {
      if (put(c, true, false, out) && lflag(kEcho)) echo_char(c, out);
      canon_column_ = column_;
      return 0;
    }
  }
  if (put(c, false, false, out) && lflag(kEcho)) {
    if (c == '\n') {
      output_byte('\n', out);
    } else {
      echo_char(c, out);
    }
  }
  return 0;
}

}  // namespace ktty

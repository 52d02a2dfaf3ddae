// The line discipline (kernel/tty/line_discipline.h) fed byte by byte, its echo collected.
#include "kernel/tty/line_discipline.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using ktty::LineDiscipline;

struct StringSink final : ktty::OutputSink {
  std::string text;
  void write(const char* bytes, std::size_t length) override { text.append(bytes, length); }
};

// Feeds `input`; returns the signals asked for, in order, as a string of numbers.
std::string type(LineDiscipline& ld, const std::string& input, StringSink& echo) {
  std::string signals;
  for (char c : input) {
    const int s = ld.receive(static_cast<std::uint8_t>(c), echo);
    if (s != 0) signals += std::to_string(s) + " ";
  }
  return signals;
}

std::string read_all(LineDiscipline& ld, std::size_t max = 4096, bool* eof = nullptr) {
  std::string out(max, '\0');
  const LineDiscipline::ReadResult r = ld.read(reinterpret_cast<std::uint8_t*>(out.data()), max);
  out.resize(r.bytes);
  if (eof != nullptr) *eof = r.end_of_file;
  return out;
}

ktty::Termios raw_termios(std::uint8_t vmin, std::uint8_t vtime) {
  ktty::Termios t = ktty::standard_termios();
  t.lflag &= ~(ktty::kIcanon | ktty::kEcho | ktty::kIsig | ktty::kIexten);
  t.iflag &= ~ktty::kIcrnl;
  t.cc[ktty::kVmin] = vmin;
  t.cc[ktty::kVtime] = vtime;
  return t;
}

TEST(LineDiscipline, StandardTermiosIsLinuxDefault) {
  const ktty::Termios t = ktty::standard_termios();
  EXPECT_EQ(t.iflag, 0x500u);
  EXPECT_EQ(t.oflag, 0x5u);
  EXPECT_EQ(t.cflag, 0x4bfu);
  EXPECT_EQ(t.lflag, 0x8a3bu);
  EXPECT_EQ(t.cc[ktty::kVintr], 3);
  EXPECT_EQ(t.cc[ktty::kVerase], 127);
  EXPECT_EQ(t.cc[ktty::kVmin], 1);
}

TEST(LineDiscipline, CanonicalLineIsReadableOnlyAfterNewline) {
  LineDiscipline ld;
  StringSink echo;
  type(ld, "echo hi", echo);
  EXPECT_FALSE(ld.readable());
  EXPECT_EQ(ld.readable_bytes(), 0u);
  type(ld, "\r", echo);  // ICRNL
  EXPECT_TRUE(ld.readable());
  EXPECT_EQ(ld.readable_bytes(), 8u);
  EXPECT_EQ(echo.text, "echo hi\r\n");  // ONLCR on the echoed newline
  EXPECT_EQ(read_all(ld), "echo hi\n");
  EXPECT_FALSE(ld.readable());
}

TEST(LineDiscipline, ReadReturnsOneLineAtATime) {
  LineDiscipline ld;
  StringSink echo;
  type(ld, "one\ntwo\nthr", echo);
  EXPECT_EQ(read_all(ld), "one\n");
  EXPECT_EQ(read_all(ld), "two\n");
  EXPECT_FALSE(ld.readable());
  EXPECT_EQ(ld.buffered(), 3u);  // "thr" still being edited
}

TEST(LineDiscipline, ShortReadLeavesTheRestOfTheLine) {
  LineDiscipline ld;
  StringSink echo;
  type(ld, "abcdef\n", echo);
  EXPECT_EQ(read_all(ld, 4), "abcd");
  EXPECT_EQ(read_all(ld, 4), "ef\n");
}

TEST(LineDiscipline, EraseWithDelAndBackspace) {
  LineDiscipline ld;
  StringSink echo;
  type(ld, "abx\x7f", echo);
  EXPECT_EQ(echo.text, "abx\b \b");
  type(ld, "y\b", echo);  // ^H: Linux's VERASE is DEL only; ^H is an ordinary byte then
  type(ld, "\n", echo);
  EXPECT_EQ(read_all(ld), "aby\b\n");
}

TEST(LineDiscipline, BackspaceErasesWhenItIsTheEraseCharacter) {
  LineDiscipline ld;
  ktty::Termios t = ld.termios();
  t.cc[ktty::kVerase] = '\b';  // stty erase ^H
  ld.set_termios(t);
  StringSink echo;
  type(ld, "abc\b\bz\n", echo);
  EXPECT_EQ(read_all(ld), "az\n");
  EXPECT_EQ(echo.text, "abc\b \b\b \bz\r\n");
}

TEST(LineDiscipline, EraseOfAControlCharacterRemovesBothEchoCells) {
  LineDiscipline ld;
  StringSink echo;
  type(ld, "a\x01", echo);
  EXPECT_EQ(echo.text, "a^A");
  echo.text.clear();
  type(ld, "\x7f", echo);
  EXPECT_EQ(echo.text, "\b \b\b \b");
}

TEST(LineDiscipline, EraseOfATabGoesBackToItsColumn) {
  LineDiscipline ld;
  StringSink echo;
  type(ld, "ab\t", echo);
  EXPECT_EQ(ld.column(), 8u);
  echo.text.clear();
  type(ld, "\x7f", echo);
  EXPECT_EQ(echo.text, std::string(6, '\b'));
  EXPECT_EQ(ld.column(), 2u);
}

TEST(LineDiscipline, EraseStopsAtTheLineStart) {
  LineDiscipline ld;
  StringSink echo;
  type(ld, "ok\n\x7f\x7f", echo);
  EXPECT_EQ(echo.text, "ok\r\n");  // nothing to erase: no rubout
  EXPECT_EQ(read_all(ld), "ok\n");
}

TEST(LineDiscipline, KillErasesTheLine) {
  LineDiscipline ld;
  StringSink echo;
  type(ld, "abc\x15", echo);  // ^U with ECHOKE: rubbed out character by character
  EXPECT_EQ(echo.text, "abc\b \b\b \b\b \b");
  type(ld, "d\n", echo);
  EXPECT_EQ(read_all(ld), "d\n");
}

TEST(LineDiscipline, KillWithoutEchokeEchoesTheCharacterAndNewline) {
  LineDiscipline ld;
  ktty::Termios t = ld.termios();
  t.lflag &= ~ktty::kEchoke;
  ld.set_termios(t);
  StringSink echo;
  type(ld, "abc\x15", echo);
  EXPECT_EQ(echo.text, "abc^U\r\n");
}

TEST(LineDiscipline, WordEraseRemovesTheLastWordAndItsBlanks) {
  LineDiscipline ld;
  StringSink echo;
  type(ld, "ls -l foo_bar  \x17", echo);
  type(ld, "\n", echo);
  EXPECT_EQ(read_all(ld), "ls -l \n");
  type(ld, "a.b\x17\n", echo);  // '.' is not a word character: only "b" goes
  EXPECT_EQ(read_all(ld), "a.\n");
}

TEST(LineDiscipline, EofAtLineStartIsEndOfFile) {
  LineDiscipline ld;
  StringSink echo;
  type(ld, "\x04", echo);
  EXPECT_TRUE(ld.readable());
  EXPECT_EQ(ld.readable_bytes(), 0u);
  bool eof = false;
  EXPECT_EQ(read_all(ld, 4096, &eof), "");
  EXPECT_TRUE(eof);
  EXPECT_FALSE(ld.readable());
  EXPECT_EQ(echo.text, "");  // EOF is not echoed
}

TEST(LineDiscipline, EofAfterTextReturnsTheTextAndIsConsumed) {
  LineDiscipline ld;
  StringSink echo;
  type(ld, "abc\x04xyz\n", echo);
  bool eof = true;
  EXPECT_EQ(read_all(ld, 4096, &eof), "abc");
  EXPECT_FALSE(eof);
  EXPECT_EQ(read_all(ld, 4096, &eof), "xyz\n");
  EXPECT_FALSE(eof);
}

TEST(LineDiscipline, InterruptSignalsFlushesAndEchoes) {
  LineDiscipline ld;
  StringSink echo;
  EXPECT_EQ(type(ld, "sleep 1\nabc\x03", echo), "2 ");
  EXPECT_EQ(echo.text, "sleep 1\r\nabc^C");
  EXPECT_EQ(ld.buffered(), 0u);  // the complete line went too, as Linux's isig flush
  EXPECT_EQ(type(ld, "\x1c\x1a", echo), "3 20 ");
}

TEST(LineDiscipline, NoflshKeepsTheInput) {
  LineDiscipline ld;
  ktty::Termios t = ld.termios();
  t.lflag |= ktty::kNoflsh;
  ld.set_termios(t);
  StringSink echo;
  EXPECT_EQ(type(ld, "ab\n\x03", echo), "2 ");
  EXPECT_EQ(read_all(ld), "ab\n");
}

TEST(LineDiscipline, WithoutIsigControlCharactersAreData) {
  LineDiscipline ld;
  ktty::Termios t = ld.termios();
  t.lflag &= ~ktty::kIsig;
  ld.set_termios(t);
  StringSink echo;
  EXPECT_EQ(type(ld, "\x03\n", echo), "");
  EXPECT_EQ(read_all(ld), "\x03\n");
}

TEST(LineDiscipline, EchoOffEchoesNothingButEchonlEchoesNewlines) {
  LineDiscipline ld;
  ktty::Termios t = ld.termios();
  t.lflag &= ~ktty::kEcho;
  ld.set_termios(t);
  StringSink echo;
  type(ld, "secret\n", echo);
  EXPECT_EQ(echo.text, "");
  t.lflag |= ktty::kEchonl;
  ld.set_termios(t);
  type(ld, "x\n", echo);
  EXPECT_EQ(echo.text, "\r\n");
}

TEST(LineDiscipline, CarriageReturnMappings) {
  LineDiscipline ld;
  ktty::Termios t = ld.termios();
  t.iflag = ktty::kIgncr;
  ld.set_termios(t);
  StringSink echo;
  type(ld, "a\rb\n", echo);
  EXPECT_EQ(read_all(ld), "ab\n");
  t.iflag = ktty::kInlcr;  // '\n' becomes '\r', which then ends nothing
  ld.set_termios(t);
  type(ld, "c\n", echo);
  EXPECT_FALSE(ld.readable());
}

TEST(LineDiscipline, LiteralNextTakesAControlCharacterAsData) {
  LineDiscipline ld;
  StringSink echo;
  EXPECT_EQ(type(ld, "\x16\x03\n", echo), "");
  EXPECT_EQ(read_all(ld), "\x03\n");
  EXPECT_EQ(echo.text, "^\b^C\r\n");
}

TEST(LineDiscipline, TypeAheadIsKeptUntilRead) {
  LineDiscipline ld;
  StringSink echo;
  type(ld, "echo hi\npoweroff\n", echo);
  EXPECT_EQ(read_all(ld), "echo hi\n");
  EXPECT_EQ(read_all(ld), "poweroff\n");
}

TEST(LineDiscipline, FullBufferStillTakesALineEnd) {
  LineDiscipline ld;
  StringSink echo;
  for (std::size_t i = 0; i < LineDiscipline::kBufferSize + 10; ++i) ld.receive('x', echo);
  EXPECT_EQ(ld.buffered(), LineDiscipline::kBufferSize - 1);
  EXPECT_EQ(ld.dropped(), 11u);
  ld.receive('\n', echo);
  EXPECT_EQ(ld.buffered(), LineDiscipline::kBufferSize);
  const std::string line = read_all(ld);
  EXPECT_EQ(line.size(), LineDiscipline::kBufferSize);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(ld.buffered(), 0u);
}

TEST(LineDiscipline, RawModeDeliversEveryByteAtOnce) {
  LineDiscipline ld;
  ld.set_termios(raw_termios(1, 0));
  StringSink echo;
  EXPECT_EQ(type(ld, "a\x03\x7f\r", echo), "");
  EXPECT_TRUE(ld.readable());
  EXPECT_EQ(ld.readable_bytes(), 4u);
  EXPECT_EQ(read_all(ld, 2), "a\x03");
  EXPECT_EQ(read_all(ld), "\x7f\r");
  EXPECT_EQ(echo.text, "");
}

TEST(LineDiscipline, RawReadRuleFollowsVminAndVtime) {
  LineDiscipline ld;
  ld.set_termios(raw_termios(4, 0));
  EXPECT_EQ(ld.raw_read_rule(10).minimum, 4u);
  EXPECT_EQ(ld.raw_read_rule(2).minimum, 2u);  // never more than asked for
  EXPECT_EQ(ld.raw_read_rule(10).timeout_ns, 0u);
  ld.set_termios(raw_termios(0, 5));
  EXPECT_EQ(ld.raw_read_rule(10).minimum, 0u);
  EXPECT_EQ(ld.raw_read_rule(10).timeout_ns, 500'000'000u);
}

TEST(LineDiscipline, SwitchingToCanonicalMakesRawInputOneLine) {
  LineDiscipline ld;
  ld.set_termios(raw_termios(1, 0));
  StringSink echo;
  type(ld, "abc", echo);
  ld.set_termios(ktty::standard_termios());
  EXPECT_TRUE(ld.readable());
  EXPECT_EQ(read_all(ld), "abc");
  type(ld, "d", echo);
  EXPECT_FALSE(ld.readable());
}

TEST(LineDiscipline, SwitchingToRawMakesThePartialLineReadable) {
  LineDiscipline ld;
  StringSink echo;
  type(ld, "par", echo);
  EXPECT_FALSE(ld.readable());
  ld.set_termios(raw_termios(1, 0));
  EXPECT_EQ(read_all(ld), "par");
}

TEST(LineDiscipline, FlushDiscardsEverything) {
  LineDiscipline ld;
  StringSink echo;
  type(ld, "a\nb", echo);
  ld.flush_input();
  EXPECT_FALSE(ld.readable());
  EXPECT_EQ(ld.buffered(), 0u);
  type(ld, "c\n", echo);
  EXPECT_EQ(read_all(ld), "c\n");
}

TEST(LineDiscipline, OutputProcessing) {
  LineDiscipline ld;
  StringSink out;
  ld.write_output("a\nb\tc", 5, out);
  EXPECT_EQ(out.text, "a\r\nb\tc");
  EXPECT_EQ(ld.column(), 9u);
  ktty::Termios t = ld.termios();
  t.oflag = ktty::kOpost | ktty::kOcrnl | ktty::kXtabs | ktty::kOlcuc;
  ld.set_termios(t);
  out.text.clear();
  ld.write_output("x\r\ty", 4, out);
  EXPECT_EQ(out.text, "X\n      Y");  // \r -> \n (no column reset without ONLRET), tab -> spaces
  t.oflag = 0;  // no OPOST: bytes as they are
  ld.set_termios(t);
  out.text.clear();
  ld.write_output("a\nb", 3, out);
  EXPECT_EQ(out.text, "a\nb");
}

TEST(LineDiscipline, OnocrDropsCarriageReturnAtColumnZero) {
  LineDiscipline ld;
  ktty::Termios t = ld.termios();
  t.oflag = ktty::kOpost | ktty::kOnocr;
  ld.set_termios(t);
  StringSink out;
  ld.write_output("\rab\r", 4, out);
  EXPECT_EQ(out.text, "ab\r");
}

TEST(LineDiscipline, DisabledControlCharactersMatchNothing) {
  LineDiscipline ld;
  ktty::Termios t = ld.termios();
  t.cc[ktty::kVintr] = ktty::kDisabledChar;
  ld.set_termios(t);
  StringSink echo;
  // NUL is typed: VEOL is disabled (0) by default and must not end a line; ^C is data now.
  EXPECT_EQ(type(ld, std::string("a\0\x03", 3), echo), "");
  EXPECT_FALSE(ld.readable());
  EXPECT_EQ(ld.buffered(), 3u);
}

}  // namespace

// The PS/2 scancode translation (kernel/tty/keyboard_map.h): set 1 make and break codes as
// QEMU's i8042 delivers them, to the bytes a terminal sends.
#include "kernel/tty/keyboard_map.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

std::string feed(ktty::KeyboardDecoder& kb, const std::vector<std::uint8_t>& codes) {
  std::string out;
  for (std::uint8_t code : codes) {
    std::uint8_t bytes[ktty::KeyboardDecoder::kMaxBytes];
    const std::size_t n = kb.feed(code, bytes);
    out.append(reinterpret_cast<const char*>(bytes), n);
  }
  return out;
}

// Press and release of one key.
std::vector<std::uint8_t> tap(std::uint8_t code) { return {code, static_cast<std::uint8_t>(code | 0x80)}; }

TEST(KeyboardMap, LettersDigitsAndPunctuation) {
  ktty::KeyboardDecoder kb;
  std::vector<std::uint8_t> codes;
  // "ls -l /\r": l s space - l space / enter
  for (std::uint8_t c : {0x26, 0x1f, 0x39, 0x0c, 0x26, 0x39, 0x35, 0x1c}) {
    for (std::uint8_t b : tap(c)) codes.push_back(b);
  }
  EXPECT_EQ(feed(kb, codes), "ls -l /\r");
  EXPECT_EQ(feed(kb, tap(0x02)), "1");
  EXPECT_EQ(feed(kb, tap(0x0b)), "0");
  EXPECT_EQ(feed(kb, tap(0x29)), "`");
  EXPECT_EQ(feed(kb, tap(0x2b)), "\\");
  EXPECT_EQ(feed(kb, tap(0x0e)), "\x7f");  // backspace sends DEL
  EXPECT_EQ(feed(kb, tap(0x01)), "\x1b");
  EXPECT_EQ(feed(kb, tap(0x0f)), "\t");
}

TEST(KeyboardMap, ShiftGivesTheUpperRow) {
  ktty::KeyboardDecoder kb;
  EXPECT_EQ(feed(kb, {0x2a, 0x1e, 0x9e, 0x03, 0x83, 0x28, 0xa8, 0xaa, 0x1e, 0x9e}), "A@\"a");
  EXPECT_EQ(feed(kb, {0x36, 0x2b, 0x33, 0xb6, 0x33}), "|<,");  // right shift
  EXPECT_FALSE(kb.shift());
}

TEST(KeyboardMap, CapsLockShiftsLettersOnly) {
  ktty::KeyboardDecoder kb;
  EXPECT_EQ(feed(kb, {0x3a, 0xba}), "");
  EXPECT_TRUE(kb.caps_lock());
  EXPECT_EQ(feed(kb, {0x10, 0x90, 0x02, 0x82}), "Q1");
  EXPECT_EQ(feed(kb, {0x2a, 0x10, 0x90, 0xaa}), "q");  // Shift undoes Caps Lock for letters
  EXPECT_EQ(feed(kb, {0x3a, 0xba, 0x10}), "q");
}

TEST(KeyboardMap, ControlGivesControlCharacters) {
  ktty::KeyboardDecoder kb;
  EXPECT_EQ(feed(kb, {0x1d, 0x2e, 0xae, 0x9d}), "\x03");            // ^C
  EXPECT_EQ(feed(kb, {0x1d, 0x2c, 0xac, 0x20, 0xa0, 0x9d}), "\x1a\x04");  // ^Z ^D
  EXPECT_EQ(feed(kb, {0x1d, 0x2b, 0x9d}), "\x1c");                  // ^\ (SIGQUIT)
  EXPECT_EQ(feed(kb, {0xe0, 0x1d, 0x16, 0x96, 0xe0, 0x9d}), "\x15");  // right Ctrl: ^U
  EXPECT_FALSE(kb.control());
  EXPECT_EQ(feed(kb, tap(0x2e)), "c");
}

TEST(KeyboardMap, ArrowsAreVt100Sequences) {
  ktty::KeyboardDecoder kb;
  EXPECT_EQ(feed(kb, {0xe0, 0x48, 0xe0, 0xc8}), "\x1b[A");
  EXPECT_EQ(feed(kb, {0xe0, 0x50}), "\x1b[B");
  EXPECT_EQ(feed(kb, {0xe0, 0x4d}), "\x1b[C");
  EXPECT_EQ(feed(kb, {0xe0, 0x4b}), "\x1b[D");
  EXPECT_EQ(feed(kb, {0xe0, 0x53}), "\x1b[3~");  // delete
  EXPECT_EQ(feed(kb, {0xe0, 0x1c}), "\r");       // keypad enter
}

TEST(KeyboardMap, AltPrefixesEscape) {
  ktty::KeyboardDecoder kb;
  EXPECT_EQ(feed(kb, {0x38, 0x30, 0xb0, 0xb8, 0x30}), "\x1b" "bb");
}

TEST(KeyboardMap, FakeShiftsAndPauseProduceNothing) {
  ktty::KeyboardDecoder kb;
  // Print Screen: E0 2A E0 37, release E0 B7 E0 AA; Pause: E1 1D 45 E1 9D C5.
  EXPECT_EQ(feed(kb, {0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa}), "");
  EXPECT_FALSE(kb.shift());
  EXPECT_EQ(feed(kb, {0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5}), "");
  EXPECT_EQ(feed(kb, tap(0x1e)), "a");
}

TEST(KeyboardMap, KeypadDigits) {
  ktty::KeyboardDecoder kb;
  EXPECT_EQ(feed(kb, {0x47, 0x4c, 0x52, 0x53, 0x4e, 0x37}), "750.+*");
}

}  // namespace

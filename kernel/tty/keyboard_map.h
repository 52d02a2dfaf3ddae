// PS/2 keyboard scancodes to the bytes a terminal sends: scancode set 1 (what an i8042 with
// translation on delivers, QEMU's included), a US layout with Shift, Ctrl, Alt (as an ESC
// prefix, Linux's meta) and Caps Lock; arrows and the editing keys as the escape sequences of
// Linux's console (arrows as a VT100's "ESC [ A".."ESC [ D"). Pure: the terminal's worker feeds
// it, the host tests check the table (tests/host/tty).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ktty {

class KeyboardDecoder {
 public:
  static constexpr std::size_t kMaxBytes = 8;  // the longest sequence one scancode produces

  // One scancode byte. Writes the bytes the key produces (none for a release, a modifier, a
  // prefix, or a key without a character) to `out` and returns their count.
  std::size_t feed(std::uint8_t scancode, std::uint8_t out[kMaxBytes]);

  bool shift() const { return left_shift_ || right_shift_; }
  bool control() const { return left_control_ || right_control_; }
  bool caps_lock() const { return caps_lock_; }

 private:
  bool extended_ = false;    // after 0xE0
  std::uint8_t skip_ = 0;    // bytes of a Pause sequence (0xE1 ...) still to ignore
  bool left_shift_ = false, right_shift_ = false;
  bool left_control_ = false, right_control_ = false;
  bool alt_ = false;
  bool caps_lock_ = false;
};

}  // namespace ktty

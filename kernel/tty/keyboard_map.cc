#include "kernel/tty/keyboard_map.h"

namespace ktty {
namespace {

// Set 1 make codes 0x00..0x39, US layout, without and with Shift ('\0': no character here).
// 0x0E Backspace sends DEL and 0x1C Enter sends CR, as a terminal does (ICRNL maps it).
constexpr char kPlain[0x3a] = {
    0,    0x1b, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', 0x7f, '\t',
    'q',  'w',  'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\r', 0,  'a',  's',
    'd',  'f',  'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0,  '\\', 'z', 'x', 'c', 'v',
    'b',  'n',  'm', ',', '.', '/', 0,   '*', 0,   ' '};
constexpr char kShifted[0x3a] = {
    0,    0x1b, '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', 0x7f, '\t',
    'Q',  'W',  'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\r', 0,  'A',  'S',
    'D',  'F',  'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0,   '|', 'Z', 'X', 'C', 'V',
    'B',  'N',  'M', '<', '>', '?', 0,   '*', 0,   ' '};
// The keypad (0x47..0x53) as digits and operators: Num Lock on, as a terminal user expects.
constexpr char kKeypad[0x53 - 0x47 + 1] = {'7', '8', '9', '-', '4', '5', '6', '+',
                                           '1', '2', '3', '0', '.'};

constexpr std::uint8_t kRelease = 0x80;
constexpr std::uint8_t kExtendedPrefix = 0xe0, kPausePrefix = 0xe1;
constexpr std::uint8_t kLeftShift = 0x2a, kRightShift = 0x36, kControl = 0x1d, kAlt = 0x38,
                       kCapsLock = 0x3a;
constexpr std::uint8_t kPauseLength = 5;  // E1 1D 45 E1 9D C5: the five after the first E1

std::size_t copy(const char* text, std::uint8_t out[KeyboardDecoder::kMaxBytes]) {
  std::size_t n = 0;
  while (text[n] != '\0' && n < KeyboardDecoder::kMaxBytes) {
    out[n] = static_cast<std::uint8_t>(text[n]);
    ++n;
  }
  return n;
}

// The extended keys with a sequence of their own (Linux console's), or null.
const char* extended_sequence(std::uint8_t code) {
  switch (code) {
    case 0x48: return "\x1b[A";   // up
    case 0x50: return "\x1b[B";   // down
    case 0x4d: return "\x1b[C";   // right
    case 0x4b: return "\x1b[D";   // left
    case 0x47: return "\x1b[1~";  // home
    case 0x52: return "\x1b[2~";  // insert
    case 0x53: return "\x1b[3~";  // delete
    case 0x4f: return "\x1b[4~";  // end
    case 0x49: return "\x1b[5~";  // page up
    case 0x51: return "\x1b[6~";  // page down
    case 0x1c: return "\r";       // keypad enter
    case 0x35: return "/";        // keypad slash
    default: return nullptr;
  }
}

}  // namespace

std::size_t KeyboardDecoder::feed(std::uint8_t scancode, std::uint8_t out[kMaxBytes]) {
  if (skip_ != 0) {
    --skip_;
    return 0;
  }
  if (scancode == kPausePrefix) {
    skip_ = kPauseLength;
    return 0;
  }
  if (scancode == kExtendedPrefix) {
    extended_ = true;
    return 0;
  }
  const bool extended = extended_;
  extended_ = false;
  const bool release = (scancode & kRelease) != 0;
  const std::uint8_t code = scancode & static_cast<std::uint8_t>(~kRelease);

  // Modifiers. E0 2A / E0 36 are the fake shifts some keys send around themselves: ignored.
  if (code == kLeftShift || code == kRightShift) {
    if (!extended) (code == kLeftShift ? left_shift_ : right_shift_) = !release;
    return 0;
  }
  if (code == kControl) {
    (extended ? right_control_ : left_control_) = !release;
    return 0;
  }
  if (code == kAlt) {
    alt_ = !release;
    return 0;
  }
  if (release) return 0;
  if (code == kCapsLock && !extended) {
    caps_lock_ = !caps_lock_;
    return 0;
  }

  if (extended) {
    const char* seq = extended_sequence(code);
    return seq != nullptr ? copy(seq, out) : 0;
  }
  std::uint8_t c = 0;
  if (code < sizeof(kPlain)) {
    c = static_cast<std::uint8_t>(shift() ? kShifted[code] : kPlain[code]);
    // Caps Lock shifts letters only, and Shift undoes it.
    if (caps_lock_ && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      c = static_cast<std::uint8_t>(c ^ 0x20);
    }
  } else if (code >= 0x47 && code <= 0x53) {
    c = static_cast<std::uint8_t>(kKeypad[code - 0x47]);
  }
  if (c == 0) return 0;
  if (control()) {
    // Ctrl with a letter or one of @[\]^_ gives the control character; Ctrl-Space and Ctrl-2
    // give NUL; Ctrl-? is DEL (Linux's map for these).
    if ((c >= 'a' && c <= 'z') || (c >= '@' && c <= '_')) {
      c = static_cast<std::uint8_t>(c & 0x1f);
    } else if (c == ' ' || c == '2') {
      c = 0;
    } else if (c == '/') {
      c = 0x1f;
    }
  }
  std::size_t n = 0;
  if (alt_) out[n++] = 0x1b;  // meta: ESC before the character
  out[n++] = c;
  return n;
}

}  // namespace ktty

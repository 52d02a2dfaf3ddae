#include "efi/cmdline_parse.h"

namespace loader {
namespace {

constexpr bool is_space(std::uint32_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Appends one character; counts what cannot be stored.
void put(CmdlineText& text, std::uint32_t c, char* out, std::size_t capacity) {
  if (c >= 0x80 || (c < 0x20 && !is_space(c)) || c == 0x7f) {
    ++text.skipped;
    return;
  }
  if (is_space(c)) c = ' ';
  if (text.length == capacity) {
    text.truncated = true;
    return;
  }
  out[text.length++] = static_cast<char>(c);
}

void trim(CmdlineText& text, const char* out) {
  while (text.length > 0 && out[text.length - 1] == ' ') --text.length;
}

constexpr std::uint16_t lower(std::uint16_t c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<std::uint16_t>(c + ('a' - 'A')) : c;
}

}  // namespace

bool load_options_are_text(const std::uint16_t* chars, std::size_t count) {
  if (chars == nullptr || count == 0) return false;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint16_t c = chars[i];
    if (c == 0) {
      // A terminator ends the text; only more terminators may follow it.
      for (std::size_t j = i; j < count; ++j) {
        if (chars[j] != 0) return false;
      }
      return true;
    }
    if (c < 0x20 && !is_space(c)) return false;
    if (c == 0x7f || (c >= 0x80 && c < 0xa0)) return false;  // C0/C1 controls
    if (c >= 0xd800 && c <= 0xdfff) return false;  // surrogates: UCS-2 has none
    if (c == 0xfffe || c == 0xffff) return false;  // non-characters, typical of binary data
  }
  return true;
}

CmdlineText cmdline_from_load_options(const std::uint16_t* chars, std::size_t count, char* out,
                                      std::size_t capacity) {
  CmdlineText text;
  std::size_t end = 0;
  while (end < count && chars[end] != 0) ++end;
  std::size_t i = 0;
  while (i < end && is_space(chars[i])) ++i;
  // The shell passes the image name first; a first word ending in ".efi" is that name.
  std::size_t word_end = i;
  while (word_end < end && !is_space(chars[word_end])) ++word_end;
  if (word_end - i >= 4 && chars[word_end - 4] == '.' && lower(chars[word_end - 3]) == 'e' &&
      lower(chars[word_end - 2]) == 'f' && lower(chars[word_end - 1]) == 'i') {
    i = word_end;
  }
  while (i < end && is_space(chars[i])) ++i;
  for (; i < end; ++i) put(text, chars[i], out, capacity);
  trim(text, out);
  return text;
}

CmdlineText cmdline_from_file(const std::uint8_t* bytes, std::size_t size, char* out,
                              std::size_t capacity) {
  CmdlineText text;
  std::size_t i = 0;
  while (i < size && is_space(bytes[i])) ++i;
  for (; i < size; ++i) {
    if (bytes[i] == 0) break;  // a NUL ends the text, as in a C string
    put(text, bytes[i], out, capacity);
  }
  trim(text, out);
  return text;
}

}  // namespace loader

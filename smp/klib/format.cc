#include "smp/klib/format.h"

namespace fmt {
namespace {

struct Spec {
  char fill = ' ';
  char align = '\0';  // '<', '>' or none
  bool alternate = false;
  bool zero = false;
  std::size_t width = 0;
  char type = '\0';
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses the text between ':' and '}'. Returns false on a malformed spec.
bool parse_spec(StringView s, Spec& spec) {
  std::size_t i = 0;
  auto is_align = [](char c) { return c == '<' || c == '>'; };
  if (s.length >= 2 && is_align(s.data[1])) {
    spec.fill = s.data[0];
    spec.align = s.data[1];
    i = 2;
  } else if (s.length >= 1 && is_align(s.data[0])) {
    spec.align = s.data[0];
    i = 1;
  }
  if (i < s.length && s.data[i] == '#') {
    spec.alternate = true;
    ++i;
  }
  if (i < s.length && s.data[i] == '0') {
    spec.zero = true;
    ++i;
  }
  while (i < s.length && is_digit(s.data[i])) {
    spec.width = spec.width * 10 + static_cast<std::size_t>(s.data[i] - '0');
    if (spec.width > 256) return false;
    ++i;
  }
  if (i < s.length) {
    char t = s.data[i++];
    if (t != 'd' && t != 'x' && t != 'X' && t != 'b' && t != 'c' && t != 's' && t != 'p') {
      return false;
    }
    spec.type = t;
  }
  return i == s.length;
}

void write_padding(Sink& sink, char fill, std::size_t count) {
  if (count == 0) return;
  char chunk[32];
  for (std::size_t i = 0; i < count && i < sizeof(chunk); ++i) chunk[i] = fill;
  while (count > 0) {
    std::size_t n = count < sizeof(chunk) ? count : sizeof(chunk);
    sink.write(chunk, n);
    count -= n;
  }
}

// Writes prefix+body padded to spec.width. Zero padding goes between prefix and digits.
void write_padded(Sink& sink, const Spec& spec, StringView prefix, StringView body,
                  bool numeric) {
  std::size_t len = prefix.length + body.length;
  std::size_t pad = spec.width > len ? spec.width - len : 0;
  char align = spec.align ? spec.align : (numeric ? '>' : '<');
  if (numeric && spec.zero && !spec.align) {
    sink.write(prefix.data, prefix.length);
    write_padding(sink, '0', pad);
    sink.write(body.data, body.length);
    return;
  }
  if (align == '>') write_padding(sink, spec.fill, pad);
  sink.write(prefix.data, prefix.length);
  sink.write(body.data, body.length);
  if (align == '<') write_padding(sink, spec.fill, pad);
}

void write_unsigned(Sink& sink, const Spec& spec, std::uint64_t value, bool negative) {
  unsigned base = 10;
  const char* digits = "0123456789abcdef";
  const char* prefix = "";
  switch (spec.type) {
    case 'x':
    case 'p':
      base = 16;
      prefix = spec.alternate || spec.type == 'p' ? "0x" : "";
      break;
    case 'X':
      base = 16;
      digits = "0123456789ABCDEF";
      prefix = spec.alternate ? "0x" : "";
      break;
    case 'b':
      base = 2;
      prefix = spec.alternate ? "0b" : "";
      break;
    default:
      break;
  }
  char buffer[66];
  std::size_t pos = sizeof(buffer);
  if (base == 10) {
    do {
      buffer[--pos] = digits[value % 10];
      value /= 10;
    } while (value != 0);
  } else {  // powers of two: shift instead of dividing by a variable base
    unsigned shift = base == 16 ? 4 : 1;
    do {
      buffer[--pos] = digits[value & (base - 1)];
      value >>= shift;
    } while (value != 0);
  }
  char sign_prefix[4] = {};
  std::size_t plen = 0;
  if (negative) sign_prefix[plen++] = '-';
  for (const char* p = prefix; *p; ++p) sign_prefix[plen++] = *p;
  write_padded(sink, spec, StringView(sign_prefix, plen),
               StringView(buffer + pos, sizeof(buffer) - pos), true);
}

void write_arg(Sink& sink, const Spec& spec, const Arg& arg) {
  switch (arg.kind) {
    case Arg::Kind::kSigned:
      if (spec.type == 'c') {
        char c = static_cast<char>(arg.s);
        write_padded(sink, spec, StringView("", 0), StringView(&c, 1), false);
      } else if (arg.s < 0 && (spec.type == '\0' || spec.type == 'd')) {
        write_unsigned(sink, spec, 0 - static_cast<std::uint64_t>(arg.s), true);
      } else {
        write_unsigned(sink, spec, static_cast<std::uint64_t>(arg.s), false);
      }
      return;
    case Arg::Kind::kUnsigned:
      if (spec.type == 'c') {
        char c = static_cast<char>(arg.u);
        write_padded(sink, spec, StringView("", 0), StringView(&c, 1), false);
      } else {
        write_unsigned(sink, spec, arg.u, false);
      }
      return;
    case Arg::Kind::kBool:
      write_padded(sink, spec, StringView("", 0), StringView(arg.b ? "true" : "false"), false);
      return;
    case Arg::Kind::kChar:
      if (spec.type == 'd' || spec.type == 'x' || spec.type == 'X' || spec.type == 'b') {
        write_unsigned(sink, spec, static_cast<unsigned char>(arg.c), false);
      } else {
        write_padded(sink, spec, StringView("", 0), StringView(&arg.c, 1), false);
      }
      return;
    case Arg::Kind::kString:
      write_padded(sink, spec, StringView("", 0),
                   arg.str.data ? arg.str : StringView("(null)"), false);
      return;
    case Arg::Kind::kPointer: {
      Spec p = spec;
      if (p.type == '\0') p.type = 'p';
      write_unsigned(sink, p, reinterpret_cast<std::uintptr_t>(arg.p), false);
      return;
    }
  }
}

}  // namespace

void vformat(Sink& sink, StringView format, const Arg* args, std::size_t count) {
  std::size_t next_arg = 0;
  std::size_t i = 0;
  std::size_t literal_start = 0;
  auto flush_literal = [&](std::size_t end) {
    if (end > literal_start) sink.write(format.data + literal_start, end - literal_start);
  };
  while (i < format.length) {
    char c = format.data[i];
    if (c == '{' && i + 1 < format.length && format.data[i + 1] == '{') {
      flush_literal(i + 1);
      i += 2;
      literal_start = i;
      continue;
    }
    if (c == '}' && i + 1 < format.length && format.data[i + 1] == '}') {
      flush_literal(i + 1);
      i += 2;
      literal_start = i;
      continue;
    }
    if (c != '{') {
      ++i;
      continue;
    }
    flush_literal(i);
    std::size_t close = i + 1;
    while (close < format.length && format.data[close] != '}') ++close;
    if (close == format.length) {  // unterminated: print the rest as text
      literal_start = i;
      break;
    }
    StringView inner(format.data + i + 1, close - i - 1);
    Spec spec;
    bool ok = true;
    if (inner.length > 0) {
      if (inner.data[0] != ':') {
        ok = false;
      } else {
        ok = parse_spec(StringView(inner.data + 1, inner.length - 1), spec);
      }
    }
    if (!ok) {
      sink.write("{!}", 3);
    } else if (next_arg >= count) {
      sink.write("{?}", 3);
    } else {
      write_arg(sink, spec, args[next_arg]);
    }
    if (next_arg < count) ++next_arg;
    i = close + 1;
    literal_start = i;
  }
  flush_literal(format.length);
}

void FixedBuffer::write(const char* text, std::size_t length) {
  if (capacity_ == 0) {
    dropped_ += length;
    return;
  }
  std::size_t room = capacity_ - 1 - size_;
  std::size_t n = length < room ? length : room;
  for (std::size_t k = 0; k < n; ++k) buffer_[size_ + k] = text[k];
  size_ += n;
  buffer_[size_] = '\0';
  dropped_ += length - n;
}

}  // namespace fmt

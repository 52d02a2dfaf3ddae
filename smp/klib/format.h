// A small type-safe formatter: "{}" placeholders, no printf varargs.
//
//   format_to(sink, "cpu {} apic {:#x} name {}", cpu, apic_id, "bsp");
//
// Spec grammar inside braces: {[:][fill-align][#][0][width][type]}
//   align: '<' left, '>' right (default for numbers), fill is a char before the align char
//   '#': 0x / 0b prefix; '0': zero padding; type: d (decimal), x / X (hex), b (binary),
//   c (char), s (string), p (pointer). "{{" and "}}" print braces.
// A placeholder without an argument prints "{?}", an argument without a placeholder is dropped
// and a bad spec prints "{!}": formatting never reads past the arguments it was given.
// Works on kernel and host (no allocation, no libc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace fmt {

// Where formatted text goes. Implementations: the kernel consoles, FixedBuffer, test sinks.
class Sink {
 public:
  virtual void write(const char* text, std::size_t length) = 0;

 protected:
  ~Sink() = default;
};

// A string with a length; what %.*s would be in printf.
struct StringView {
  const char* data = nullptr;
  std::size_t length = 0;

  constexpr StringView() = default;
  constexpr StringView(const char* d, std::size_t n) : data(d), length(n) {}
  constexpr StringView(const char* s) : data(s), length(0) {  // NOLINT: implicit on purpose
    if (s) while (s[length]) ++length;
  }
};

// One argument, type-erased. Built by make_arg(); custom types overload format_value().
struct Arg {
  enum class Kind : std::uint8_t { kSigned, kUnsigned, kBool, kChar, kString, kPointer };
  Kind kind;
  union {
    std::int64_t s;
    std::uint64_t u;
    bool b;
    char c;
    StringView str;
    const void* p;
  };
  constexpr Arg() : kind(Kind::kUnsigned), u(0) {}
};

template <typename T>
constexpr Arg make_arg(const T& value) {
  Arg a;
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<U, bool>) {
    a.kind = Arg::Kind::kBool;
    a.b = value;
  } else if constexpr (std::is_same_v<U, char>) {
    a.kind = Arg::Kind::kChar;
    a.c = value;
  } else if constexpr (std::is_enum_v<U>) {
    using Under = std::underlying_type_t<U>;
    if constexpr (std::is_signed_v<Under>) {
      a.kind = Arg::Kind::kSigned;
      a.s = static_cast<std::int64_t>(value);
    } else {
      a.kind = Arg::Kind::kUnsigned;
      a.u = static_cast<std::uint64_t>(value);
    }
  } else if constexpr (std::is_integral_v<U> && std::is_signed_v<U>) {
    a.kind = Arg::Kind::kSigned;
    a.s = value;
  } else if constexpr (std::is_integral_v<U>) {
    a.kind = Arg::Kind::kUnsigned;
    a.u = value;
  } else if constexpr (std::is_same_v<U, StringView>) {
    a.kind = Arg::Kind::kString;
    a.str = value;
  } else if constexpr (std::is_convertible_v<U, const char*>) {
    a.kind = Arg::Kind::kString;
    a.str = StringView(static_cast<const char*>(value));
  } else if constexpr (std::is_pointer_v<U> || std::is_null_pointer_v<U>) {
    a.kind = Arg::Kind::kPointer;
    a.p = value;
  } else {
    static_assert(!sizeof(U), "fmt: no formatter for this type; pass a number, string or pointer");
  }
  return a;
}

// The non-template engine. Prefer format_to().
void vformat(Sink& sink, StringView format, const Arg* args, std::size_t count);

template <typename... Args>
void format_to(Sink& sink, StringView format, const Args&... args) {
  if constexpr (sizeof...(Args) == 0) {
    vformat(sink, format, nullptr, 0);
  } else {
    const Arg packed[] = {make_arg(args)...};
    vformat(sink, format, packed, sizeof...(Args));
  }
}

// A sink over a caller's fixed buffer. Output past the capacity is dropped and counted;
// the text stays NUL terminated.
class FixedBuffer final : public Sink {
 public:
  FixedBuffer(char* buffer, std::size_t capacity) : buffer_(buffer), capacity_(capacity) {
    if (capacity_ > 0) buffer_[0] = '\0';
  }
  void write(const char* text, std::size_t length) override;
  const char* c_str() const { return buffer_; }
  std::size_t size() const { return size_; }
  bool truncated() const { return dropped_ > 0; }
  void clear() {
    size_ = 0;
    dropped_ = 0;
    if (capacity_ > 0) buffer_[0] = '\0';
  }

 private:
  char* buffer_;
  std::size_t capacity_;
  std::size_t size_ = 0;
  std::size_t dropped_ = 0;
};

}  // namespace fmt

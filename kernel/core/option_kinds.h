// The kinds of value a boot option takes. Each row of kernel/core/options.inc names one; the kind
// gives the option's field type (`Value`), parses a command-line word into it, and names its forms
// and its default for the docs. Pure (no allocation, no hardware), host-tested in
// tests/host/kernel/cmdline_test.cc.
//
// Every kind's parse() leaves the field untouched when it reports a problem, so a bad word keeps
// the value the option had (its default, or an earlier word's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "smp/klib/format.h"
#include "smp/klib/words.h"

namespace cmdline {

// What was wrong with a word (kNone: nothing).
enum class ProblemKind : std::uint8_t {
  kNone,
  kUnknownKey,
  kBadValue,
  kMissingValue,
  kUnexpectedValue,
  kTooManyWords,
};

// `key`: sets the field; `key=anything` is a problem.
struct Flag {
  using Value = bool;
  static constexpr ProblemKind parse(const klib::Word& w, Value& out) {
    if (w.has_value) return ProblemKind::kUnexpectedValue;
    out = true;
    return ProblemKind::kNone;
  }
  static void write_usage(fmt::Sink& out, const char* key) { fmt::format_to(out, "{}", key); }
  static void write_value(fmt::Sink& out, const Value& v) {
    fmt::format_to(out, "{}", v ? "on" : "off");
  }
};

// `key` or `key=on`: true; `key=off`: false.
struct Switch {
  using Value = bool;
  static constexpr ProblemKind parse(const klib::Word& w, Value& out) {
    if (!w.has_value || klib::equals(w.value, "on")) {
      out = true;
    } else if (klib::equals(w.value, "off")) {
      out = false;
    } else {
      return ProblemKind::kBadValue;
    }
    return ProblemKind::kNone;
  }
  static void write_usage(fmt::Sink& out, const char* key) {
    fmt::format_to(out, "{}, {}=on|off", key, key);
  }
  static void write_value(fmt::Sink& out, const Value& v) {
    fmt::format_to(out, "{}", v ? "on" : "off");
  }
};

// One accepted value of a Choice option and what the field becomes. (A Choice takes any array
// of structs with these two members, such as kcpus::kStartModeNames.)
template <typename T>
struct Name {
  const char* name;
  T value;
};

// The name of `value` in `names` (an array of Name-like structs), or nullptr.
template <typename Names, typename T>
constexpr const char* name_of(const Names& names, const T& value) {
  for (const auto& n : names) {
    if (n.value == value) return n.name;
  }
  return nullptr;
}

// `key=NAME`, NAME one of `kNames` (options.h).
template <const auto& kNames>
struct Choice {
  using Value = std::remove_cv_t<decltype(kNames[0].value)>;
  static constexpr ProblemKind parse(const klib::Word& w, Value& out) {
    if (!w.has_value) return ProblemKind::kMissingValue;
    for (const auto& n : kNames) {
      if (klib::equals(w.value, n.name)) {
        out = n.value;
        return ProblemKind::kNone;
      }
    }
    return ProblemKind::kBadValue;
  }
  static void write_usage(fmt::Sink& out, const char* key) {
    fmt::format_to(out, "{}=", key);
    const char* separator = "";
    for (const auto& n : kNames) {
      fmt::format_to(out, "{}{}", separator, n.name);
      separator = "|";
    }
  }
  // A default that is none of the names (no fault, no stall) is "off".
  static void write_value(fmt::Sink& out, const Value& v) {
    const char* name = name_of(kNames, v);
    fmt::format_to(out, "{}", name ? name : "off");
  }
};

// `key=N`, N >= 1, decimal or 0x hexadecimal below 2^32. 0 in the field: not given.
struct Count {
  using Value = std::uint32_t;
  static constexpr ProblemKind parse(const klib::Word& w, Value& out) {
    if (!w.has_value) return ProblemKind::kMissingValue;
    std::uint32_t n = 0;
    if (!klib::parse_u32(w.value, n) || n == 0) return ProblemKind::kBadValue;
    out = n;
    return ProblemKind::kNone;
  }
  static void write_usage(fmt::Sink& out, const char* key) { fmt::format_to(out, "{}=N", key); }
  static void write_value(fmt::Sink& out, const Value& v) {
    if (v == 0) {
      fmt::format_to(out, "none");
    } else {
      fmt::format_to(out, "{}", v);
    }
  }
};

// `key=ID`, given up to kMax times; each adds ID (decimal or 0x hexadecimal below 2^32). One
// more than kMax is a bad value.
template <std::uint32_t kMax>
struct IdList {
  struct Value {
    std::uint32_t ids[kMax] = {};
    std::uint32_t count = 0;
  };
  static constexpr ProblemKind parse(const klib::Word& w, Value& out) {
    if (!w.has_value) return ProblemKind::kMissingValue;
    std::uint32_t id = 0;
    if (!klib::parse_u32(w.value, id) || out.count == kMax) return ProblemKind::kBadValue;
    out.ids[out.count++] = id;
    return ProblemKind::kNone;
  }
  static void write_usage(fmt::Sink& out, const char* key) { fmt::format_to(out, "{}=ID", key); }
  static void write_value(fmt::Sink& out, const Value& v) {
    const char* separator = "";
    for (std::uint32_t i = 0; i < v.count; ++i) {
      fmt::format_to(out, "{}{}", separator, v.ids[i]);
      separator = ",";
    }
    if (v.count == 0) fmt::format_to(out, "none");
  }
};

// `key=PATH`: an absolute path (starts with '/', below 4096 bytes); `path` points into the
// parsed text. Empty in the field: not given.
struct Path {
  using Value = fmt::StringView;
  static constexpr ProblemKind parse(const klib::Word& w, Value& out) {
    if (!w.has_value) return ProblemKind::kMissingValue;
    if (w.value.length == 0 || w.value.data[0] != '/' || w.value.length >= 4096) {
      return ProblemKind::kBadValue;
    }
    out = w.value;
    return ProblemKind::kNone;
  }
  static void write_usage(fmt::Sink& out, const char* key) { fmt::format_to(out, "{}=PATH", key); }
  static void write_value(fmt::Sink& out, const Value& v) {
    if (v.length == 0) {
      fmt::format_to(out, "/init");
    } else {
      fmt::format_to(out, "{}", v);
    }
  }
};

// `key` (select everything) or `key=PATTERN` (`pattern` points into the parsed text).
struct Selection {
  struct Value {
    bool selected = false;
    fmt::StringView pattern;  // empty: everything
  };
  static constexpr ProblemKind parse(const klib::Word& w, Value& out) {
    out.selected = true;
    out.pattern = w.value;
    return ProblemKind::kNone;
  }
  static void write_usage(fmt::Sink& out, const char* key) {
    fmt::format_to(out, "{}, {}=PATTERN", key, key);
  }
  static void write_value(fmt::Sink& out, const Value& v) {
    fmt::format_to(out, "{}", v.selected ? "on" : "off");
  }
};

}  // namespace cmdline

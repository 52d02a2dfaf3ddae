#include "smp/klib/format.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "tests/host/string_sink.h"

namespace {

using testing_support::StringSink;

template <typename... Args>
std::string format(const char* f, const Args&... args) {
  StringSink sink;
  fmt::format_to(sink, f, args...);
  return sink.text();
}

enum class Vector : std::uint8_t { kPageFault = 14 };

TEST(Format, PlainTextAndBraces) {
  EXPECT_EQ(format("hello"), "hello");
  EXPECT_EQ(format("{{}} {{x}}"), "{} {x}");
  EXPECT_EQ(format(""), "");
}

TEST(Format, Integers) {
  EXPECT_EQ(format("{} {} {}", 0, -1, 42u), "0 -1 42");
  EXPECT_EQ(format("{}", INT64_MIN), "-9223372036854775808");
  EXPECT_EQ(format("{}", UINT64_MAX), "18446744073709551615");
  EXPECT_EQ(format("{:x} {:X} {:#x} {:b} {:#b}", 255, 255, 255, 5, 5), "ff FF 0xff 101 0b101");
  EXPECT_EQ(format("{:016x}", 0xdeadbeefull), "00000000deadbeef");
  EXPECT_EQ(format("{:#010x}", 0x1234), "0x00001234");
  EXPECT_EQ(format("{:5}|{:<5}|{:*>5}", 42, 42, 42), "   42|42   |***42");
  EXPECT_EQ(format("{:05}", -42), "-0042");
}

TEST(Format, OtherKinds) {
  EXPECT_EQ(format("{} {}", true, false), "true false");
  EXPECT_EQ(format("{}{}", 'o', 'k'), "ok");
  EXPECT_EQ(format("{:d}", 'A'), "65");
  EXPECT_EQ(format("[{:<6}][{:>6}]", "ab", "cd"), "[ab    ][    cd]");
  EXPECT_EQ(format("{}", fmt::StringView("abcdef", 3)), "abc");
  const char* null_string = nullptr;
  EXPECT_EQ(format("{}", null_string), "(null)");
  EXPECT_EQ(format("{}", reinterpret_cast<const void*>(0x1000)), "0x1000");
  EXPECT_EQ(format("{}", Vector::kPageFault), "14");
}

TEST(Format, MismatchesNeverReadPastArguments) {
  EXPECT_EQ(format("{} {}", 1), "1 {?}");
  EXPECT_EQ(format("{}", 1, 2), "1");
  EXPECT_EQ(format("{:q}", 1), "{!}");
  EXPECT_EQ(format("{x}", 1), "{!}");
  EXPECT_EQ(format("{:9999}", 1), "{!}");
  EXPECT_EQ(format("tail {", 1), "tail {");
}

TEST(FixedBuffer, TruncatesAndTerminates) {
  char buffer[8];
  fmt::FixedBuffer sink(buffer, sizeof(buffer));
  fmt::format_to(sink, "{}", 123456789);
  EXPECT_STREQ(sink.c_str(), "1234567");
  EXPECT_EQ(sink.size(), 7u);
  EXPECT_TRUE(sink.truncated());
  sink.clear();
  fmt::format_to(sink, "ok");
  EXPECT_STREQ(sink.c_str(), "ok");
  EXPECT_FALSE(sink.truncated());
}

}  // namespace

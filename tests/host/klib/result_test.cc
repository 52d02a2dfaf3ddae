#include "smp/klib/result.h"

#include <gtest/gtest.h>

#include <string>

namespace {

enum class Error { kTooBig, kOdd };

klib::Result<int, Error> half(int v) {
  if (v > 100) return klib::make_error(Error::kTooBig);
  if (v % 2) return klib::make_error(Error::kOdd);
  return v / 2;
}

klib::Result<int, Error> quarter(int v) {
  int h = TRY(half(v));
  return TRY(half(h));
}

klib::Result<void, Error> check_even(int v) {
  TRY_OK(half(v));
  return klib::Ok{};
}

TEST(Result, ValueAndError) {
  auto a = half(10);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value(), 5);
  auto b = half(7);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error(), Error::kOdd);
  EXPECT_EQ(b.value_or(-1), -1);
}

TEST(Result, TryPropagatesFirstError) {
  EXPECT_EQ(quarter(20).value(), 5);
  EXPECT_EQ(quarter(10).error(), Error::kOdd);  // 10 -> 5 -> odd
  EXPECT_EQ(quarter(200).error(), Error::kTooBig);
  EXPECT_TRUE(check_even(4).ok());
  EXPECT_EQ(check_even(3).error(), Error::kOdd);
}

TEST(Result, HoldsNonTrivialTypes) {
  klib::Result<std::string, Error> r(std::string(100, 'x'));
  klib::Result<std::string, Error> copy(r);
  EXPECT_EQ(copy.value().size(), 100u);
  klib::Result<std::string, Error> moved(std::move(r));
  EXPECT_EQ(moved.value(), std::string(100, 'x'));
}

}  // namespace

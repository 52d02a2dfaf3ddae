// Result<T, E>: a value or an error, for everything that can fail because of its input.
// TRY(expr) returns the error from the enclosing function, else yields the value.
#pragma once

#include <new>
#include <type_traits>
#include <utility>

namespace klib {

template <typename E>
struct Unexpected {
  E error;
};

template <typename E>
constexpr Unexpected<std::decay_t<E>> make_error(E&& e) {
  return {std::forward<E>(e)};
}

template <typename T, typename E>
class [[nodiscard]] Result {
 public:
  constexpr Result(T value) : ok_(true) { new (&storage_.value) T(std::move(value)); }  // NOLINT
  template <typename F>
  constexpr Result(Unexpected<F> e) : ok_(false) {  // NOLINT
    new (&storage_.error) E(std::move(e.error));
  }
  Result(const Result& other) : ok_(other.ok_) {
    if (ok_) new (&storage_.value) T(other.storage_.value);
    else new (&storage_.error) E(other.storage_.error);
  }
  Result(Result&& other) : ok_(other.ok_) {
    if (ok_) new (&storage_.value) T(std::move(other.storage_.value));
    else new (&storage_.error) E(std::move(other.storage_.error));
  }
  Result& operator=(const Result&) = delete;
  ~Result() {
    if (ok_) storage_.value.~T();
    else storage_.error.~E();
  }

  constexpr bool ok() const { return ok_; }
  constexpr explicit operator bool() const { return ok_; }
  // value()/error() require ok() / !ok(); callers check first.
  T& value() & { return storage_.value; }
  const T& value() const& { return storage_.value; }
  T&& value() && { return std::move(storage_.value); }
  const E& error() const { return storage_.error; }
  T value_or(T fallback) const { return ok_ ? storage_.value : fallback; }

 private:
  union Storage {
    Storage() {}
    ~Storage() {}
    T value;
    E error;
  } storage_;
  bool ok_;
};

// Result<void, E>.
struct Ok {};

template <typename E>
class [[nodiscard]] Result<void, E> {
 public:
  constexpr Result(Ok) : ok_(true), error_() {}  // NOLINT
  template <typename F>
  constexpr Result(Unexpected<F> e) : ok_(false), error_(std::move(e.error)) {}  // NOLINT
  constexpr bool ok() const { return ok_; }
  constexpr explicit operator bool() const { return ok_; }
  const E& error() const { return error_; }

 private:
  bool ok_;
  E error_;
};

}  // namespace klib

// Evaluates a Result; on error returns it from the current function, else yields the value.
#define TRY(expr)                                                \
  ({                                                             \
    auto _try_result = (expr);                                   \
    if (!_try_result.ok()) return ::klib::make_error(_try_result.error()); \
    std::move(_try_result).value();                              \
  })

// TRY for Result<void, E>: returns the error, yields nothing.
#define TRY_OK(expr)                                             \
  do {                                                           \
    auto _try_result = (expr);                                   \
    if (!_try_result.ok()) return ::klib::make_error(_try_result.error()); \
  } while (0)

// Status and StatusOr<T>: how errors cross module boundaries in coinlake.
//
// Exceptions from third-party libraries are caught at the adapter edge and turned into a
// Status; nothing above the adapters throws. A Status carries a code, which callers branch on
// (retry or not), and a message, which people read.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace coinlake {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input from a user or a payload: do not retry
  kNotFound,            // the object, row or file does not exist
  kAlreadyExists,       // a create-only write met an existing object
  kDataLoss,            // stored bytes differ from what they should be: alert a human
  kUnavailable,         // a dependency is down or timed out: retry with backoff
  kResourceExhausted,   // a rate limit, quota or credit budget is used up
  kPermissionDenied,    // credentials refused: do not retry
  kFailedPrecondition,  // the system is not in a state where this can run
  kInternal,            // a bug or an unexpected library failure
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "UNAVAILABLE: connection refused", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context`, for adding where an error happened.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
inline Status DataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status ResourceExhaustedError(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status PermissionDeniedError(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status FailedPreconditionError(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const T& value) : rep_(value) {}  // NOLINT: implicit by design, like absl::StatusOr
  StatusOr(T&& value) : rep_(std::move(value)) {}      // NOLINT
  StatusOr(Status status) : rep_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(rep_).ok() && "StatusOr needs a value or an error");
  }

  bool ok() const { return std::holds_alternative<T>(rep_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(rep_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(rep_); }
  const T& value() const& { return std::get<T>(rep_); }
  T&& value() && { return std::get<T>(std::move(rep_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> rep_;
};

}  // namespace coinlake

#define COINLAKE_CONCAT_INNER(a, b) a##b
#define COINLAKE_CONCAT(a, b) COINLAKE_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` yields a non-OK Status.
#define RETURN_IF_ERROR(expr)            \
  do {                                   \
    ::coinlake::Status _status = (expr); \
    if (!_status.ok()) return _status;   \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, Foo());` declares x from Foo()'s value or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(COINLAKE_CONCAT(_status_or_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
